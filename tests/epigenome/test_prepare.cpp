// causeway prepare on small hand-made bigWigs: values computed by hand (both strands, chromosome ends,
// uncovered bases, naming styles chr1/1 and chrM/MT, versioned ids, gzip inputs, the three annotation
// formats, imputation), and against a per-base reference on random tracks with the default window.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "../../runtime/epigenome/random.h"
#include "causeway/dataset.h"
#include "causeway/epigenome/annotation.h"
#include "causeway/epigenome/expression.h"
#include "causeway/epigenome/prepare.h"
#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "epigenome_test_util.h"

namespace causeway::epigenome {
namespace {

using testing::ScratchDir;
using testing::TestInterval;
using testing::write_bigwig;
using testing::write_gzip;
using testing::write_text;

// Track 1 (chr1 of 2000 bases, chrM of 100; UCSC names), computed by hand below:
//   [0,50) = 2   [150,250) = 4   [400,1000) = 1   [1990,2000) = 10   chrM [0,100) = 5
const std::vector<TestInterval> kTrack1 = {{"chr1", 0, 50, 2},
                                           {"chr1", 150, 250, 4},
                                           {"chr1", 400, 1000, 1},
                                           {"chr1", 1990, 2000, 10},
                                           {"chrM", 0, 100, 5}};

// Genes (1-based TSS) with --window 300 --bin-size 100, so 6 bins:
//   GA +  TSS 501  (base 500): window [200, 800)
//   GB -  TSS 300  (base 299): window [0, 600), reversed
//   GC +  TSS 1901 (base 1900): window [1600, 2200), runs off the end of chr1
//   GD -  TSS 100  (base 99): window [-200, 400), reversed, runs off the start
//   GF +  TSS 50 on chrM (base 49): window [-251, 349)
//   GE on chr2, which no track has: skipped
const char *kGtf = "##description: hand-made\n"
                   "1\ttest\tgene\t501\t900\t.\t+\t.\tgene_id \"GA.3\"; gene_name \"A\";\n"
                   "1\ttest\ttranscript\t501\t900\t.\t+\t.\tgene_id \"GA.3\"; transcript_id \"TA\";\n"
                   "chr1\ttest\tgene\t150\t300\t.\t-\t.\tgene_id \"GB\";\n"
                   "chr1\ttest\tgene\t1901\t1950\t.\t+\t.\tgene_id \"GC\";\n"
                   "chr1\ttest\tgene\t20\t100\t.\t-\t.\tgene_id \"GD\";\n"
                   "chr2\ttest\tgene\t100\t200\t.\t+\t.\tgene_id \"GE\";\n"
                   "chrM\ttest\tgene\t50\t90\t.\t+\t.\tgene_id \"GF\";\n";
const char *kGff3 = "##gff-version 3\n"
                    "1\ttest\tgene\t501\t900\t.\t+\t.\tID=gene:GA.3;Name=A\n"
                    "1\ttest\tmRNA\t501\t900\t.\t+\t.\tID=transcript:TA;Parent=gene:GA.3\n"
                    "chr1\ttest\tgene\t150\t300\t.\t-\t.\tID=GB\n"
                    "chr1\ttest\tncRNA_gene\t1901\t1950\t.\t+\t.\tID=gene:GC\n"
                    "chr1\ttest\tgene\t20\t100\t.\t-\t.\tgene_id=GD;ID=something\n"
                    "chr2\ttest\tgene\t100\t200\t.\t+\t.\tID=GE\n"
                    "chrM\ttest\tgene\t50\t90\t.\t+\t.\tID=GF\n";
// BED6 of TSSs: 0-based starts; on - the TSS is the end.
const char *kBed = "track name=tss\n"
                   "1\t500\t501\tGA.3\t0\t+\n"
                   "chr1\t299\t300\tGB\t0\t-\n"
                   "chr1\t1900\t1901\tGC\t0\t+\n"
                   "chr1\t19\t100\tGD\t0\t-\n"
                   "chr2\t99\t100\tGE\t0\t+\n"
                   "chrM\t49\t50\tGF\t0\t+\n";
// Versions on either side: GA.3 (annotation) matches GA, GB matches GB.7 (table).
const char *kTpm = "gene_id\tc1\tc2\n"
                   "GA\t10\t0\n"
                   "GB.7\t0.5\tNA\n"
                   "GC\t100\t3\n"
                   "GD\t0\t1\n"
                   "GE\t5\t5\n"
                   "GF\t2\t7\n"
                   "GZ\t1\t1\n";

// log1p of the bin means, in output order (downstream to the right).
std::vector<float> log1p_of(std::vector<double> means) {
    std::vector<float> out;
    for (double m : means) out.push_back(static_cast<float>(std::log1p(m)));
    return out;
}

class PrepareByHand : public ::testing::Test {
protected:
    void SetUp() override {
        mkdir((dir / "sub").c_str(), 0777);
        write_bigwig(dir / "t1.bw", {{"chr1", 2000}, {"chrM", 100}}, kTrack1);
        // Track 2, Ensembl names: 1 and MT, a constant 3 over both.
        write_bigwig(dir / "t2.bw", {{"1", 2000}, {"MT", 100}}, {{"1", 0, 2000, 3}, {"MT", 0, 100, 3}});
        // Track 3: track 1 doubled.
        std::vector<TestInterval> doubled = kTrack1;
        for (auto &interval : doubled) interval.value *= 2;
        write_bigwig(dir / "sub/t3.bw", {{"chr1", 2000}, {"chrM", 100}}, doubled);
        write_text(dir / "genes.gtf", kGtf);
        write_text(dir / "tpm.tsv", kTpm);
        // Relative paths resolve against the manifest's folder; absolute ones stay.
        write_text(dir / "tracks.tsv", "cell_type\tmark\tpath\n"
                                       "c1\tH3K4me3\tt1.bw\n"
                                       "c1\tH3K27ac\t" +
                                           (dir / "t2.bw") +
                                           "\n"
                                           "c2\tH3K4me3\tsub/t3.bw\n"
                                           "c2\tH3K27ac\tt2.bw\n");
    }
    PrepareOptions options(const std::string &annotation = "genes.gtf",
                           const std::string &expression = "tpm.tsv") {
        PrepareOptions o;
        o.manifest = dir / "tracks.tsv";
        o.annotation = dir / annotation;
        o.expression = dir / expression;
        o.out = dir / "D.safetensors";
        o.window = 300;
        o.bin_size = 100;
        o.marks = {"H3K4me3", "H3K27ac"};
        o.progress = false;
        return o;
    }
    // Inputs of one gene, cell and mark.
    static std::vector<float> bins(const Dataset &d, const std::string &gene, int cell, int mark) {
        for (int64_t g = 0; g < d.genes(); ++g)
            if (d.gene_table()[g].gene_id == gene) {
                const float *x = d.inputs(g) + (cell * d.marks() + mark) * d.bins();
                return std::vector<float>(x, x + d.bins());
            }
        ADD_FAILURE() << "no gene " << gene;
        return {};
    }
    static void expect_bins(const std::vector<float> &got, const std::vector<float> &want,
                            const std::string &what) {
        ASSERT_EQ(got.size(), want.size()) << what;
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << what << " bin " << i;
    }
    ScratchDir dir;
};

// Hand-computed bin means for track 1 (see the comments above kTrack1 and kGtf).
const std::vector<double> kGA = {2, 0, 1, 1, 1, 1};       // [200,250) x 4 = 200 -> 2; [400,800) -> 1
const std::vector<double> kGB = {1, 1, 0, 2, 2, 1};       // genomic [1,2,2,0,1,1] reversed
const std::vector<double> kGC = {0, 0, 0, 1, 0, 0};       // [1990,2000) x 10 = 100 -> 1; beyond the end 0
const std::vector<double> kGD = {0, 2, 2, 1, 0, 0};       // genomic [0,0,1,2,2,0] reversed
const std::vector<double> kGF = {0, 0, 2.45, 2.55, 0, 0}; // chrM [0,49) x 5, [49,100) x 5, over 100 bases

TEST_F(PrepareByHand, BothStrandsChromosomeEndsAndNameStyles) {
    PrepareSummary summary = prepare_dataset(options());
    Dataset d(dir / "D.safetensors");
    ASSERT_EQ(d.genes(), 5);
    EXPECT_EQ(d.cell_types(), (std::vector<std::string>{"c1", "c2"}));
    EXPECT_EQ(d.mark_names(), (std::vector<std::string>{"H3K4me3", "H3K27ac"}));
    EXPECT_EQ(d.bins(), 6);
    EXPECT_EQ(d.window(), 300);
    EXPECT_EQ(d.bin_size(), 100);
    // Annotation order, GE (chr2) skipped and reported; the annotation's own ids and names kept.
    std::vector<std::string> ids;
    for (auto &g : d.gene_table()) ids.push_back(g.gene_id);
    EXPECT_EQ(ids, (std::vector<std::string>{"GA.3", "GB", "GC", "GD", "GF"}));
    EXPECT_EQ(d.gene_table()[0].chrom, "1");
    EXPECT_EQ(d.gene_table()[0].tss, 501);
    EXPECT_EQ(d.gene_table()[1].tss, 300);
    EXPECT_EQ(d.gene_table()[1].strand, '-');
    ASSERT_EQ(summary.notes.size(), 1u);
    EXPECT_NE(summary.notes[0].find("skipped 1 gene on chr2, a chromosome absent from every track"),
              std::string::npos)
        << summary.notes[0];

    expect_bins(bins(d, "GA.3", 0, 0), log1p_of(kGA), "GA c1 H3K4me3");
    expect_bins(bins(d, "GB", 0, 0), log1p_of(kGB), "GB c1 H3K4me3");
    expect_bins(bins(d, "GC", 0, 0), log1p_of(kGC), "GC c1 H3K4me3");
    expect_bins(bins(d, "GD", 0, 0), log1p_of(kGD), "GD c1 H3K4me3");
    expect_bins(bins(d, "GF", 0, 0), log1p_of(kGF), "GF c1 H3K4me3 (chrM)");
    // Track 3 is track 1 doubled.
    auto doubled = [](std::vector<double> v) {
        for (double &x : v) x *= 2;
        return v;
    };
    expect_bins(bins(d, "GB", 1, 0), log1p_of(doubled(kGB)), "GB c2 H3K4me3");
    expect_bins(bins(d, "GF", 1, 0), log1p_of(doubled(kGF)), "GF c2 H3K4me3 (chrM)");
    // Track 2 (names 1 and MT) is 3 wherever the window lies on the chromosome, 0 beyond its ends.
    expect_bins(bins(d, "GA.3", 0, 1), log1p_of({3, 3, 3, 3, 3, 3}), "GA c1 H3K27ac");
    expect_bins(bins(d, "GC", 1, 1), log1p_of({3, 3, 3, 3, 0, 0}), "GC c2 H3K27ac");
    expect_bins(bins(d, "GD", 0, 1), log1p_of({3, 3, 3, 3, 0, 0}), "GD c1 H3K27ac");
    expect_bins(bins(d, "GF", 0, 1), log1p_of({0, 0, 1.47, 1.53, 0, 0}), "GF c1 H3K27ac (MT)");

    // Targets: log1p(TPM), NA unknown; versions matched either way.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> want = {std::log1p(10.f),
                               0,
                               std::log1p(0.5f),
                               nan,
                               std::log1p(100.f),
                               std::log1p(3.f),
                               0,
                               std::log1p(1.f),
                               std::log1p(2.f),
                               std::log1p(7.f)};
    for (size_t i = 0; i < want.size(); ++i) {
        if (std::isnan(want[i]))
            EXPECT_TRUE(std::isnan(d.targets()[i])) << i;
        else
            EXPECT_FLOAT_EQ(d.targets()[i], want[i]) << i;
    }

    SafetensorsFile file(dir / "D.safetensors");
    EXPECT_EQ(file.metadata("track:c1:H3K4me3"), dir / "t1.bw");
    EXPECT_EQ(file.metadata("track:c1:H3K27ac"), dir / "t2.bw");
    EXPECT_EQ(file.metadata("track:c2:H3K4me3"), dir / "sub/t3.bw");
    EXPECT_EQ(file.metadata("impute"), "none");
    EXPECT_EQ(file.metadata("imputed_tracks"), "");
}

TEST_F(PrepareByHand, AnnotationFormatsAndGzipInputsAgree) {
    prepare_dataset(options());
    const std::string reference = testing::read_bytes(dir / "D.safetensors");
    write_gzip(dir / "genes.gff3.gz", kGff3);
    write_gzip(dir / "tss.bed.gz", kBed);
    write_gzip(dir / "tpm.tsv.gz", kTpm);
    write_text(dir / "unnamed_annotation", kBed); // format from the content
    for (auto annotation : {"genes.gff3.gz", "tss.bed.gz", "unnamed_annotation"}) {
        PrepareOptions o = options(annotation, "tpm.tsv.gz");
        o.out = dir / "E.safetensors";
        prepare_dataset(o);
        Dataset a(dir / "D.safetensors"), b(dir / "E.safetensors");
        ASSERT_EQ(a.genes(), b.genes()) << annotation;
        for (int64_t g = 0; g < a.genes(); ++g) {
            EXPECT_EQ(a.gene_table()[g].gene_id, b.gene_table()[g].gene_id) << annotation;
            EXPECT_EQ(a.gene_table()[g].tss, b.gene_table()[g].tss) << annotation;
            EXPECT_EQ(a.gene_table()[g].strand, b.gene_table()[g].strand) << annotation;
        }
        const int64_t values = a.genes() * a.cells() * a.marks() * a.bins();
        for (int64_t i = 0; i < values; ++i)
            ASSERT_EQ(a.inputs()[i], b.inputs()[i]) << annotation << " value " << i;
    }
}

TEST_F(PrepareByHand, ChromsSelectsGenesInAnyNamingStyle) {
    PrepareOptions o = options();
    o.chroms = {"MT"};
    prepare_dataset(o);
    Dataset d(dir / "D.safetensors");
    ASSERT_EQ(d.genes(), 1);
    EXPECT_EQ(d.gene_table()[0].gene_id, "GF");
    o.chroms = {"chr1"};
    prepare_dataset(o);
    Dataset e(dir / "D.safetensors");
    EXPECT_EQ(e.genes(), 4);
}

TEST_F(PrepareByHand, ImputesTheMeanOfTheOtherCellTypes) {
    // c3 carries H3K27ac = 1 everywhere; c2 has no H3K27ac track.
    write_bigwig(dir / "t4.bw", {{"chr1", 2000}, {"chrM", 100}}, {{"chr1", 0, 2000, 1}, {"chrM", 0, 100, 1}});
    write_text(dir / "tracks.tsv", "cell_type\tmark\tpath\n"
                                   "c1\tH3K4me3\tt1.bw\nc1\tH3K27ac\tt2.bw\n"
                                   "c2\tH3K4me3\tsub/t3.bw\n"
                                   "c3\tH3K4me3\tt1.bw\nc3\tH3K27ac\tt4.bw\n");
    write_text(dir / "tpm3.tsv",
               "gene_id\tc1\tc2\tc3\nGA\t1\t2\t3\nGB\t1\t2\t3\nGC\t1\t2\t3\nGD\t1\t2\t3\nGF\t1\t2\t3\n");
    PrepareOptions o = options("genes.gtf", "tpm3.tsv");
    try {
        prepare_dataset(o);
        FAIL() << "expected an error without --impute";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("no track for cell type 'c2' and mark 'H3K27ac'"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(testing::exists(dir / "D.safetensors"));
    o.impute = Imputation::MeanOfCells;
    PrepareSummary summary = prepare_dataset(o);
    EXPECT_EQ(summary.imputed, (std::vector<std::string>{"c2/H3K27ac"}));
    Dataset d(dir / "D.safetensors");
    // The mean of 3 (c1) and 1 (c3) on the signal scale, then log1p; 0 beyond the chromosome, as for both.
    expect_bins(bins(d, "GA.3", 1, 1), log1p_of({2, 2, 2, 2, 2, 2}), "GA c2 H3K27ac imputed");
    expect_bins(bins(d, "GC", 1, 1), log1p_of({2, 2, 2, 2, 0, 0}), "GC c2 H3K27ac imputed");
    expect_bins(bins(d, "GF", 1, 1), log1p_of({0, 0, 2 * 0.49, 2 * 0.51, 0, 0}), "GF c2 H3K27ac imputed");
    // Measured tracks are untouched.
    expect_bins(bins(d, "GB", 1, 0), log1p_of({2, 2, 0, 4, 4, 2}), "GB c2 H3K4me3");
    SafetensorsFile file(dir / "D.safetensors");
    EXPECT_EQ(file.metadata("impute"), "mean-of-cells");
    EXPECT_EQ(file.metadata("imputed_tracks"), "c2/H3K27ac");
    EXPECT_EQ(file.metadata("track:c2:H3K27ac"), "imputed:mean-of-cells:c1+c3");
    EXPECT_EQ(file.metadata("track:c3:H3K27ac"), dir / "t4.bw");
}

// The default window (TSS +/- 10 kb, 100 bp bins) on random tracks, against a per-base reference.
TEST(PrepareReference, RandomTracksMatchAPerBaseComputation) {
    ScratchDir dir;
    Random random(42);
    const uint32_t length = 60000;
    std::vector<TestInterval> intervals;
    std::vector<double> per_base(length, 0.0);
    for (uint32_t position = random.integer(0, 50); position < length;) {
        uint32_t end = std::min<uint32_t>(length, position + static_cast<uint32_t>(random.integer(1, 400)));
        if (random.bernoulli(0.6)) {
            auto value = static_cast<float>(random.exponential(3.0));
            intervals.push_back({"chr7", position, end, value});
            for (uint32_t b = position; b < end; ++b) per_base[b] = value;
        }
        position = end + static_cast<uint32_t>(random.integer(0, 300));
    }
    write_bigwig(dir / "r.bw", {{"chr7", length}}, intervals);
    std::string gtf;
    std::vector<std::pair<int64_t, char>> genes;
    for (int i = 0; i < 40; ++i) {
        // Some near either end of the chromosome.
        int64_t tss = i < 4   ? random.integer(1, 9000)
                      : i < 8 ? random.integer(length - 9000, length)
                              : random.integer(1, length);
        char strand = random.bernoulli(0.5) ? '+' : '-';
        genes.push_back({tss, strand});
        int64_t start = strand == '+' ? tss : std::max<int64_t>(1, tss - 10);
        int64_t end = strand == '+' ? tss + 10 : tss;
        gtf += fmt::format("chr7\tx\tgene\t{}\t{}\t.\t{}\t.\tgene_id \"G{}\";\n", start, end, strand, i);
    }
    write_text(dir / "g.gtf", gtf);
    std::string tpm = "gene_id\tonly\n";
    for (int i = 0; i < 40; ++i) tpm += fmt::format("G{}\t{}\n", i, i);
    write_text(dir / "tpm.tsv", tpm);
    write_text(dir / "tracks.tsv", "cell_type\tmark\tpath\nonly\tH3K9me3\tr.bw\n");
    PrepareOptions o;
    o.manifest = dir / "tracks.tsv";
    o.annotation = dir / "g.gtf";
    o.expression = dir / "tpm.tsv";
    o.out = dir / "D.safetensors";
    o.marks = {"H3K9me3"};
    o.progress = false;
    prepare_dataset(o);
    Dataset d(dir / "D.safetensors");
    ASSERT_EQ(d.genes(), 40);
    ASSERT_EQ(d.bins(), 200);
    for (int i = 0; i < 40; ++i) {
        auto [tss, strand] = genes[i];
        const int64_t p = tss - 1; // 0-based TSS base
        for (int bin = 0; bin < 200; ++bin) {
            // Output bin `bin` covers transcript offsets [100 bin - 10000, +100) from the TSS base.
            double sum = 0;
            for (int64_t offset = 100 * bin - 10000; offset < 100 * bin - 9900; ++offset) {
                int64_t base = strand == '+' ? p + offset : p - offset;
                if (base >= 0 && base < length) sum += per_base[static_cast<size_t>(base)];
            }
            ASSERT_NEAR(d.inputs(i)[bin], std::log1p(sum / 100), 1e-5)
                << "gene " << i << strand << " bin " << bin;
        }
    }
}

TEST(Annotation, NamesAndVersions) {
    EXPECT_EQ(chromosome_key("chr1"), "1");
    EXPECT_EQ(chromosome_key("1"), "1");
    EXPECT_EQ(chromosome_key("chrM"), "MT");
    EXPECT_EQ(chromosome_key("MT"), "MT");
    EXPECT_EQ(chromosome_key("chrMT"), "MT");
    EXPECT_EQ(chromosome_key("chrX"), "X");
    EXPECT_EQ(chromosome_key("chr"), "chr");
    EXPECT_EQ(unversioned_gene_id("ENSG00000141510.17"), "ENSG00000141510");
    EXPECT_EQ(unversioned_gene_id("ENSG00000141510"), "ENSG00000141510");
    EXPECT_EQ(unversioned_gene_id("ENSG00000182378.14_PAR_Y"), "ENSG00000182378.14_PAR_Y");
    EXPECT_EQ(unversioned_gene_id("TP53.x"), "TP53.x");
}

TEST(Expression, VersionMatchingBothWays) {
    ScratchDir dir;
    write_text(dir / "t.tsv", "gene_id\ta\nENSG1.5\t1\nENSG2\t2\nENSG3.1\t3\nENSG3.2\t4\n");
    ExpressionTable table(dir / "t.tsv");
    EXPECT_EQ(table.find("ENSG1.5"), 0);
    EXPECT_EQ(table.find("ENSG1"), 0);
    EXPECT_EQ(table.find("ENSG1.6"), 0);
    EXPECT_EQ(table.find("ENSG2.9"), 1);
    EXPECT_EQ(table.find("ENSG3.2"), 3);
    EXPECT_EQ(table.find("ENSG4"), -1);
    try {
        table.find("ENSG3");
        FAIL() << "an ambiguous id must be an error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("ENSG3.1, ENSG3.2"), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace causeway::epigenome
