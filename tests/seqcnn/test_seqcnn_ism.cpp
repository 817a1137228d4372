// causeway ism end to end: a tiny genome (plain and bgzip FASTA, indexed by htslib as samtools faidx
// would) and BED regions made here, the command's TSV checked against a direct computation: every mutant
// built from the FASTA window and run on its own through the forward pass, beta and se from the paper's
// formula under the same shared masks.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#include <htslib/faidx.h>

#include "causeway/seqcnn_ism.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_network.h"

#include "direct_prediction.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;
const std::string kCauseway = CAUSEWAY_BINARY;
const std::string kModel = kFixtures + "/relu_same_dense3.model.safetensors"; // L = 37, 5 tasks

// Deterministic bases with a soft-masked (lowercase) stretch and an N.
std::string make_chromosome(int length, uint64_t seed) {
    std::string s(length, 'A');
    for (int i = 0; i < length; ++i)
        s[i] = "ACGT"[static_cast<int>(seqcnn_uniform(seqcnn_stream_key(seed, 0), i) * 4)];
    for (int i = 20; i < 30 && i < length; ++i) s[i] = static_cast<char>(s[i] - 'A' + 'a');
    return s;
}

struct Genome {
    std::string folder;
    std::map<std::string, std::string> chromosomes{{"chr1", make_chromosome(100, 1)},
                                                   {"2", make_chromosome(60, 2)}};
    Genome() {
        char name[] = "/tmp/causeway_ism_XXXXXX";
        folder = mkdtemp(name);
        chromosomes["chr1"][60] = 'N';
        std::string fasta;
        for (const auto &[chrom, bases] : chromosomes) {
            fasta += ">" + chrom + " test\n";
            for (size_t i = 0; i < bases.size(); i += 30) fasta += bases.substr(i, 30) + "\n";
        }
        std::ofstream(folder + "/genome.fa") << fasta;
        EXPECT_EQ(fai_build((folder + "/genome.fa").c_str()), 0);
        BGZF *bgzf = bgzf_open((folder + "/genome.fa.gz").c_str(), "w");
        EXPECT_EQ(bgzf_write(bgzf, fasta.data(), fasta.size()), static_cast<ssize_t>(fasta.size()));
        EXPECT_EQ(bgzf_close(bgzf), 0);
        EXPECT_EQ(fai_build((folder + "/genome.fa.gz").c_str()), 0);
        // Centres 45, 70 and 30: windows chr1:27-64 (holds the N at 60), chr1:52-89 and 2:12-49, the
        // latter two named across chromosome styles.
        std::ofstream(folder + "/regions.bed")
            << "# test regions\nchr1\t40\t50\tpeakA\t0\t+\n1\t70\t71\nchr2\t20\t40\n";
    }
    ~Genome() { std::system(("rm -rf " + folder).c_str()); }
};

struct Row {
    std::string region, ref, alt, task;
    int64_t position;
    double beta, se;
};

std::vector<Row> run_ism(const Genome &g, const std::string &fasta, const std::string &args) {
    const std::string out = g.folder + "/effects.tsv";
    std::remove(out.c_str());
    const std::string command =
        "CAUSEWAY_QUIET=1 " + kCauseway + " ism --model " + kModel + " --fasta " + fasta + " --regions " +
        g.folder + "/regions.bed --tasks 'cell1|factor4,cell0|factor0' " + args + " --out " + out;
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "region\tposition\tref\talt\ttask\tbeta\tse");
    std::vector<Row> rows;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        Row r;
        fields >> r.region >> r.position >> r.ref >> r.alt >> r.task >> r.beta >> r.se;
        rows.push_back(r);
    }
    return rows;
}

struct Window {
    std::string region, chrom;
    int64_t start;
};

void check_against_direct(const std::vector<Row> &rows, const Genome &g, int samples, uint64_t seed,
                          bool rc) {
    const SeqcnnModel model = seqcnn_load(kModel);
    SeqcnnNetwork network(model);
    const int length = model.config.sequence_length;
    const std::vector<Window> windows{
        {"peakA", "chr1", 27}, {"1:70-71", "chr1", 52}, {"chr2:20-40", "2", 12}};
    const std::vector<std::pair<std::string, int>> tasks{{"cell1|factor4", 4}, {"cell0|factor0", 0}};
    const int passes = std::max(samples, 1);
    size_t row = 0;
    for (const Window &w : windows) {
        const std::string bases = g.chromosomes.at(w.chrom).substr(w.start, length);
        const std::vector<float> reference = seqcnn_one_hot(bases);
        std::vector<std::vector<double>> f_ref(passes);
        for (int n = 0; n < passes; ++n)
            f_ref[n] = testing::predict_direct(network, reference, samples ? n : -1, seed, rc);
        for (int x = 0; x < length; ++x) {
            const int ref = std::string("ACGT").find(static_cast<char>(std::toupper(bases[x])));
            if (ref < 0) continue; // N: never mutated
            for (int alt = 0; alt < 4; ++alt) {
                if (alt == ref) continue;
                std::vector<float> mutant = reference;
                mutant[ref * length + x] = 0.f;
                mutant[alt * length + x] = 1.f;
                std::vector<double> sum(2, 0.0), squares(2, 0.0);
                for (int n = 0; n < passes; ++n) {
                    const std::vector<double> f =
                        testing::predict_direct(network, mutant, samples ? n : -1, seed, rc);
                    for (int t = 0; t < 2; ++t) {
                        const double d = f[tasks[t].second] - f_ref[n][tasks[t].second];
                        sum[t] += d;
                        squares[t] += d * d;
                    }
                }
                for (int t = 0; t < 2; ++t, ++row) {
                    ASSERT_LT(row, rows.size());
                    const Row &r = rows[row];
                    EXPECT_EQ(r.region, w.region);
                    EXPECT_EQ(r.position, w.start + x);
                    EXPECT_EQ(r.ref, std::string(1, "ACGT"[ref]));
                    EXPECT_EQ(r.alt, std::string(1, "ACGT"[alt]));
                    EXPECT_EQ(r.task, tasks[t].first);
                    const double beta = sum[t] / passes;
                    const double se = std::sqrt(std::max(0.0, squares[t] / passes - beta * beta));
                    EXPECT_NEAR(r.beta, beta, 1e-6) << w.region << " " << x << " task " << t;
                    if (samples == 0)
                        EXPECT_EQ(r.se, 0.0);
                    else
                        EXPECT_NEAR(r.se, se, 1e-6) << w.region << " " << x << " task " << t;
                }
            }
        }
    }
    EXPECT_EQ(row, rows.size());
    // 3 windows of 37 bases, the N at chr1:60 in the first two: (3 * 37 - 2) * 3 substitutions, 2 tasks each.
    EXPECT_EQ(rows.size(), size_t((3 * 37 - 2) * 3 * 2));
}

TEST(SeqcnnIsm, EqualsDirectComputationWithSharedMasks) {
    Genome g;
    check_against_direct(run_ism(g, g.folder + "/genome.fa", "--samples 3 --seed 11"), g, 3, 11, false);
}

TEST(SeqcnnIsm, SamplesZeroIsDeterministicWithZeroSe) {
    Genome g;
    check_against_direct(run_ism(g, g.folder + "/genome.fa", "--samples 0"), g, 0, 0, false);
}

TEST(SeqcnnIsm, ReverseComplementAverage) {
    Genome g;
    check_against_direct(run_ism(g, g.folder + "/genome.fa", "--samples 2 --seed 5 --reverse-complement"), g,
                         2, 5, true);
}

TEST(SeqcnnIsm, BgzipFastaReadsTheSame) {
    Genome g;
    const std::vector<Row> plain = run_ism(g, g.folder + "/genome.fa", "--samples 2 --seed 3");
    const std::vector<Row> bgzip = run_ism(g, g.folder + "/genome.fa.gz", "--samples 2 --seed 3");
    ASSERT_EQ(plain.size(), bgzip.size());
    for (size_t i = 0; i < plain.size(); ++i) {
        EXPECT_EQ(plain[i].position, bgzip[i].position);
        EXPECT_EQ(plain[i].beta, bgzip[i].beta);
        EXPECT_EQ(plain[i].se, bgzip[i].se);
    }
}

TEST(SeqcnnIsm, BgzipFastaWithoutGziIsAClearError) {
    Genome g;
    const std::string fasta = g.folder + "/genome.fa.gz", out = g.folder + "/effects.tsv";
    std::remove((fasta + ".gzi").c_str());
    const std::string command =
        "CAUSEWAY_QUIET=1 " + kCauseway + " ism --model " + kModel + " --fasta " + fasta + " --regions " +
        g.folder + "/regions.bed --tasks 'cell0|factor0' --out " + out + " 2>" + g.folder + "/err";
    EXPECT_NE(std::system(command.c_str()), 0);
    std::ifstream err(g.folder + "/err");
    const std::string message((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    EXPECT_NE(message.find("causeway ism: the bgzip FASTA has no index " + fasta + ".gzi"), std::string::npos)
        << message;
    EXPECT_FALSE(std::ifstream(out).good());
}

TEST(SeqcnnIsm, OneHotOfBases) {
    const std::vector<float> x = seqcnn_one_hot("AcgTNr");
    const std::vector<float> expected{1, 0, 0, 0, 0, 0, //
                                      0, 1, 0, 0, 0, 0, //
                                      0, 0, 1, 0, 0, 0, //
                                      0, 0, 0, 1, 0, 0};
    EXPECT_EQ(x, expected);
}

} // namespace
} // namespace causeway
