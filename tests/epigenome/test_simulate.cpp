// simulate-epigenome -> prepare round trip: the planted signal is where truth.json says, the targets follow
// the planted rule, a linear model falls clearly short of the rule, and the simulation is deterministic.
#include <cmath>
#include <fstream>
#include <memory>
#include <numeric>

#include <nlohmann/json.hpp>

#include "causeway/dataset.h"
#include "causeway/epigenome/prepare.h"
#include "causeway/epigenome/simulate.h"
#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "epigenome_test_util.h"

namespace causeway::epigenome {
namespace {

using testing::read_bytes;
using testing::ScratchDir;

class SimulateRoundTrip : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scratch_ = new ScratchDir();
        SimulateOptions simulate;
        simulate.out_dir = *scratch_ / "sim";
        simulate.genes = 1500;
        simulate.seed = 7;
        simulate.progress = false;
        summary_ = simulate_epigenome(simulate);
        PrepareOptions prepare;
        prepare.manifest = *scratch_ / "sim/tracks.tsv";
        prepare.annotation = *scratch_ / "sim/genes.gtf";
        prepare.expression = *scratch_ / "sim/tpm.tsv";
        prepare.out = *scratch_ / "D.safetensors";
        prepare.progress = false;
        prepare_summary_ = prepare_dataset(prepare);
        dataset_ = new Dataset(prepare.out);
        std::ifstream in(*scratch_ / "sim/truth.json");
        truth_ = new nlohmann::json(nlohmann::json::parse(in));
    }
    static void TearDownTestSuite() {
        delete dataset_;
        delete truth_;
        delete scratch_;
    }
    static ScratchDir *scratch_;
    static SimulateSummary summary_;
    static PrepareSummary prepare_summary_;
    static Dataset *dataset_;
    static nlohmann::json *truth_;
};
ScratchDir *SimulateRoundTrip::scratch_ = nullptr;
SimulateSummary SimulateRoundTrip::summary_;
PrepareSummary SimulateRoundTrip::prepare_summary_;
Dataset *SimulateRoundTrip::dataset_ = nullptr;
nlohmann::json *SimulateRoundTrip::truth_ = nullptr;

TEST_F(SimulateRoundTrip, DatasetHasEveryGeneCellAndMark) {
    const Dataset &d = *dataset_;
    EXPECT_EQ(d.genes(), 1500);
    EXPECT_EQ(d.cells(), 12);
    EXPECT_EQ(d.mark_names(), default_marks());
    EXPECT_EQ(d.bins(), 200);
    EXPECT_EQ(d.window(), 10000);
    EXPECT_EQ(d.bin_size(), 100);
    EXPECT_TRUE(prepare_summary_.notes.empty());
    // Every track's source is recorded, relative paths resolved against the manifest's folder.
    SafetensorsFile file(*scratch_ / "D.safetensors");
    EXPECT_EQ(file.metadata("track:blood_2:H3K27ac"), *scratch_ / "sim/tracks/blood_2.H3K27ac.bigWig");
    EXPECT_EQ(file.metadata("impute"), "none");
    // Versioned ids in the GTF matched the bare ids of the expression table: no target is unknown.
    for (int64_t g = 0; g < d.genes(); ++g)
        for (int c = 0; c < d.cells(); ++c) ASSERT_FALSE(std::isnan(d.targets(g)[c]));
    EXPECT_EQ((*truth_)["gene_truth"].size(), 1500u);
    EXPECT_EQ((*truth_)["gene_truth"][0]["gene_id"], d.gene_table()[0].gene_id);
}

// Mean input of one mark over a region (bases from the TSS, downstream positive) of a (gene, cell).
double region_mean(const Dataset &d, int64_t gene, int cell, int mark, int from_bp, int to_bp) {
    const int tss_bin = d.window() / d.bin_size();
    int first = std::max(0, tss_bin + from_bp / d.bin_size()),
        last = std::min(d.bins(), tss_bin + to_bp / d.bin_size());
    const float *x = d.inputs(gene) + (static_cast<int64_t>(cell) * d.marks() + mark) * d.bins();
    double sum = 0;
    for (int i = first; i < last; ++i) sum += x[i];
    return sum / (last - first);
}

TEST_F(SimulateRoundTrip, PlantedSignalIsWhereTruthSays) {
    const Dataset &d = *dataset_;
    const double expressed = std::log1p(20.0), silent = std::log1p(0.5);
    for (auto &entry : (*truth_)["marks"]) {
        const std::string mark_name = entry["mark"];
        const int mark = static_cast<int>(std::find(d.mark_names().begin(), d.mark_names().end(), mark_name) -
                                          d.mark_names().begin());
        ASSERT_LT(mark, d.marks()) << mark_name;
        const int from = entry["region_bp"][0], to = entry["region_bp"][1];
        double on = 0, off = 0;
        int on_count = 0, off_count = 0;
        for (int64_t g = 0; g < d.genes(); ++g)
            for (int c = 0; c < d.cells(); ++c) {
                double y = d.targets(g)[c];
                if (y > expressed) on += region_mean(d, g, c, mark, from, to), ++on_count;
                if (y < silent) off += region_mean(d, g, c, mark, from, to), ++off_count;
            }
        ASSERT_GT(on_count, 1000);
        ASSERT_GT(off_count, 1000);
        on /= on_count;
        off /= off_count;
        if (entry["effect"] == "raises")
            EXPECT_GT(on, 1.5 * off + 0.1) << mark_name << " expressed " << on << " silent " << off;
        else
            EXPECT_GT(off, 1.3 * on + 0.05) << mark_name << " expressed " << on << " silent " << off;
        // Away from the gene (the far upstream flank), the mark is no different between the two groups.
        if (from > -8000) {
            double far_on = 0, far_off = 0;
            for (int64_t g = 0; g < d.genes(); ++g)
                for (int c = 0; c < d.cells(); ++c) {
                    double y = d.targets(g)[c];
                    if (y > expressed) far_on += region_mean(d, g, c, mark, -10000, -8500);
                    if (y < silent) far_off += region_mean(d, g, c, mark, -10000, -8500);
                }
            far_on /= on_count;
            far_off /= off_count;
            EXPECT_LT(std::abs(far_on - far_off), 0.5 * std::abs(on - off)) << mark_name;
        }
    }
}

TEST_F(SimulateRoundTrip, TargetsFollowThePlantedRule) {
    const Dataset &d = *dataset_;
    double rule_r2 = (*truth_)["rule"]["rule_r2"];
    EXPECT_NEAR(rule_r2, summary_.rule_r2, 1e-4);
    double mean = 0;
    int64_t n = d.genes() * d.cells();
    for (int64_t i = 0; i < n; ++i) mean += d.targets()[i];
    mean /= static_cast<double>(n);
    double total = 0, residual = 0;
    for (int64_t g = 0; g < d.genes(); ++g)
        for (int c = 0; c < d.cells(); ++c) {
            double rule = (*truth_)["gene_truth"][g]["rule_log1p_tpm"][c];
            double y = d.targets(g)[c];
            total += (y - mean) * (y - mean);
            residual += (y - rule) * (y - rule);
        }
    EXPECT_NEAR(1 - residual / total, rule_r2, 2e-3);
    // Learnable, with room for noise.
    EXPECT_GT(rule_r2, 0.8);
    EXPECT_LT(rule_r2, 0.99);
}

// Ridge regression on 6 marks x 20 coarse bins (1 kb) of a cell's own window: trained on even genes,
// scored on odd ones.
double linear_model_r2(const Dataset &d) {
    constexpr int coarse = 20;
    const int features = d.marks() * coarse + 1;
    auto row = [&](int64_t g, int c, std::vector<double> &x) {
        x.assign(static_cast<size_t>(features), 0.0);
        const int per = d.bins() / coarse;
        for (int m = 0; m < d.marks(); ++m) {
            const float *in = d.inputs(g) + (static_cast<int64_t>(c) * d.marks() + m) * d.bins();
            for (int i = 0; i < d.bins(); ++i) x[static_cast<size_t>(m * coarse + i / per)] += in[i] / per;
        }
        x.back() = 1;
    };
    std::vector<double> gram(static_cast<size_t>(features * features), 0.0),
        rhs(static_cast<size_t>(features), 0.0), x;
    for (int64_t g = 0; g < d.genes(); g += 2)
        for (int c = 0; c < d.cells(); ++c) {
            row(g, c, x);
            double y = d.targets(g)[c];
            for (int i = 0; i < features; ++i) {
                rhs[i] += x[i] * y;
                for (int j = 0; j <= i; ++j) gram[i * features + j] += x[i] * x[j];
            }
        }
    for (int i = 0; i < features; ++i) gram[i * features + i] += 1e-3 * (gram[i * features + i] + 1);
    // Cholesky (lower triangle), then two triangular solves.
    for (int j = 0; j < features; ++j) {
        double s = gram[j * features + j];
        for (int k = 0; k < j; ++k) s -= gram[j * features + k] * gram[j * features + k];
        gram[j * features + j] = std::sqrt(s);
        for (int i = j + 1; i < features; ++i) {
            double t = gram[i * features + j];
            for (int k = 0; k < j; ++k) t -= gram[i * features + k] * gram[j * features + k];
            gram[i * features + j] = t / gram[j * features + j];
        }
    }
    std::vector<double> beta(rhs);
    for (int i = 0; i < features; ++i) {
        for (int k = 0; k < i; ++k) beta[i] -= gram[i * features + k] * beta[k];
        beta[i] /= gram[i * features + i];
    }
    for (int i = features - 1; i >= 0; --i) {
        for (int k = i + 1; k < features; ++k) beta[i] -= gram[k * features + i] * beta[k];
        beta[i] /= gram[i * features + i];
    }
    double mean = 0, count = 0;
    for (int64_t g = 1; g < d.genes(); g += 2)
        for (int c = 0; c < d.cells(); ++c) mean += d.targets(g)[c], ++count;
    mean /= count;
    double total = 0, residual = 0;
    for (int64_t g = 1; g < d.genes(); g += 2)
        for (int c = 0; c < d.cells(); ++c) {
            row(g, c, x);
            double predicted = std::inner_product(x.begin(), x.end(), beta.begin(), 0.0);
            double y = d.targets(g)[c];
            total += (y - mean) * (y - mean);
            residual += (y - predicted) * (y - predicted);
        }
    return 1 - residual / total;
}

TEST_F(SimulateRoundTrip, LinearModelFallsClearlyShortOfTheRule) {
    double linear = linear_model_r2(*dataset_);
    double rule = (*truth_)["rule"]["rule_r2"];
    RecordProperty("linear_r2", std::to_string(linear));
    RecordProperty("rule_r2", std::to_string(rule));
    std::printf("held-out R^2: linear model %.3f, planted rule %.3f\n", linear, rule);
    EXPECT_GT(linear, 0.3);        // there is signal to learn
    EXPECT_LT(linear, rule - 0.1); // but not linearly
}

TEST(Simulate, SameSeedSameBytes) {
    ScratchDir scratch;
    SimulateOptions options;
    options.genes = 60;
    options.cells = 4;
    options.seed = 11;
    options.progress = false;
    options.out_dir = scratch / "a";
    options.threads = 2;
    simulate_epigenome(options);
    options.out_dir = scratch / "b";
    options.threads = 1;
    simulate_epigenome(options);
    options.out_dir = scratch / "c";
    options.seed = 12;
    simulate_epigenome(options);
    std::vector<std::string> files = {"genes.gtf", "tpm.tsv", "tracks.tsv", "truth.json",
                                      "genome.chrom.sizes"};
    for (const char *cell : {"pluripotent_1", "somatic_1", "blood_1", "pluripotent_2"})
        for (auto &mark : default_marks())
            files.push_back(std::string("tracks/") + cell + "." + mark + ".bigWig");
    bool any_difference = false;
    for (auto &file : files) {
        std::string a = read_bytes(scratch / ("a/" + file));
        ASSERT_FALSE(a.empty()) << file;
        EXPECT_EQ(a, read_bytes(scratch / ("b/" + file))) << file;
        any_difference = any_difference || a != read_bytes(scratch / ("c/" + file));
    }
    EXPECT_TRUE(any_difference);
}

TEST(Simulate, GenomeScaleAndLayout) {
    ScratchDir scratch;
    SimulateOptions options;
    options.genes = 30;
    options.cells = 2;
    options.genome_scale = 0.01;
    options.progress = false;
    options.out_dir = scratch / "sim";
    SimulateSummary summary = simulate_epigenome(options);
    EXPECT_NEAR(summary.genome_length, 0.01 * 3031042417.0, 30); // GRCh38 chr1..chr22, chrX
    BigWigReader track(scratch / "sim/tracks/pluripotent_1.H3K4me3.bigWig");
    ASSERT_EQ(track.chromosomes().size(), 23u);
    EXPECT_EQ(track.chromosomes()[0].name, "chr1");
    EXPECT_EQ(track.chromosomes()[0].length, 2489564u);
    EXPECT_EQ(track.chromosomes()[22].name, "chrX");
    // Genes on both strands.
    std::string gtf = read_bytes(scratch / "sim/genes.gtf");
    EXPECT_NE(gtf.find("\t+\t.\tgene_id"), std::string::npos);
    EXPECT_NE(gtf.find("\t-\t.\tgene_id"), std::string::npos);
    // Too many genes for the genome: a clear error.
    options.genes = 200000;
    options.genome_scale = 0.001;
    options.out_dir = scratch / "small";
    try {
        simulate_epigenome(options);
        FAIL() << "expected an error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("raise --genome-scale"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace causeway::epigenome
