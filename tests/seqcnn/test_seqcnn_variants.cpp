// causeway score-variants end to end: a tiny genome (indexed by htslib as samtools faidx would) and a VCF
// made here, the command's TSV checked against a direct computation: each variant's window cut from the
// genome strings and one-hot encoded here (N beyond the chromosome ends), reference and alternate run one
// at a time through the forward pass under each MC sample's masks, and ref_prob, alt_prob, effect, se, z
// formed from the paper's formulas. The VCF output is read back with htslib.
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
#include <htslib/faidx.h>
#include <htslib/hts.h>
#include <htslib/vcf.h>

#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_network.h"

#include "direct_prediction.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;
const std::string kCauseway = CAUSEWAY_BINARY;
const std::string kModel = kFixtures + "/relu_same_dense3.model.safetensors"; // L = 37, 5 tasks
const std::vector<std::string> kTasks{"cell0|factor0", "cell1|factor1", "cell2|factor2", "cell0|factor3",
                                      "cell1|factor4"};
constexpr int kLength = 37;

std::string make_chromosome(int length, uint64_t seed) {
    std::string s(length, 'A');
    for (int i = 0; i < length; ++i)
        s[i] = "ACGT"[static_cast<int>(seqcnn_uniform(seqcnn_stream_key(seed, 0), i) * 4)];
    for (int i = 20; i < 30 && i < length; ++i) s[i] = static_cast<char>(std::tolower(s[i]));
    return s;
}

char other_base(char base, int step = 1) {
    const std::string bases = "ACGT";
    return bases[(bases.find(static_cast<char>(std::toupper(base))) + step) % 4];
}

std::string read_text(const std::string &path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// An expected scored allele: the genome it lies on (FASTA names), its 0-based position and ALT, and its
// window's start.
struct Expected {
    std::string vcf_chrom, fasta_chrom;
    int64_t position;
    char alt;
    int64_t window_start;
};

struct Fixture {
    std::string folder;
    std::map<std::string, std::string> chromosomes{{"chr1", make_chromosome(100, 1)},
                                                   {"2", make_chromosome(60, 2)}};
    std::string vcf;              // path of the VCF below
    std::vector<Expected> scored; // in input order
    int records = 0;

    Fixture() {
        char name[] = "/tmp/causeway_variants_XXXXXX";
        folder = mkdtemp(name);
        std::string &c1 = chromosomes["chr1"];
        const std::string &c2 = chromosomes["2"];
        c1[60] = 'N';
        std::string fasta;
        for (const auto &[chrom, bases] : chromosomes) {
            fasta += ">" + chrom + "\n";
            for (size_t i = 0; i < bases.size(); i += 30) fasta += bases.substr(i, 30) + "\n";
        }
        std::ofstream(folder + "/genome.fa") << fasta;
        EXPECT_EQ(fai_build((folder + "/genome.fa").c_str()), 0);

        // VCF names 1 and chr2 against the FASTA's chr1 and 2.
        std::string text = "##fileformat=VCFv4.2\n##contig=<ID=1,length=100>\n##contig=<ID=chr2,length=60>\n"
                           "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
                           "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        auto upper = [](char b) { return static_cast<char>(std::toupper(b)); };
        auto add = [&](const std::string &chrom, int pos, const std::string &id, const std::string &ref,
                       const std::string &alts) {
            text += chrom + "\t" + std::to_string(pos) + "\t" + id + "\t" + ref + "\t" + alts +
                    "\t50\tPASS\tDP=7\n";
            ++records;
        };
        auto expect = [&](const std::string &vcf_chrom, const std::string &fasta_chrom, int pos, char alt) {
            scored.push_back({vcf_chrom, fasta_chrom, pos - 1, alt, pos - 1 - kLength / 2});
        };
        // An SNV in the middle of chr1.
        add("1", 50, "rs1", std::string(1, upper(c1[49])), std::string(1, other_base(c1[49])));
        expect("1", "chr1", 50, other_base(c1[49]));
        // Multi-allelic: all three substitutions, one window.
        add("1", 70, "rs2", std::string(1, upper(c1[69])),
            std::string(1, other_base(c1[69], 1)) + "," + other_base(c1[69], 2) + "," +
                other_base(c1[69], 3));
        for (int step = 1; step <= 3; ++step) expect("1", "chr1", 70, other_base(c1[69], step));
        // Near both chromosome ends: padded with N.
        add("1", 3, ".", std::string(1, upper(c1[2])), std::string(1, other_base(c1[2])));
        expect("1", "chr1", 3, other_base(c1[2]));
        add("chr2", 59, "rs4", std::string(1, upper(c2[58])), std::string(1, other_base(c2[58])));
        expect("chr2", "2", 59, other_base(c2[58]));
        // Skipped with a reason: a deletion, a symbolic allele.
        add("1", 80, "del", std::string(1, upper(c1[79])) + upper(c1[80]), std::string(1, upper(c1[79])));
        add("1", 85, "sv", std::string(1, upper(c1[84])), "<DEL>");
        // An SNV and an insertion in one record: the SNV scored.
        add("1", 90, "mix", std::string(1, upper(c1[89])),
            std::string(1, other_base(c1[89])) + "," + upper(c1[89]) + "T");
        expect("1", "chr1", 90, other_base(c1[89]));
        // Soft-masked (lowercase) in the genome, REF in lowercase too.
        add("1", 25, "soft", std::string(1, c1[24]), std::string(1, other_base(c1[24])));
        expect("1", "chr1", 25, other_base(c1[24]));
        // The genome's N: cannot be substituted.
        add("1", 61, "n", "N", "A");
        vcf = folder + "/variants.vcf";
        std::ofstream(vcf) << text;
    }
    ~Fixture() { std::system(("rm -rf " + folder).c_str()); }
};

struct Row {
    std::string chrom, id, ref, alt, task, z;
    int64_t pos;
    double ref_prob, alt_prob, effect, se;
};

int run_command(const Fixture &f, const std::string &args) {
    const std::string command = "CAUSEWAY_QUIET=1 " + kCauseway + " score-variants --model " + kModel +
                                " --fasta " + f.folder + "/genome.fa " + args + " 2>" + f.folder + "/err";
    return std::system(command.c_str());
}

std::vector<Row> read_rows(const std::string &path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "chrom\tpos\tid\tref\talt\ttask\tref_prob\talt_prob\teffect\tse\tz");
    std::vector<Row> rows;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        Row r;
        fields >> r.chrom >> r.pos >> r.id >> r.ref >> r.alt >> r.task >> r.ref_prob >> r.alt_prob >>
            r.effect >> r.se >> r.z;
        rows.push_back(r);
    }
    return rows;
}

std::vector<Row> score(const Fixture &f, const std::string &args, const std::string &vcf = "") {
    const std::string out = f.folder + "/scores.tsv";
    std::remove(out.c_str());
    EXPECT_EQ(run_command(f, "--vcf " + (vcf.empty() ? f.vcf : vcf) + " --out " + out + " " + args), 0)
        << read_text(f.folder + "/err");
    return read_rows(out);
}

// The test's own one-hot of a window: bases outside the chromosome are N (all zero).
std::vector<float> window_one_hot(const std::string &chromosome, int64_t start) {
    std::vector<float> x(4 * kLength, 0.f);
    for (int i = 0; i < kLength; ++i) {
        const int64_t g = start + i;
        if (g < 0 || g >= static_cast<int64_t>(chromosome.size())) continue;
        const size_t b = std::string("ACGT").find(static_cast<char>(std::toupper(chromosome[g])));
        if (b != std::string::npos) x[b * kLength + i] = 1.f;
    }
    return x;
}

// rows: every task of every expected allele, in order.
void check_against_direct(const std::vector<Row> &rows, const Fixture &f, const std::vector<Expected> &scored,
                          int samples, uint64_t seed, bool rc) {
    const SeqcnnModel model = seqcnn_load(kModel);
    SeqcnnNetwork network(model);
    ASSERT_EQ(rows.size(), scored.size() * kTasks.size());
    const int passes = std::max(samples, 1);
    for (size_t v = 0; v < scored.size(); ++v) {
        const Expected &e = scored[v];
        const std::string &chromosome = f.chromosomes.at(e.fasta_chrom);
        const std::vector<float> reference = window_one_hot(chromosome, e.window_start);
        std::vector<float> mutant = reference;
        const int x = static_cast<int>(e.position - e.window_start);
        for (int b = 0; b < 4; ++b) mutant[b * kLength + x] = 0.f;
        mutant[std::string("ACGT").find(e.alt) * kLength + x] = 1.f;
        std::vector<double> ref_sum(kTasks.size()), alt_sum(kTasks.size()), d_sum(kTasks.size()),
            d_squares(kTasks.size());
        for (int n = 0; n < passes; ++n) {
            const std::vector<double> r =
                testing::predict_direct(network, reference, samples ? n : -1, seed, rc);
            const std::vector<double> a =
                testing::predict_direct(network, mutant, samples ? n : -1, seed, rc);
            for (size_t t = 0; t < kTasks.size(); ++t) {
                ref_sum[t] += r[t];
                alt_sum[t] += a[t];
                d_sum[t] += a[t] - r[t];
                d_squares[t] += (a[t] - r[t]) * (a[t] - r[t]);
            }
        }
        for (size_t t = 0; t < kTasks.size(); ++t) {
            const Row &row = rows[v * kTasks.size() + t];
            const std::string what =
                e.vcf_chrom + ":" + std::to_string(e.position + 1) + " " + e.alt + " " + kTasks[t];
            EXPECT_EQ(row.chrom, e.vcf_chrom) << what;
            EXPECT_EQ(row.pos, e.position + 1) << what;
            EXPECT_EQ(row.alt, std::string(1, e.alt)) << what;
            EXPECT_EQ(row.task, kTasks[t]) << what;
            const double effect = d_sum[t] / passes;
            const double se = std::sqrt(std::max(0.0, d_squares[t] / passes - effect * effect));
            EXPECT_NEAR(row.ref_prob, ref_sum[t] / passes, 1e-6) << what;
            EXPECT_NEAR(row.alt_prob, alt_sum[t] / passes, 1e-6) << what;
            // A few float rounding steps of a probability (float epsilon 1.2e-7).
            EXPECT_NEAR(row.effect, effect, 3e-7) << what;
            if (samples == 0) {
                EXPECT_EQ(row.se, 0.0) << what;
                EXPECT_EQ(row.z, "NA") << what;
            } else {
                EXPECT_NEAR(row.se, se, 1e-6) << what;
                EXPECT_GT(row.se, 0.0) << what;
                EXPECT_NEAR(std::stod(row.z), row.effect / row.se, 1e-6 * std::fabs(row.effect / row.se))
                    << what;
            }
        }
    }
}

TEST(SeqcnnVariants, EqualsDirectComputationWithSharedMasks) {
    Fixture f;
    check_against_direct(score(f, "--samples 3 --seed 11"), f, f.scored, 3, 11, false);
}

TEST(SeqcnnVariants, ReverseComplementAverage) {
    Fixture f;
    check_against_direct(score(f, "--samples 2 --seed 5 --reverse-complement"), f, f.scored, 2, 5, true);
}

TEST(SeqcnnVariants, SamplesZeroHasZeroSeAndNoZ) {
    Fixture f;
    check_against_direct(score(f, "--samples 0"), f, f.scored, 0, 0, false);
}

TEST(SeqcnnVariants, EdgeSkipLeavesOutVariantsNearChromosomeEnds) {
    Fixture f;
    std::vector<Expected> inside;
    for (const Expected &e : f.scored)
        if (e.window_start >= 0 &&
            e.window_start + kLength <= int64_t(f.chromosomes.at(e.fasta_chrom).size()))
            inside.push_back(e);
    ASSERT_EQ(inside.size(), f.scored.size() - 3); // 1:3, 1:90 and chr2:59
    check_against_direct(score(f, "--samples 2 --seed 4 --edge skip"), f, inside, 2, 4, false);
}

TEST(SeqcnnVariants, TaskSubsetInTheOrderAsked) {
    Fixture f;
    const std::vector<Row> all = score(f, "--samples 2 --seed 9");
    const std::vector<Row> two = score(f, "--samples 2 --seed 9 --tasks 'cell1|factor4,cell0|factor0'");
    ASSERT_EQ(two.size(), f.scored.size() * 2);
    for (size_t v = 0; v < f.scored.size(); ++v) {
        EXPECT_EQ(two[2 * v].task, "cell1|factor4");
        EXPECT_EQ(two[2 * v].effect, all[5 * v + 4].effect);
        EXPECT_EQ(two[2 * v + 1].effect, all[5 * v].effect);
        EXPECT_EQ(two[2 * v + 1].se, all[5 * v].se);
    }
}

// --window-offset 5: 1:40 and 1:44 share the window centred on 0-based 41; chr2:30 has its own.
TEST(SeqcnnVariants, WindowOffsetSharesOneWindow) {
    Fixture f;
    const std::string &c1 = f.chromosomes.at("chr1"), &c2 = f.chromosomes.at("2");
    std::ofstream(f.folder + "/near.vcf")
        << "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        << "1\t44\t.\t" << char(std::toupper(c1[43])) << "\t" << other_base(c1[43]) << "\t.\t.\t.\n"
        << "chr2\t30\t.\t" << char(std::toupper(c2[29])) << "\t" << other_base(c2[29]) << "\t.\t.\t.\n"
        << "1\t40\t.\t" << char(std::toupper(c1[39])) << "\t" << other_base(c1[39]) << "\t.\t.\t.\n";
    const std::vector<Expected> expected{{"1", "chr1", 43, other_base(c1[43]), 41 - kLength / 2},
                                         {"chr2", "2", 29, other_base(c2[29]), 29 - kLength / 2},
                                         {"1", "chr1", 39, other_base(c1[39]), 41 - kLength / 2}};
    check_against_direct(score(f, "--samples 2 --seed 3 --window-offset 5", f.folder + "/near.vcf"), f,
                         expected, 2, 3, false);
    // Offset 0: each in its own centred window.
    std::vector<Expected> centred = expected;
    for (Expected &e : centred) e.window_start = e.position - kLength / 2;
    check_against_direct(score(f, "--samples 2 --seed 3", f.folder + "/near.vcf"), f, centred, 2, 3, false);
}

// The same scores from a bgzip VCF and a BCF (made by htslib here), the same bytes for the same seed.
TEST(SeqcnnVariants, CompressedAndBinaryInputsReadTheSame) {
    Fixture f;
    const std::vector<Row> plain = score(f, "--samples 2 --seed 3");
    const std::string expected = read_text(f.folder + "/scores.tsv");
    for (const char *mode : {"wz", "wb"}) {
        const std::string path = f.folder + (mode[1] == 'z' ? "/variants.vcf.gz" : "/variants.bcf");
        htsFile *in = hts_open(f.vcf.c_str(), "r");
        bcf_hdr_t *header = bcf_hdr_read(in);
        htsFile *out = hts_open(path.c_str(), mode);
        ASSERT_EQ(bcf_hdr_write(out, header), 0);
        bcf1_t *record = bcf_init();
        while (bcf_read(in, header, record) == 0) ASSERT_EQ(bcf_write(out, header, record), 0);
        bcf_destroy(record);
        bcf_hdr_destroy(header);
        hts_close(in);
        ASSERT_EQ(hts_close(out), 0);
        score(f, "--samples 2 --seed 3", path);
        EXPECT_EQ(read_text(f.folder + "/scores.tsv"), expected) << path;
    }
}

// The VCF output, read back with htslib: every input record in order, the INFO values equal to the TSV's
// (as floats), skip reasons on the alleles not scored; the same from BCF and bgzip outputs.
TEST(SeqcnnVariants, VcfOutputKeepsEveryRecordWithScores) {
    Fixture f;
    const std::vector<Row> rows = score(f, "--samples 2 --seed 3");
    for (const std::string name : {"scored.vcf", "scored.vcf.gz", "scored.bcf"}) {
        const std::string out = f.folder + "/" + name;
        ASSERT_EQ(run_command(f, "--vcf " + f.vcf + " --out " + out + " --samples 2 --seed 3"), 0)
            << read_text(f.folder + "/err");
        htsFile *in = hts_open(out.c_str(), "r");
        ASSERT_NE(in, nullptr) << out;
        bcf_hdr_t *header = bcf_hdr_read(in);
        ASSERT_NE(header, nullptr);
        htsFile *original = hts_open(f.vcf.c_str(), "r");
        bcf_hdr_t *original_header = bcf_hdr_read(original);
        bcf1_t *record = bcf_init(), *original_record = bcf_init();
        int records = 0;
        size_t row = 0;
        std::vector<std::string> skips;
        float *values = nullptr;
        int n_values = 0;
        char *text = nullptr;
        int n_text = 0;
        while (bcf_read(in, header, record) == 0) {
            ASSERT_EQ(bcf_read(original, original_header, original_record), 0);
            bcf_unpack(record, BCF_UN_ALL);
            bcf_unpack(original_record, BCF_UN_ALL);
            ++records;
            EXPECT_EQ(record->pos, original_record->pos);
            EXPECT_EQ(std::string(record->d.id), std::string(original_record->d.id));
            ASSERT_EQ(record->n_allele, original_record->n_allele);
            int32_t *depth = nullptr;
            int n_depth = 0;
            EXPECT_EQ(bcf_get_info_int32(header, record, "DP", &depth, &n_depth), 1); // input INFO kept
            free(depth);
            if (bcf_get_info_string(header, record, "CW_SKIP", &text, &n_text) > 0) skips.push_back(text);
            const int scored_here =
                bcf_get_info_float(header, record, "CW_cell0_factor0_EFFECT", &values, &n_values);
            if (scored_here <= 0) continue;
            ASSERT_EQ(scored_here, record->n_allele - 1);
            for (int a = 0; a < record->n_allele - 1; ++a) {
                if (bcf_float_is_missing(values[a])) continue;
                for (size_t t = 0; t < kTasks.size(); ++t) {
                    std::string key = "CW_" + kTasks[t] + "_";
                    std::replace(key.begin(), key.end(), '|', '_');
                    float *effect = nullptr, *se = nullptr, *z = nullptr;
                    int n1 = 0, n2 = 0, n3 = 0;
                    bcf_get_info_float(header, record, (key + "EFFECT").c_str(), &effect, &n1);
                    bcf_get_info_float(header, record, (key + "SE").c_str(), &se, &n2);
                    bcf_get_info_float(header, record, (key + "Z").c_str(), &z, &n3);
                    ASSERT_LT(row, rows.size());
                    const Row &r = rows[row++];
                    EXPECT_EQ(r.task, kTasks[t]);
                    EXPECT_EQ(r.alt, std::string(record->d.allele[a + 1]));
                    // Text VCF keeps 6 significant digits (htslib's %g); BCF the float.
                    EXPECT_NEAR(effect[a], r.effect, 6e-6 * std::fabs(r.effect)) << name;
                    EXPECT_NEAR(se[a], r.se, 6e-6 * r.se) << name;
                    EXPECT_NEAR(z[a], std::stod(r.z), 1e-5 * std::fabs(std::stod(r.z))) << name;
                    free(effect);
                    free(se);
                    free(z);
                }
            }
        }
        EXPECT_NE(bcf_read(original, original_header, original_record), 0); // no record lost
        EXPECT_EQ(records, f.records) << name;
        EXPECT_EQ(row, rows.size()) << name;
        const std::vector<std::string> expected_skips{"indel", "symbolic_ALT_allele", ".,indel",
                                                      "REF_not_ACGT"};
        EXPECT_EQ(skips, expected_skips) << name;
        free(values);
        free(text);
        bcf_destroy(record);
        bcf_destroy(original_record);
        bcf_hdr_destroy(header);
        bcf_hdr_destroy(original_header);
        hts_close(in);
        hts_close(original);
    }
}

// --info-top 2: per scored allele, the two tasks of largest |z| with the TSV's values.
TEST(SeqcnnVariants, VcfTopTasksByAbsoluteZ) {
    Fixture f;
    const std::vector<Row> rows = score(f, "--samples 3 --seed 2");
    const std::string out = f.folder + "/top.vcf";
    ASSERT_EQ(run_command(f, "--vcf " + f.vcf + " --out " + out + " --samples 3 --seed 2 --info-top 2"), 0)
        << read_text(f.folder + "/err");
    // Expected from the TSV: per allele (5 rows), the two rows of largest |z|.
    std::vector<std::string> expected;
    for (size_t v = 0; v < rows.size() / 5; ++v) {
        std::vector<const Row *> allele;
        for (size_t t = 0; t < 5; ++t) allele.push_back(&rows[5 * v + t]);
        std::stable_sort(allele.begin(), allele.end(), [](const Row *a, const Row *b) {
            return std::fabs(std::stod(a->z)) > std::fabs(std::stod(b->z));
        });
        expected.push_back(allele[0]->task + ";" + allele[1]->task);
    }
    htsFile *in = hts_open(out.c_str(), "r");
    bcf_hdr_t *header = bcf_hdr_read(in);
    bcf1_t *record = bcf_init();
    char *text = nullptr;
    int n_text = 0;
    std::vector<std::string> got;
    while (bcf_read(in, header, record) == 0) {
        if (bcf_get_info_string(header, record, "CW_TOP", &text, &n_text) <= 0) continue;
        // allele:task:effect:se:z entries; two per scored allele.
        std::istringstream entries(text);
        std::string entry, pair;
        int allele_before = 0, count = 0;
        while (std::getline(entries, entry, ',')) {
            const int allele = std::stoi(entry.substr(0, entry.find(':')));
            const std::string rest = entry.substr(entry.find(':') + 1);
            const std::string task = rest.substr(0, rest.find(':'));
            if (allele != allele_before && count) {
                got.push_back(pair);
                pair.clear();
            }
            pair += (pair.empty() ? "" : ";") + task;
            allele_before = allele;
            ++count;
        }
        got.push_back(pair);
    }
    EXPECT_EQ(got, expected);
    free(text);
    bcf_destroy(record);
    bcf_hdr_destroy(header);
    hts_close(in);
}

} // namespace
} // namespace causeway
