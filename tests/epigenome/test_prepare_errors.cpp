// Every bad input to causeway prepare: a causeway::Error whose message names the file and the line, column
// or track at fault, and no output left behind (nor a temporary file, nor a clobbered earlier output).
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sys/stat.h>

#include "causeway/epigenome/prepare.h"
#include "causeway/error.h"
#include "epigenome_test_util.h"

namespace causeway::epigenome {
namespace {

using testing::read_bytes;
using testing::ScratchDir;
using testing::write_bigwig;
using testing::write_gzip;
using testing::write_text;

const char *kGtf = "chr1\tt\tgene\t1001\t2000\t.\t+\t.\tgene_id \"GA\";\n"
                   "chr1\tt\tgene\t3001\t4000\t.\t-\t.\tgene_id \"GB\";\n";
const char *kTpm = "gene_id\tc1\tc2\nGA\t1\t2\nGB\t3\t4\n";
const char *kManifest = "cell_type\tmark\tpath\n"
                        "c1\tH3K4me3\tt1.bw\n"
                        "c1\tH3K27ac\tt1.bw\n"
                        "c2\tH3K4me3\tt2.bw\n"
                        "c2\tH3K27ac\tt2.bw\n";

class PrepareErrors : public ::testing::Test {
protected:
    void SetUp() override {
        mkdir((dir / "out").c_str(), 0777);
        write_bigwig(dir / "t1.bw", {{"chr1", 10000}}, {{"chr1", 0, 5000, 2}, {"chr1", 5000, 10000, 1}});
        write_bigwig(dir / "t2.bw", {{"chr1", 10000}}, {{"chr1", 100, 9000, 3}});
        write_text(dir / "genes.gtf", kGtf);
        write_text(dir / "tpm.tsv", kTpm);
        write_text(dir / "tracks.tsv", kManifest);
    }
    PrepareOptions options() {
        PrepareOptions o;
        o.manifest = dir / "tracks.tsv";
        o.annotation = dir / "genes.gtf";
        o.expression = dir / "tpm.tsv";
        o.out = dir / "out/D.safetensors";
        o.window = 1000;
        o.bin_size = 100;
        o.marks = {"H3K4me3", "H3K27ac"};
        o.progress = false;
        return o;
    }
    void expect_error(const PrepareOptions &o, std::initializer_list<std::string> parts) {
        try {
            prepare_dataset(o);
            ADD_FAILURE() << "expected an error containing '" << *parts.begin() << "'";
        } catch (const Error &e) {
            std::string message = e.what();
            for (auto &part : parts)
                EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
        }
        EXPECT_EQ(testing::list_folder(dir / "out"), std::vector<std::string>{}) << "output left behind";
    }
    void expect_error(std::initializer_list<std::string> parts) { expect_error(options(), parts); }
    ScratchDir dir;
};

TEST_F(PrepareErrors, ValidInputsWork) {
    prepare_dataset(options());
    EXPECT_TRUE(testing::exists(dir / "out/D.safetensors"));
    EXPECT_TRUE(testing::exists(dir / "out/D.genes.tsv"));
}

TEST_F(PrepareErrors, MissingFiles) {
    PrepareOptions o = options();
    o.manifest = dir / "nope.tsv";
    expect_error(o, {"cannot open", "nope.tsv", "No such file"});
    o = options();
    o.annotation = dir / "nope.gtf";
    expect_error(o, {"cannot open", "nope.gtf"});
    o = options();
    o.expression = dir / "nope_tpm.tsv";
    expect_error(o, {"cannot open", "nope_tpm.tsv"});
    write_text(dir / "tracks.tsv", std::string(kManifest) + "c2\tH3K9me3\tmissing.bw\n");
    o = options();
    o.marks = {"H3K4me3", "H3K27ac", "H3K9me3"};
    expect_error(o, {"track c2 H3K9me3", "missing.bw", "manifest line 6", "No such file"});
}

TEST_F(PrepareErrors, UnreadableTrack) {
    mkdir((dir / "folder.bw").c_str(), 0777);
    write_text(dir / "tracks.tsv", "cell_type\tmark\tpath\nc1\tH3K4me3\tt1.bw\nc1\tH3K27ac\tfolder.bw\n"
                                   "c2\tH3K4me3\tt2.bw\nc2\tH3K27ac\tt2.bw\n");
    expect_error({"track c1 H3K27ac", "folder.bw", "not a regular file"});
}

TEST_F(PrepareErrors, CorruptBigWigs) {
    const std::string good = read_bytes(dir / "t2.bw");
    // Not a bigWig at all.
    write_text(dir / "t2.bw", "chr1\t0\t100\t1.5\n");
    expect_error({"track c2 H3K4me3", "t2.bw", "manifest line 4", "not a bigWig"});
    // Truncated: the index is gone.
    write_text(dir / "t2.bw", good.substr(0, good.size() / 2));
    expect_error({"track c2 H3K4me3", "t2.bw", "truncated or corrupt bigWig"});
    write_text(dir / "t2.bw", good.substr(0, 40));
    expect_error({"track c2 H3K4me3", "t2.bw", "only 40 bytes"});
    // A damaged data block (zlib refuses it).
    uint64_t data_offset = 0;
    std::memcpy(&data_offset, good.data() + 16, 8);
    std::string damaged = good;
    for (size_t i = data_offset + 4; i < data_offset + 24 && i < damaged.size(); ++i) damaged[i] ^= 0x5a;
    write_text(dir / "t2.bw", damaged);
    expect_error({"track c2 H3K4me3", "t2.bw", "corrupt data block"});
    // A chromosome list pointing past the end of the file.
    std::string bad_list = good;
    uint64_t beyond = good.size() + 100;
    std::memcpy(&bad_list[8], &beyond, 8);
    write_text(dir / "t2.bw", bad_list);
    expect_error({"track c2 H3K4me3", "t2.bw", "truncated or corrupt bigWig", "chromosome list"});
}

TEST_F(PrepareErrors, BadSignalValues) {
    write_bigwig(dir / "t2.bw", {{"chr1", 10000}}, {{"chr1", 100, 900, 3}, {"chr1", 1000, 1100, -2}});
    expect_error({"track c2 H3K4me3", "invalid signal value -2", "chr1:1001-1100"});
}

TEST_F(PrepareErrors, MalformedManifest) {
    write_text(dir / "tracks.tsv", "cell_type\tmark\tfile\nc1\tH3K4me3\tt1.bw\n");
    expect_error({"missing column 'path'", "tracks.tsv:1"});
    write_text(dir / "tracks.tsv", std::string(kManifest) + "c1\tH3K4me3\tt2.bw\n");
    expect_error({"cell type 'c1' and mark 'H3K4me3' listed twice (first at line 2)", "tracks.tsv:6"});
    write_text(dir / "tracks.tsv", "cell_type\tmark\tpath\nc1\tH3K4me3\n");
    expect_error({"expected 3 tab-separated fields, found 2", "tracks.tsv:2"});
    write_text(dir / "tracks.tsv", std::string(kManifest) + "c1\tH3K9me3\tt1.bw\n");
    expect_error({"mark 'H3K9me3' is not among the dataset's marks", "tracks.tsv:6"});
}

TEST_F(PrepareErrors, MalformedGtf) {
    write_text(dir / "genes.gtf", std::string(kGtf) + "chr1\tt\tgene\t5000\t6000\t.\t+\n");
    expect_error({"needs 9 tab-separated fields, found 7", "genes.gtf:3"});
    write_text(dir / "genes.gtf", std::string(kGtf) + "chr1\tt\tgene\tabc\t6000\t.\t+\t.\tgene_id \"GC\";\n");
    expect_error({"start must be a non-negative integer, got 'abc'", "genes.gtf:3"});
    write_text(dir / "genes.gtf",
               std::string(kGtf) + "chr1\tt\tgene\t7000\t6000\t.\t+\t.\tgene_id \"GC\";\n");
    expect_error({"bad gene coordinates 7000..6000", "genes.gtf:3"});
    write_text(dir / "genes.gtf",
               std::string(kGtf) + "chr1\tt\tgene\t5000\t6000\t.\t.\t.\tgene_id \"GC\";\n");
    expect_error({"gene strand must be + or -", "genes.gtf:3"});
    write_text(dir / "genes.gtf",
               std::string(kGtf) + "chr1\tt\tgene\t5000\t6000\t.\t+\t.\tgene_name \"C\";\n");
    expect_error({"gene line without a gene id", "genes.gtf:3"});
    write_text(dir / "genes.gtf",
               std::string(kGtf) + "chr1\tt\tgene\t5000\t6000\t.\t+\t.\tgene_id \"GA\";\n");
    expect_error({"duplicate gene id 'GA' (first at line 1)", "genes.gtf:3"});
    write_text(dir / "genes.gtf", "chr1\tt\texon\t5000\t6000\t.\t+\t.\tgene_id \"GA\";\n");
    expect_error({"no 'gene' features in the GTF annotation", "genes.gtf"});
    write_gzip(dir / "genes.gtf.gz", std::string(kGtf) + "chr1\tt\tgene\t5000\n");
    PrepareOptions o = options();
    o.annotation = dir / "genes.gtf.gz";
    expect_error(o, {"needs 9 tab-separated fields", "genes.gtf.gz:3"});
    // A corrupt gzip.
    std::string gz = read_bytes(dir / "genes.gtf.gz");
    write_text(dir / "genes.gtf.gz", gz.substr(0, gz.size() - 12) + "garbagegarbage");
    expect_error(o, {"corrupt or truncated gzip", "genes.gtf.gz"});
}

TEST_F(PrepareErrors, MalformedGff3AndBed) {
    PrepareOptions o = options();
    o.annotation = dir / "genes.gff3";
    write_text(dir / "genes.gff3", "##gff-version 3\nchr1\tt\tgene\t1001\t2000\t.\t+\t.\tName=A\n");
    expect_error(o, {"gene line without a gene id (gene_id= or ID=)", "genes.gff3:2"});
    o.annotation = dir / "tss.bed";
    write_text(dir / "tss.bed", "chr1\t1000\t1001\tGA\t0\t+\nchr1\t3000\t3001\tGB\n");
    expect_error(o, {"a BED6 line needs 6 tab-separated fields", "found 4", "tss.bed:2"});
    write_text(dir / "tss.bed", "chr1\t1000\t1001\tGA\t0\t+\nchr1\t3000\t3000\tGB\t0\t-\n");
    expect_error(o, {"BED end 3000 must exceed start 3000", "tss.bed:2"});
    write_text(dir / "tss.bed", "chr1\t1000\t1001\tGA\t0\t+\nchr1\t-5\t3000\tGB\t0\t-\n");
    expect_error(o, {"BED start must be a non-negative integer, got '-5'", "tss.bed:2"});
    write_text(dir / "tss.bed", "chr1\t1000\t1001\tGA\t0\t+\nchr1\t3000\t3001\tGB\t0\t*\n");
    expect_error(o, {"strand must be + or -, got '*'", "tss.bed:2"});
    write_text(dir / "tss.bed", "chr1\t1000\t1001\tGA\t0\t+\nchr1\t3000\t3001\tGA\t0\t-\n");
    expect_error(o, {"duplicate gene id 'GA' (first at line 1)", "tss.bed:2"});
    o.annotation = dir / "annotation.txt";
    write_text(dir / "annotation.txt", "chr1 1000 1001 GA\n");
    expect_error(o, {"cannot tell the annotation format", "annotation.txt:1"});
}

TEST_F(PrepareErrors, BadExpression) {
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\t2\nGB\tabc\t4\n");
    expect_error({"non-numeric TPM: column 'c1' ('abc') at", "tpm.tsv:3"});
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\t-2\nGB\t3\t4\n");
    expect_error({"negative TPM: column 'c2' ('-2') at", "tpm.tsv:2"});
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\tNaN\nGB\t3\t4\n");
    expect_error({"NaN TPM", "column 'c2' ('NaN')", "tpm.tsv:2"});
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\tinf\nGB\t3\t4\n");
    expect_error({"infinite TPM", "tpm.tsv:2"});
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\t2\nGA\t3\t4\n");
    expect_error({"duplicate gene id 'GA' (first at line 2)", "tpm.tsv:3"});
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\t2\nGB\t3\n");
    expect_error({"expected 3 tab-separated fields, found 2", "tpm.tsv:3"});
    write_text(dir / "tpm.tsv", "gene\tc1\tc2\nGA\t1\t2\n");
    expect_error({"the first column must be 'gene_id'", "tpm.tsv:1"});
    write_text(dir / "tpm.tsv", "");
    expect_error({"empty file", "tpm.tsv"});
    write_gzip(dir / "tpm.tsv.gz", "gene_id\tc1\tc2\nGA\t1\t2\nGB\t3\tx\n");
    PrepareOptions o = options();
    o.expression = dir / "tpm.tsv.gz";
    expect_error(o, {"non-numeric TPM", "tpm.tsv.gz:3"});
}

TEST_F(PrepareErrors, CellTypesMustAgree) {
    write_text(dir / "tpm.tsv", "gene_id\tc1\nGA\t1\nGB\t3\n");
    expect_error({"cell type 'c2' has no column in the expression table", "tpm.tsv", "tracks.tsv:4"});
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\tc3\nGA\t1\t2\t3\nGB\t3\t4\t5\n");
    expect_error({"cell type 'c3' of the expression table", "has no tracks in the manifest", "tracks.tsv"});
    write_text(dir / "tpm.tsv", kTpm);
    write_text(dir / "tracks.tsv",
               "cell_type\tmark\tpath\nc1\tH3K4me3\tt1.bw\nc1\tH3K27ac\tt1.bw\nc2\tH3K4me3\tt2.bw\n");
    expect_error({"no track for cell type 'c2' and mark 'H3K27ac'", "--impute mean-of-cells"});
    // Nothing to impute from.
    PrepareOptions o = options();
    o.impute = Imputation::MeanOfCells;
    o.marks = {"H3K4me3", "H3K27ac", "H3K9me3"};
    expect_error(o, {"no track for mark 'H3K9me3' in any cell type", "nothing to impute it from"});
}

TEST_F(PrepareErrors, EmptyResults) {
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGX\t1\t2\n");
    expect_error({"no genes left", "genes.gtf", "tpm.tsv"});
    write_text(dir / "tpm.tsv", kTpm);
    write_text(dir / "genes.gtf", "chr5\tt\tgene\t1001\t2000\t.\t+\t.\tgene_id \"GA\";\n");
    expect_error({"no genes left"});
    write_text(dir / "genes.gtf", kGtf);
    PrepareOptions o = options();
    o.chroms = {"chr9"};
    expect_error(o, {"--chroms: no gene of the annotation", "'chr9'"});
}

TEST_F(PrepareErrors, TssBeyondTheChromosome) {
    write_text(dir / "genes.gtf",
               std::string(kGtf) + "chr1\tt\tgene\t9000\t12000\t.\t-\t.\tgene_id \"GC\";\n");
    write_text(dir / "tpm.tsv", std::string(kTpm) + "GC\t1\t1\n");
    expect_error(
        {"gene 'GC' has its TSS at chr1:12000, beyond the end of chr1 (10000 bases)", "genes.gtf:3"});
}

TEST_F(PrepareErrors, BadWindow) {
    PrepareOptions o = options();
    o.window = 1050;
    expect_error(o, {"--window (1050) must be a positive multiple of --bin-size (100)"});
}

TEST_F(PrepareErrors, AnEarlierOutputSurvivesAFailure) {
    prepare_dataset(options());
    const std::string before = read_bytes(dir / "out/D.safetensors");
    write_text(dir / "tpm.tsv", "gene_id\tc1\tc2\nGA\t1\t2\nGB\tabc\t4\n");
    EXPECT_THROW(prepare_dataset(options()), Error);
    EXPECT_EQ(read_bytes(dir / "out/D.safetensors"), before);
    EXPECT_EQ(testing::list_folder(dir / "out"), (std::vector<std::string>{"D.genes.tsv", "D.safetensors"}));
}

} // namespace
} // namespace causeway::epigenome
