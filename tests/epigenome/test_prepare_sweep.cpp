// prepare's block sweep (each region's windows binned straight from the decoded blocks) against its
// reference path (BigWigReader::read's sorted copy, binned window by window): the same bytes on dense
// tracks whose small blocks neighbouring and overlapping windows share, genes on both strands near either
// chromosome end, annotations sorted or shuffled, and on files the sweep hands back to the reference
// (intervals out of order, nested intervals). Also the writer's block layout and the reader's block cache.
#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "../../runtime/epigenome/random.h"
#include "causeway/dataset.h"
#include "causeway/epigenome/bigwig.h"
#include "causeway/epigenome/prepare.h"
#include "causeway/error.h"
#include "epigenome_test_util.h"

namespace causeway::epigenome {
namespace {

using testing::read_bytes;
using testing::ScratchDir;
using testing::TestInterval;
using testing::write_bigwig;
using testing::write_text;

const std::vector<ChromosomeLength> kChromosomes = {{"chr1", 90000}, {"chr2", 40000}};

// A value every 25 bp with some gaps (uncovered bases), as dense -log10 p tracks.
void dense_intervals(Random &random, const ChromosomeLength &chrom, std::vector<uint32_t> &starts,
                     std::vector<uint32_t> &ends, std::vector<float> &values) {
    starts.clear();
    ends.clear();
    values.clear();
    for (uint32_t start = 0; start < chrom.length; start += 25) {
        if (random.bernoulli(0.1)) continue;
        starts.push_back(start);
        ends.push_back(std::min(chrom.length, start + 25));
        values.push_back(static_cast<float>(random.exponential(1.5)));
    }
}

struct Gene {
    std::string id, chrom;
    int64_t tss;
    char strand;
};

// Clusters of genes (windows overlapping, many per block), lone ones, and genes within a window of
// either chromosome end, on both strands.
std::vector<Gene> make_genes(Random &random) {
    std::vector<Gene> genes;
    auto add = [&](const std::string &chrom, int64_t tss) {
        genes.push_back({fmt::format("G{}", genes.size()), chrom, tss, random.bernoulli(0.5) ? '+' : '-'});
    };
    for (auto &chrom : kChromosomes) {
        const int64_t length = chrom.length;
        for (int i = 0; i < 3; ++i) add(chrom.name, random.integer(1, 3000));
        for (int i = 0; i < 3; ++i) add(chrom.name, random.integer(length - 3000, length));
        for (int cluster = 0; cluster < 3; ++cluster) {
            int64_t center = random.integer(15000, length - 15000);
            for (int i = 0; i < 6; ++i) add(chrom.name, center + random.integer(-4000, 4000));
        }
        for (int i = 0; i < 5; ++i) add(chrom.name, random.integer(1, length));
    }
    // Windows that start and end where 25 bp intervals start (a region's end is exclusive).
    genes.push_back({"Galign1", "chr1", 20001, '+'}); // [10000, 30000)
    genes.push_back({"Galign2", "chr1", 70000, '-'}); // [60000, 80000)
    genes.push_back({"Galign3", "chr2", 20001, '+'});
    // Two genes sharing a TSS, on either strand.
    genes.push_back({"Gsame1", "chr1", 45000, '+'});
    genes.push_back({"Gsame2", "chr1", 45000, '-'});
    return genes;
}

void write_annotation(const std::string &path, const std::vector<Gene> &genes) {
    std::string gtf;
    for (auto &gene : genes)
        gtf += fmt::format("{}\tx\tgene\t{}\t{}\t.\t{}\t.\tgene_id \"{}\";\n", gene.chrom, gene.tss, gene.tss,
                           gene.strand, gene.id);
    write_text(path, gtf);
}

// Every gene's inputs by id, exactly as stored.
std::map<std::string, std::vector<float>> inputs_by_gene(const std::string &path) {
    Dataset d(path);
    std::map<std::string, std::vector<float>> out;
    const int64_t per_gene = static_cast<int64_t>(d.cells()) * d.marks() * d.bins();
    for (int64_t g = 0; g < d.genes(); ++g)
        out[d.gene_table()[g].gene_id] = std::vector<float>(d.inputs(g), d.inputs(g) + per_gene);
    return out;
}

class PrepareSweep : public ::testing::Test {
protected:
    void SetUp() override {
        Random random(7);
        // UCSC's layout scaled down: 16 items (400 bases) per block, 4 children per index node, so that
        // a window spans dozens of blocks and the index has several levels.
        // dense2.bw: 1000 items (25 kb) per block, so that most regions share their blocks with the
        // region before them and the bisection over a block's ordered intervals is taken.
        for (int t = 0; t < 3; ++t) {
            BigWigWriter writer(dir / fmt::format("dense{}.bw", t), kChromosomes, 0, t == 2 ? 1000 : 16, 4);
            std::vector<uint32_t> starts, ends;
            std::vector<float> values;
            for (auto &chrom : kChromosomes) {
                dense_intervals(random, chrom, starts, ends, values);
                writer.add(chrom.name, starts, ends, values);
            }
            writer.close();
        }
        // libBigWig's own layout (32 KB blocks), one interval per call.
        std::vector<TestInterval> sparse;
        for (uint32_t start = 100; start + 700 < kChromosomes[0].length;
             start += static_cast<uint32_t>(random.integer(300, 3000)))
            sparse.push_back({"chr1", start, start + static_cast<uint32_t>(random.integer(1, 700)),
                              static_cast<float>(random.exponential(4))});
        sparse.push_back({"chr2", 0, 40000, 0.5f});
        write_bigwig(dir / "sparse.bw", kChromosomes, sparse);
        genes = make_genes(random);
        write_annotation(dir / "genes.gtf", genes);
        std::string tpm = "gene_id\tc1\tc2\n";
        for (auto &gene : genes) tpm += gene.id + "\t1\t2\n";
        write_text(dir / "tpm.tsv", tpm);
        write_manifest("dense0.bw", "dense1.bw", "sparse.bw");
    }
    void write_manifest(const std::string &a, const std::string &b, const std::string &c,
                        const std::string &d = "dense2.bw") {
        write_text(dir / "tracks.tsv", "cell_type\tmark\tpath\nc1\tH3K4me3\t" + a + "\nc1\tH3K27ac\t" + c +
                                           "\nc2\tH3K4me3\t" + b + "\nc2\tH3K27ac\t" + d + "\n");
    }
    PrepareOptions options(const std::string &out, bool reference, int window = 10000, int bin_size = 100) {
        PrepareOptions o;
        o.manifest = dir / "tracks.tsv";
        o.annotation = dir / "genes.gtf";
        o.expression = dir / "tpm.tsv";
        o.out = dir / out;
        o.window = window;
        o.bin_size = bin_size;
        o.marks = {"H3K4me3", "H3K27ac"};
        o.progress = false;
        o.threads = 2;
        o.reference_path = reference;
        return o;
    }
    // The sweep and the reference give the same file, byte for byte, and decode the same intervals.
    void expect_same(int window, int bin_size, const std::string &what) {
        PrepareSummary sweep = prepare_dataset(options("S.safetensors", false, window, bin_size));
        PrepareSummary reference = prepare_dataset(options("R.safetensors", true, window, bin_size));
        EXPECT_EQ(sweep.genes, static_cast<int64_t>(genes.size())) << what;
        EXPECT_EQ(sweep.intervals_read, reference.intervals_read) << what;
        EXPECT_GT(sweep.intervals_read, 0) << what;
        EXPECT_TRUE(read_bytes(dir / "S.safetensors") == read_bytes(dir / "R.safetensors")) << what;
        EXPECT_EQ(read_bytes(dir / "S.genes.tsv"), read_bytes(dir / "R.genes.tsv")) << what;
    }
    ScratchDir dir;
    std::vector<Gene> genes;
};

TEST_F(PrepareSweep, SameBytesAsTheReferenceOnDenseAndSparseTracks) {
    expect_same(10000, 100, "window 10000, bins of 100");
    // Bins that intervals straddle, a bin size that does not divide the block span, one-base bins.
    expect_same(3000, 30, "window 3000, bins of 30");
    expect_same(1001, 7, "window 1001, bins of 7");
    expect_same(200, 1, "window 200, bins of 1");
}

TEST_F(PrepareSweep, AnnotationOrderDoesNotChangeAGenesValues) {
    prepare_dataset(options("A.safetensors", false));
    auto sorted = genes;
    std::sort(sorted.begin(), sorted.end(), [](const Gene &a, const Gene &b) {
        return std::tie(a.chrom, a.tss, a.id) < std::tie(b.chrom, b.tss, b.id);
    });
    write_annotation(dir / "genes.gtf", sorted);
    prepare_dataset(options("B.safetensors", false));
    std::reverse(sorted.begin(), sorted.end());
    write_annotation(dir / "genes.gtf", sorted);
    prepare_dataset(options("C.safetensors", false));
    auto a = inputs_by_gene(dir / "A.safetensors");
    EXPECT_EQ(a.size(), genes.size());
    EXPECT_TRUE(a == inputs_by_gene(dir / "B.safetensors"));
    EXPECT_TRUE(a == inputs_by_gene(dir / "C.safetensors"));
}

TEST_F(PrepareSweep, TheSweepMatchesAPerBaseComputation) {
    prepare_dataset(options("S.safetensors", false));
    auto got = inputs_by_gene(dir / "S.safetensors");
    // dense0.bw is cell c1's H3K4me3 (mark 0); read it whole.
    BigWigReader reader(dir / "dense0.bw");
    std::map<std::string, std::vector<double>> per_base;
    for (auto &chrom : kChromosomes) {
        std::vector<SignalInterval> all;
        reader.read(chrom.name, 0, chrom.length, all);
        auto &bases = per_base[chrom.name];
        bases.assign(chrom.length, 0.0);
        for (auto &interval : all)
            for (uint32_t b = interval.start; b < interval.end; ++b) bases[b] = interval.value;
    }
    for (auto &gene : genes) {
        const auto &bases = per_base[gene.chrom];
        const int64_t p = gene.tss - 1;
        for (int bin = 0; bin < 200; ++bin) {
            double sum = 0;
            for (int64_t offset = 100 * bin - 10000; offset < 100 * bin - 9900; ++offset) {
                int64_t base = gene.strand == '+' ? p + offset : p - offset;
                if (base >= 0 && base < static_cast<int64_t>(bases.size())) sum += bases[base];
            }
            ASSERT_NEAR(got[gene.id][static_cast<size_t>(bin)], std::log1p(sum / 100), 1e-5)
                << gene.id << gene.strand << " bin " << bin;
        }
    }
}

// Files whose intervals are not in order: the sweep hands their regions to the reference path, which
// sorts; the results agree with it and with a per-base computation.
TEST_F(PrepareSweep, UnsortedAndNestedIntervalsTakeTheReferencePath) {
    std::vector<TestInterval> unsorted, nested;
    for (uint32_t start = 0; start + 50 <= 90000; start += 50)
        unsorted.push_back({"chr1", start, start + 50, static_cast<float>(start % 700) / 100});
    // Swap neighbours here and there, so that starts go backwards within a block.
    for (size_t i = 10; i + 1 < unsorted.size(); i += 37) std::swap(unsorted[i], unsorted[i + 1]);
    unsorted.push_back({"chr2", 0, 40000, 1});
    for (uint32_t start = 0; start + 2000 <= 90000; start += 2000) {
        nested.push_back({"chr1", start, start + 1500, 1});
        nested.push_back({"chr1", start + 100, start + 200, 2}); // ends before the previous one
    }
    nested.push_back({"chr2", 0, 40000, 1});
    write_bigwig(dir / "unsorted.bw", kChromosomes, unsorted);
    write_bigwig(dir / "nested.bw", kChromosomes, nested);
    write_manifest("unsorted.bw", "nested.bw", "dense0.bw");
    expect_same(10000, 100, "unsorted and nested");
    auto got = inputs_by_gene(dir / "S.safetensors");
    std::vector<double> bases(90000, 0.0);
    for (auto &interval : unsorted)
        if (interval.chrom == "chr1")
            for (uint32_t b = interval.start; b < interval.end; ++b) bases[b] = interval.value;
    for (auto &gene : genes) {
        if (gene.chrom != "chr1") continue;
        const int64_t p = gene.tss - 1;
        for (int bin = 0; bin < 200; ++bin) {
            double sum = 0;
            for (int64_t offset = 100 * bin - 10000; offset < 100 * bin - 9900; ++offset) {
                int64_t base = gene.strand == '+' ? p + offset : p - offset;
                if (base >= 0 && base < 90000) sum += bases[static_cast<size_t>(base)];
            }
            ASSERT_NEAR(got[gene.id][static_cast<size_t>(bin)], std::log1p(sum / 100), 1e-5)
                << gene.id << gene.strand << " bin " << bin;
        }
    }
}

// A bad value in a block the sweep reads is the reference path's error.
TEST_F(PrepareSweep, BadValuesFailAsBefore) {
    std::vector<TestInterval> bad;
    for (uint32_t start = 0; start + 25 <= 90000; start += 25)
        bad.push_back({"chr1", start, start + 25, start == 45000 ? NAN : 1.0f});
    bad.push_back({"chr2", 0, 40000, 1});
    write_bigwig(dir / "bad.bw", kChromosomes, bad);
    write_manifest("dense0.bw", "bad.bw", "dense1.bw");
    for (bool reference : {false, true}) {
        try {
            prepare_dataset(options("S.safetensors", reference));
            ADD_FAILURE() << "no error";
        } catch (const Error &e) {
            EXPECT_NE(std::string(e.what()).find("track c2 H3K4me3"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("invalid signal value nan at chr1:45001-45025"),
                      std::string::npos)
                << e.what();
        }
    }
}

TEST(BigWigLayout, ItemsPerBlockAndTheBlockCache) {
    ScratchDir dir;
    const ChromosomeLength chrom{"chrZ", 100000};
    Random random(3);
    std::vector<uint32_t> starts, ends;
    std::vector<float> values;
    dense_intervals(random, chrom, starts, ends, values);
    BigWigWriter writer(dir / "t.bw", {chrom}, 0, 100, 8);
    writer.add(chrom.name, starts, ends, values);
    writer.close();
    BigWigReader reader(dir / "t.bw");
    std::vector<const BigWigReader::Block *> blocks;
    reader.blocks(chrom.name, 0, chrom.length, blocks);
    ASSERT_EQ(blocks.size(), (starts.size() + 99) / 100);
    size_t i = 0;
    for (auto *block : blocks) {
        EXPECT_LE(block->size(), 100u);
        for (auto &interval : *block) {
            ASSERT_LT(i, starts.size());
            EXPECT_EQ(interval.start, starts[i]);
            EXPECT_EQ(interval.end, ends[i]);
            EXPECT_EQ(interval.value, values[i]);
            ++i;
        }
    }
    EXPECT_EQ(i, starts.size());
    // Small reads all over, back and forth, evicting and re-decoding blocks: always the same intervals.
    std::vector<SignalInterval> got;
    for (int k = 0; k < 300; ++k) {
        uint32_t start = static_cast<uint32_t>(random.integer(0, chrom.length - 1));
        uint32_t end = std::min(chrom.length, start + static_cast<uint32_t>(random.integer(1, 20000)));
        reader.read(chrom.name, start, end, got);
        size_t n = 0;
        for (size_t j = 0; j < starts.size(); ++j)
            if (ends[j] > start && starts[j] < end) {
                ASSERT_LT(n, got.size());
                EXPECT_EQ(got[n].start, starts[j]);
                EXPECT_EQ(got[n].value, values[j]);
                ++n;
            }
        EXPECT_EQ(n, got.size());
    }
    EXPECT_THROW(BigWigWriter(dir / "u.bw", {chrom}, 0, 3000, 0), Error);

    // A block's order is known once it is asked for again: ordered here, not after two neighbours swap
    // (or after an interval nested in the one before).
    reader.blocks(chrom.name, 0, chrom.length, blocks);
    reader.blocks(chrom.name, 0, chrom.length, blocks); // all cached now
    for (auto *block : blocks) EXPECT_EQ(block->ordered, 1);
    for (int kind = 0; kind < 2; ++kind) {
        std::vector<TestInterval> intervals;
        for (uint32_t start = 0; start + 50 <= 5000; start += 50)
            intervals.push_back({chrom.name, start, start + 50, 1});
        if (kind == 0)
            std::swap(intervals[40], intervals[41]);
        else
            intervals[40].end = intervals[39].end - 10, intervals[40].start = intervals[39].start + 5;
        write_bigwig(dir / "v.bw", {chrom}, intervals);
        BigWigReader unordered(dir / "v.bw");
        for (int pass = 0; pass < 2; ++pass) {
            unordered.blocks(chrom.name, 0, 5000, blocks);
            ASSERT_EQ(blocks.size(), 1u);
            EXPECT_EQ(blocks[0]->ordered, pass == 0 ? -1 : 0) << "kind " << kind;
        }
    }
}

} // namespace
} // namespace causeway::epigenome
