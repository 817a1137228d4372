// causeway simulate-genome and causeway deepmr: the simulated world against its own description (a naive
// FASTA parse for the hand-written index, the PWMs' IUPAC codes), determinism, region sampling, and Deep MR's
// per-region fits against a naive weighted least-squares Egger regression, resuming and bad input.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <zlib.h>

#include "causeway/deepmr/deepmr.h"
#include "causeway/deepmr/simulate_genome.h"
#include "causeway/error.h"
#include "causeway/seqcnn_ism.h"
#include "causeway/seqcnn_model.h"
#include "causeway/tsv.h"

namespace causeway::deepmr {
namespace {

std::string read_file(const std::string &path) {
    gzFile gz = gzopen(path.c_str(), "rb");
    EXPECT_NE(gz, nullptr) << path;
    std::string text;
    char buffer[1 << 16];
    int n;
    while ((n = gzread(gz, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
    gzclose(gz);
    return text;
}

bool exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

std::string scratch(const std::string &name) {
    const std::string dir = ::testing::TempDir() + "deepmr_" + name + "_" + std::to_string(::getpid());
    std::system(("rm -rf '" + dir + "'").c_str());
    return dir;
}

TEST(DeepmrPwm, IupacCodes) {
    const auto pwm = deepmr_pwm("ARN");
    ASSERT_EQ(pwm.size(), 3u);
    EXPECT_DOUBLE_EQ(pwm[0][0], 0.85);
    EXPECT_DOUBLE_EQ(pwm[0][1], 0.05);
    EXPECT_DOUBLE_EQ(pwm[1][0], 0.45);
    EXPECT_DOUBLE_EQ(pwm[1][2], 0.45);
    EXPECT_DOUBLE_EQ(pwm[1][1], 0.05);
    for (double p : pwm[2]) EXPECT_DOUBLE_EQ(p, 0.25);
    for (const TfMotif &tf : deepmr_motif_catalog())
        for (const auto &column : deepmr_pwm(tf.consensus))
            EXPECT_NEAR(column[0] + column[1] + column[2] + column[3], 1.0, 1e-12) << tf.name;
    EXPECT_THROW(deepmr_pwm("AXG"), Error);
}

TEST(DeepmrPwm, CatalogueMixesEffects) {
    // The default 12 TFs: activators, repressors and TFs without effect.
    int positive = 0, negative = 0, zero = 0;
    for (int t = 0; t < 12; ++t) {
        const double e = deepmr_motif_catalog()[t].effect;
        positive += e > 0;
        negative += e < 0;
        zero += e == 0;
    }
    EXPECT_GE(positive, 3);
    EXPECT_GE(negative, 3);
    EXPECT_GE(zero, 4);
}

// The hand-written .fai against the FASTA parsed naively, through htslib: every region's bases, every
// label row present, and the same bytes for the same seed.
TEST(SimulateGenome, IndexRegionsLabelsAndDeterminism) {
    const std::string a = scratch("sim_a"), b = scratch("sim_b"), c = scratch("sim_c");
    SimulateGenomeOptions o;
    o.regions = 300;
    o.length = 120;
    o.tfs = 5;
    o.seed = 7;
    o.out = a;
    const SimulateGenomeSummary summary = simulate_genome(o);
    EXPECT_EQ(summary.chromosomes, 8);
    ASSERT_EQ(summary.tasks.size(), 6u);
    EXPECT_EQ(summary.tasks.back(), "CA");
    o.out = b;
    simulate_genome(o);
    o.out = c;
    o.seed = 8;
    simulate_genome(o);
    for (const char *file : {"genome.fa", "genome.fa.fai", "regions.bed", "labels.tsv", "truth.json"})
        EXPECT_TRUE(read_file(a + "/" + file) == read_file(b + "/" + file)) << file;
    // The layout (index, BED) is the seed's to keep; the bases, labels and thresholds change with it.
    for (const char *file : {"genome.fa", "labels.tsv", "truth.json"})
        EXPECT_TRUE(read_file(a + "/" + file) != read_file(c + "/" + file)) << file;

    // Naive FASTA parse.
    std::map<std::string, std::string> genome;
    {
        std::istringstream in(read_file(a + "/genome.fa"));
        std::string line, name;
        while (std::getline(in, line)) {
            if (line[0] == '>')
                name = line.substr(1);
            else
                genome[name] += line;
        }
    }
    EXPECT_EQ(genome.size(), 8u);
    IndexedFasta fasta(a + "/genome.fa");
    for (const auto &[name, bases] : genome) {
        EXPECT_EQ(fasta.length(name), static_cast<int64_t>(bases.size()));
        EXPECT_EQ(fasta.fetch(name, 0, bases.size()), bases);
    }
    const std::vector<IsmRegion> regions = seqcnn_ism_regions(a + "/regions.bed", fasta, 120);
    ASSERT_EQ(regions.size(), 300u);
    for (const IsmRegion &r : regions) {
        // The window is the BED interval itself (length = the region's length).
        EXPECT_EQ(fasta.fetch(r.chrom, r.start, r.start + 120), genome[r.chrom].substr(r.start, 120))
            << r.name;
    }
    TsvReader labels(a + "/labels.tsv");
    ASSERT_EQ(labels.header().size(), 7u);
    EXPECT_EQ(labels.header()[0], "region");
    std::vector<int64_t> positives(6, 0);
    size_t rows = 0;
    while (labels.next()) {
        EXPECT_EQ(std::string(labels.field(0)), regions[rows].name);
        for (size_t k = 1; k < 7; ++k) positives[k - 1] += labels.field(k) == "1";
        ++rows;
    }
    EXPECT_EQ(rows, 300u);
    EXPECT_EQ(positives, summary.positives);
    for (int64_t p : positives) {
        EXPECT_GT(p, 10); // every task has positives and negatives
        EXPECT_LT(p, 290);
    }
    std::system(("rm -rf '" + a + "' '" + b + "' '" + c + "'").c_str());
}

// Planted motifs: regions bound by a TF hold a high-scoring window more often than unbound ones, checked
// with a plain string search for the motif's core on either strand.
TEST(SimulateGenome, BindingFollowsMotifs) {
    const std::string dir = scratch("sim_motif");
    SimulateGenomeOptions o;
    o.regions = 2000;
    o.length = 200;
    o.tfs = 1; // FOXA1, consensus TGTTTACWYW: count its fixed core TGTTTAC
    o.seed = 3;
    o.out = dir;
    simulate_genome(o);
    IndexedFasta fasta(dir + "/genome.fa");
    const std::vector<IsmRegion> regions = seqcnn_ism_regions(dir + "/regions.bed", fasta, 200);
    TsvReader labels(dir + "/labels.tsv");
    int bound = 0, bound_with = 0, unbound = 0, unbound_with = 0;
    for (size_t i = 0; labels.next(); ++i) {
        const std::string s = fasta.fetch(regions[i].chrom, regions[i].start, regions[i].start + 200);
        // Most planted copies keep most of the core; count a near match (at most one mismatch).
        auto near = [&](const std::string &core) {
            for (size_t p = 0; p + core.size() <= s.size(); ++p) {
                int mismatches = 0;
                for (size_t j = 0; j < core.size(); ++j) mismatches += s[p + j] != core[j];
                if (mismatches <= 1) return true;
            }
            return false;
        };
        const bool has = near("TGTTTAC") || near("GTAAACA");
        if (labels.field(1) == "1") {
            ++bound;
            bound_with += has;
        } else {
            ++unbound;
            unbound_with += has;
        }
    }
    ASSERT_GT(bound, 100);
    ASSERT_GT(unbound, 100);
    EXPECT_GT(static_cast<double>(bound_with) / bound, 0.8);
    EXPECT_LT(static_cast<double>(unbound_with) / unbound, 0.5);
    std::system(("rm -rf '" + dir + "'").c_str());
}

TEST(SimulateGenome, BadOptions) {
    SimulateGenomeOptions o;
    o.out = scratch("sim_bad");
    o.tfs = 99;
    EXPECT_THROW(simulate_genome(o), Error);
    o.tfs = 3;
    o.length = 10;
    EXPECT_THROW(simulate_genome(o), Error);
}

TEST(DeepmrSampling, DeterministicSubsetPerExposure) {
    std::vector<std::string> bound;
    for (int i = 0; i < 100; ++i) bound.push_back("r" + std::to_string(i));
    const auto a = deepmr_sample_regions(bound, 25, 1, "FOXA1");
    EXPECT_EQ(a, deepmr_sample_regions(bound, 25, 1, "FOXA1"));
    EXPECT_NE(a, deepmr_sample_regions(bound, 25, 2, "FOXA1"));
    EXPECT_NE(a, deepmr_sample_regions(bound, 25, 1, "REST"));
    ASSERT_EQ(a.size(), 25u);
    // Distinct, in the input's order.
    std::vector<size_t> index;
    for (const std::string &r : a) index.push_back(std::find(bound.begin(), bound.end(), r) - bound.begin());
    EXPECT_TRUE(std::is_sorted(index.begin(), index.end()));
    EXPECT_EQ(std::adjacent_find(index.begin(), index.end()), index.end());
    EXPECT_EQ(deepmr_sample_regions(bound, 500, 1, "FOXA1"), bound);
    // Every region is reachable: over many seeds each is sampled about 25% of the time.
    std::vector<int> hits(100, 0);
    for (uint64_t seed = 0; seed < 400; ++seed)
        for (const std::string &r : deepmr_sample_regions(bound, 25, seed, "X"))
            ++hits[std::stoi(r.substr(1))];
    for (int h : hits) EXPECT_NEAR(h / 400.0, 0.25, 0.1);
}

TEST(DeepmrSpearman, AgainstHandComputedRanks) {
    // Ranks of x: 1, 2.5, 2.5, 4; of y: 2, 1, 3, 4 -> Pearson of the ranks.
    const double r = spearman_correlation({1, 2, 2, 5}, {0.2, 0.1, 0.3, 0.9});
    const double rx[4] = {1, 2.5, 2.5, 4}, ry[4] = {2, 1, 3, 4};
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < 4; ++i) {
        sxy += (rx[i] - 2.5) * (ry[i] - 2.5);
        sxx += (rx[i] - 2.5) * (rx[i] - 2.5);
        syy += (ry[i] - 2.5) * (ry[i] - 2.5);
    }
    EXPECT_NEAR(r, sxy / std::sqrt(sxx * syy), 1e-12);
    EXPECT_DOUBLE_EQ(spearman_correlation({1, 2, 3}, {3, 2, 1}), -1.0);
    EXPECT_TRUE(std::isnan(spearman_correlation({1, 1, 1}, {1, 2, 3})));
}

// A small world and a small random model with dropout: the command end to end.
class DeepmrRun : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        world_ = scratch("world");
        SimulateGenomeOptions o;
        o.regions = 400;
        o.length = 100;
        o.tfs = 3;
        o.seed = 5;
        o.out = world_;
        simulate_genome(o);
        SeqcnnConfig c;
        c.sequence_length = 100;
        c.activation = SeqcnnActivation::Relu;
        c.conv_channels = {8};
        c.conv_kernels = {9};
        c.pools = {4};
        c.conv_dropout = {0.2};
        c.dense_units = {8, 4};
        c.dense_dropout = {0.3};
        c.tasks = {"FOXA1", "CTCF", "REST", "CA"};
        seqcnn_save(seqcnn_init(c, 11), world_ + "/model.safetensors");
    }
    static void TearDownTestSuite() { std::system(("rm -rf '" + world_ + "'").c_str()); }

    DeepmrOptions options(const std::string &out) const {
        DeepmrOptions o;
        o.model = world_ + "/model.safetensors";
        o.fasta = world_ + "/genome.fa";
        o.regions = world_ + "/regions.bed";
        o.labels = world_ + "/labels.tsv";
        o.exposures = {"FOXA1", "REST"};
        o.regions_per_exposure = 4;
        o.samples = 6;
        o.seed = 2;
        o.naive_regions = 100;
        o.truth = world_ + "/truth.json";
        o.out = out;
        return o;
    }
    static std::string world_;
};
std::string DeepmrRun::world_;

// Each region's Egger fit against weighted least squares written out here: variants oriented so that
// beta_exposure > 0, beta_outcome regressed on beta_exposure with an intercept, weights 1 / se_outcome^2.
TEST_F(DeepmrRun, RegionFitsMatchNaiveEggerRegression) {
    const std::string out = scratch("run_fit");
    DeepmrOptions o = options(out);
    // Every mutation with se > 0, as in the paper (the random model's effects are small).
    o.min_beta_exposure = 0;
    const DeepmrSummary s = deepmr_run(o);
    EXPECT_EQ(s.regions_computed, 8);
    EXPECT_EQ(s.regions_resumed, 0);

    struct Sums {
        double w = 0, wx = 0, wy = 0, wxx = 0, wxy = 0;
        int n = 0;
    };
    std::map<std::string, Sums> sums;
    TsvReader effects(out + "/effects.tsv.gz");
    const size_t c_bx = effects.column("beta_exposure"), c_by = effects.column("beta_outcome"),
                 c_sy = effects.column("se_outcome"), c_use = effects.column("instrument");
    int rows = 0;
    while (effects.next()) {
        ++rows;
        if (effects.field(c_use) != "1") continue;
        double bx = effects.number(c_bx), by = effects.number(c_by);
        const double w = 1 / std::pow(effects.number(c_sy), 2);
        if (bx < 0) {
            bx = -bx;
            by = -by;
        }
        Sums &z = sums[std::string(effects.field(0)) + "/" + std::string(effects.field(1))];
        z.w += w;
        z.wx += w * bx;
        z.wy += w * by;
        z.wxx += w * bx * bx;
        z.wxy += w * bx * by;
        ++z.n;
    }
    EXPECT_EQ(rows, 8 * 100 * 3); // every substitution of every region (no N in the simulated genome)
    TsvReader regions(out + "/regions.tsv");
    const std::vector<std::string> expected_header = {"exposure",  "region",       "method",
                                                      "estimate",  "se",           "pvalue",
                                                      "intercept", "intercept_se", "n_variants"};
    EXPECT_EQ(regions.header(), expected_header);
    int checked = 0;
    while (regions.next()) {
        const Sums &z = sums.at(std::string(regions.field(0)) + "/" + std::string(regions.field(1)));
        const double slope = (z.w * z.wxy - z.wx * z.wy) / (z.w * z.wxx - z.wx * z.wx);
        const double intercept = (z.wy - slope * z.wx) / z.w;
        EXPECT_EQ(regions.field(2), "Egger");
        EXPECT_NEAR(regions.number(3), slope, 1e-6 * std::max(1.0, std::abs(slope)));
        EXPECT_NEAR(regions.number(6), intercept, 1e-6 * std::max(1e-3, std::abs(intercept)));
        EXPECT_EQ(regions.number(8), z.n);
        ++checked;
    }
    EXPECT_EQ(checked, 8);
    TsvReader exposures(out + "/exposures.tsv");
    const std::vector<std::string> exposure_header = {
        "exposure", "method", "estimate", "se", "ci_low", "ci_high", "pvalue", "tau2", "tau", "i2", "q", "k"};
    EXPECT_EQ(exposures.header(), exposure_header);
    for (const char *figure :
         {"region_estimates_density", "exposure_estimates", "median_region_scatter", "planted_vs_estimated"})
        for (const char *ext : {".png", ".svg"})
            EXPECT_TRUE(exists(out + "/" + figure + ext)) << figure << ext;
    EXPECT_NE(read_file(out + "/summary.md").find("Against the planted effects"), std::string::npos);
    std::system(("rm -rf '" + out + "'").c_str());
}

// The instrument-strength rule: a mutation is an instrument only if |beta_exposure| >= the threshold, and a
// region left with fewer than Egger's 3 is a weak instrument: NA in regions.tsv, out of the meta-analysis
// (k), counted in summary.md. The threshold is put between two regions' third-strongest effects, so that
// exactly one region is weak; the rule is checked against effects.tsv.gz's own numbers.
TEST_F(DeepmrRun, WeakInstrumentRegionsAreLeftOutAndCounted) {
    const std::string out = scratch("run_weak");
    DeepmrOptions o = options(out);
    o.min_beta_exposure = 0;
    deepmr_run(o);
    std::map<std::string, std::vector<double>> strengths; // |beta_exposure| per region, se > 0 on both sides
    {
        TsvReader effects(out + "/effects.tsv.gz");
        const size_t c_bx = effects.column("beta_exposure"), c_sx = effects.column("se_exposure"),
                     c_sy = effects.column("se_outcome");
        while (effects.next())
            if (effects.number(c_sx) > 0 && effects.number(c_sy) > 0)
                strengths[std::string(effects.field(0)) + "/" + std::string(effects.field(1))].push_back(
                    std::abs(effects.number(c_bx)));
    }
    ASSERT_EQ(strengths.size(), 8u);
    std::vector<std::pair<double, std::string>> third; // each region's third-largest |beta_exposure|
    for (auto &[region, v] : strengths) {
        ASSERT_GE(v.size(), 3u);
        std::sort(v.rbegin(), v.rend());
        third.emplace_back(v[2], region);
    }
    std::sort(third.begin(), third.end());
    ASSERT_LT(third[0].first, third[1].first);
    const std::string weak_region = third[0].second;
    o.min_beta_exposure = (third[0].first + third[1].first) / 2;
    std::system(("rm -rf '" + out + "'").c_str());
    deepmr_run(o);

    TsvReader effects(out + "/effects.tsv.gz");
    const size_t c_bx = effects.column("beta_exposure"), c_sx = effects.column("se_exposure"),
                 c_sy = effects.column("se_outcome"), c_use = effects.column("instrument");
    std::map<std::string, int> instruments;
    while (effects.next()) {
        const bool expected = effects.number(c_sx) > 0 && effects.number(c_sy) > 0 &&
                              std::abs(effects.number(c_bx)) >= o.min_beta_exposure;
        EXPECT_EQ(effects.field(c_use), expected ? "1" : "0") << effects.where();
        instruments[std::string(effects.field(0)) + "/" + std::string(effects.field(1))] += expected;
    }
    TsvReader regions(out + "/regions.tsv");
    int weak = 0;
    while (regions.next()) {
        const std::string key = std::string(regions.field(0)) + "/" + std::string(regions.field(1));
        EXPECT_EQ(regions.number(8), instruments.at(key)) << key;
        if (key == weak_region) {
            EXPECT_LT(regions.number(8), 3);
            EXPECT_EQ(regions.field(3), "NA");
            ++weak;
        } else {
            EXPECT_GE(regions.number(8), 3) << key;
            EXPECT_TRUE(std::isfinite(regions.number(3))) << key;
        }
    }
    EXPECT_EQ(weak, 1);
    TsvReader exposures(out + "/exposures.tsv");
    const size_t c_k = exposures.column("k");
    while (exposures.next()) {
        const bool has_weak = weak_region.rfind(std::string(exposures.field(0)) + "/", 0) == 0;
        EXPECT_EQ(exposures.number(c_k), has_weak ? 3 : 4) << exposures.where();
    }
    EXPECT_NE(read_file(out + "/summary.md").find("1 of 8 regions are weak instruments"), std::string::npos);
    std::system(("rm -rf '" + out + "'").c_str());
}

// An interrupted run (some work files missing, no final tables) continues: the finished regions are read
// back, not recomputed, and every output has the same bytes as an uninterrupted run.
TEST_F(DeepmrRun, ResumesWithoutRecomputingAndSameBytes) {
    const std::string out = scratch("run_resume");
    DeepmrOptions o = options(out);
    o.min_z = 1.0;
    o.min_beta_exposure = 0;
    deepmr_run(o);
    std::map<std::string, std::string> first;
    for (const char *file : {"effects.tsv.gz", "regions.tsv", "exposures.tsv", "naive.tsv", "summary.md"}) {
        first[file] = read_file(out + "/" + file);
        std::remove((out + "/" + file).c_str());
    }
    // Drop three of the eight regions' work files.
    int dropped = 0;
    for (const char *exposure : {"FOXA1", "REST"}) {
        const std::string dir = out + "/work/" + exposure;
        FILE *ls = popen(("ls '" + dir + "'").c_str(), "r");
        char name[256];
        while (dropped < (exposure[0] == 'F' ? 2 : 3) && fgets(name, sizeof(name), ls)) {
            std::string file(name);
            file.pop_back();
            std::remove((dir + "/" + file).c_str());
            ++dropped;
        }
        pclose(ls);
    }
    ASSERT_EQ(dropped, 3);
    const DeepmrSummary s = deepmr_run(o);
    EXPECT_EQ(s.regions_computed, 3);
    EXPECT_EQ(s.regions_resumed, 5);
    for (const auto &[file, bytes] : first) EXPECT_EQ(read_file(out + "/" + file), bytes) << file;

    // Other settings into the same folder: refused rather than mixed.
    o.samples = 7;
    try {
        deepmr_run(o);
        ADD_FAILURE() << "expected an error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("settings.json"), std::string::npos) << e.what();
    }
    std::system(("rm -rf '" + out + "'").c_str());
}

TEST_F(DeepmrRun, BadInputNamesTheFault) {
    const std::string out = scratch("run_bad");
    auto expect_error = [&](DeepmrOptions o, const std::string &needle) {
        try {
            deepmr_run(o);
            ADD_FAILURE() << "expected an error containing " << needle;
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
        EXPECT_FALSE(exists(out + "/exposures.tsv"));
    };
    DeepmrOptions o = options(out);
    o.exposures = {"FOXA1", "GATA9"};
    expect_error(o, "GATA9");
    o = options(out);
    o.exposures = {"CA"};
    expect_error(o, "outcome");
    o = options(out);
    o.outcome = "DNase";
    expect_error(o, "DNase");
    // A label that is not 0/1, named by file and line.
    const std::string labels = out + "_labels.tsv";
    {
        std::ofstream f(labels);
        f << "region\tFOXA1\tREST\n"
          << "r000001\t1\t0\n"
          << "r000002\t2\t1\n";
    }
    o = options(out);
    o.labels = labels;
    expect_error(o, labels + ":3");
    // A labelled region missing from the BED.
    {
        std::ofstream f(labels);
        f << "region\tFOXA1\tREST\n"
          << "nowhere\t1\t0\n";
    }
    expect_error(o, "nowhere");
    std::remove(labels.c_str());
    std::system(("rm -rf '" + out + "'").c_str());
}

} // namespace
} // namespace causeway::deepmr
