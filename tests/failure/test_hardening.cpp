// Resource limits and files changed under the reader (issue 10): inputs claiming absurd sizes are refused
// before anything is allocated; a small input file is read into memory, so a later change on disk cannot
// touch it; a large mapped one truncated while in use stops the process with a message naming it; a signal
// during a write leaves no temporary file.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include <gtest/gtest.h>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/epigenome/annotation.h"
#include "causeway/epigenome/bigwig.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/safetensors.h"
#include "causeway/study/plot.h"
#include "causeway/tsv.h"

namespace causeway {
namespace {

namespace fs = std::filesystem;

class Hardening : public ::testing::Test {
protected:
    void SetUp() override {
        folder_ =
            fs::temp_directory_path() / ("causeway-hardening-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(folder_);
    }
    void TearDown() override { fs::remove_all(folder_); }
    std::string path(const std::string &name) const { return (folder_ / name).string(); }
    // A file made of an 8-byte little-endian header length, the header text and `data_bytes` zero bytes.
    std::string write_raw(const std::string &name, const std::string &header, uint64_t claimed_length,
                          size_t data_bytes) const {
        std::string bytes(8, '\0');
        for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(claimed_length >> (8 * i));
        bytes += header;
        bytes.append(data_bytes, '\0');
        std::ofstream(path(name), std::ios::binary) << bytes;
        return path(name);
    }
    std::vector<std::string> leftovers() const {
        std::vector<std::string> names;
        for (auto &entry : fs::directory_iterator(folder_)) names.push_back(entry.path().filename().string());
        return names;
    }
    fs::path folder_;
};

std::string error_of(const std::function<void()> &action) {
    try {
        action();
    } catch (const Error &e) {
        return e.what();
    }
    return "(no error)";
}

TEST_F(Hardening, SafetensorsClaimingATrillionElementsIsRefused) {
    const std::string header =
        R"({"inputs":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}})";
    const std::string file = write_raw("huge.safetensors", header, header.size(), 64);
    const std::string message = error_of([&] { SafetensorsFile f(file); });
    EXPECT_NE(message.find("run past the 64 bytes of data"), std::string::npos) << message;
    EXPECT_NE(message.find(file), std::string::npos) << message;
}

TEST_F(Hardening, HugeHeaderLengthIsRefusedBeforeReadingIt) {
    const std::string file = write_raw("header.safetensors", "{}", uint64_t{1} << 40, 0);
    const std::string message = error_of([&] { SafetensorsFile f(file); });
    EXPECT_NE(message.find("header length 1099511627776 does not fit"), std::string::npos) << message;
}

TEST_F(Hardening, ShapeBeyondInt64IsRefused) {
    // A zero extent makes the byte count 0 whatever the other extents are; int64 shapes must still hold.
    const std::string header =
        R"({"t":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}})";
    const std::string file = write_raw("shape.safetensors", header, header.size(), 0);
    const std::string message = error_of([&] { SafetensorsFile f(file); });
    EXPECT_NE(message.find("a shape entry is out of range"), std::string::npos) << message;
}

TEST_F(Hardening, ModelMetadataDescribingBillionsOfParametersIsRefusedBeforeAllocating) {
    // hidden 4096, kernel 4097, depth 64: 4.4e12 parameters (17 TB) from a few bytes of metadata.
    SafetensorsWriter writer;
    const float one = 1;
    writer.add_f32("readout.bias", {1}, &one);
    writer.set_metadata("architecture", "pecnn");
    writer.set_metadata("marks", "H3K4me3");
    writer.set_metadata("bins", "1000000");
    writer.set_metadata("hidden", "4096");
    writer.set_metadata("depth", "64");
    writer.set_metadata("kernel", "4097");
    std::string dilations = "1";
    for (int i = 1; i < 64; ++i) dilations += ",1";
    writer.set_metadata("dilations", dilations);
    writer.set_metadata("pooling", "mean");
    writer.write(path("model.safetensors"));
    const std::string message = error_of([&] { pecnn_load(path("model.safetensors")); });
    // By hand: 4096*1*4097 + 63*4096*4096*4097 + 64*4096 (equivariant) + 4096*4096*4097 + 4096 (invariant)
    // + 2*4096*1000000 + 1 (readout).
    EXPECT_NE(message.find("describes a model of 4407329300481 parameters"), std::string::npos) << message;
    EXPECT_NE(message.find("but holds only 1 values"), std::string::npos) << message;
}

TEST_F(Hardening, SmallFileIsReadIntoMemoryAndSurvivesTruncation) {
    std::vector<float> values(1000);
    for (size_t i = 0; i < values.size(); ++i) values[i] = 0.5f * static_cast<float>(i);
    SafetensorsWriter writer;
    writer.add_f32("w", {10, 100}, values.data());
    writer.write(path("small.safetensors"));
    SafetensorsFile file(path("small.safetensors"));
    ASSERT_EQ(truncate(path("small.safetensors").c_str(), 0), 0);
    const float *read = file.f32("w", {10, 100});
    for (size_t i = 0; i < values.size(); ++i) ASSERT_EQ(read[i], values[i]) << i;
}

TEST_F(Hardening, LargeMappedFileTruncatedWhileInUseStopsWithAMessage) {
    // Above the 64 MiB read-into-memory limit, so the file is mapped.
    std::vector<float> values((size_t{72} << 20) / sizeof(float), 1.0f);
    SafetensorsWriter writer;
    writer.add_f32_view("w", {static_cast<int64_t>(values.size())}, values.data());
    writer.write(path("large.safetensors"));
    const std::string large = path("large.safetensors");
    const auto read_after_truncation = [&] {
        install_signal_cleanup();
        SafetensorsFile file(large);
        const float *read = file.f32("w", {-1});
        if (truncate(large.c_str(), 4096) != 0) std::_Exit(3);
        volatile float sum = 0;
        for (size_t i = 0; i < values.size(); i += 1024) sum = sum + read[i];
        std::_Exit(2); // not reached: the pages past 4096 bytes are gone
    };
    EXPECT_EXIT(read_after_truncation(), ::testing::ExitedWithCode(1),
                "large.safetensors changed on disk while in use");
}

TEST_F(Hardening, InterruptedWriteLeavesNoTemporaryFile) {
    const std::string out = path("out.tsv");
    {
        AtomicOutput previous(out);
        previous.print("previous\n");
        previous.commit();
    }
    const auto interrupted_write = [&] {
        install_signal_cleanup();
        AtomicOutput output(out);
        output.print("partial\n");
        raise(SIGINT);
        std::_Exit(2);
    };
    EXPECT_EXIT(interrupted_write(), ::testing::KilledBySignal(SIGINT), "");
    EXPECT_EQ(leftovers(), std::vector<std::string>{"out.tsv"});
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "previous");
}

TEST_F(Hardening, DatasetClaimingHugeShapeIsRefused) {
    const std::string header =
        R"({"__metadata__":{"cell_types":"a","marks":"m","bin_size":"100","window":"100"},)"
        R"("inputs":{"dtype":"F32","shape":[1000000000000,1,1,2],"data_offsets":[0,8000000000000]},)"
        R"("targets":{"dtype":"F32","shape":[1000000000000,1],"data_offsets":[8000000000000,12000000000000]}})";
    const std::string file = write_raw("d.safetensors", header, header.size(), 16);
    const std::string message = error_of([&] { Dataset d(file); });
    EXPECT_NE(message.find("run past the 16 bytes of data"), std::string::npos) << message;
}

TEST_F(Hardening, TemporaryOutputPathAppearsOnlyOnCommit) {
    const std::string out = path("out.vcf");
    {
        TemporaryOutputPath temp(out);
        std::ofstream(temp.temp()) << "abandoned\n";
    }
    EXPECT_TRUE(leftovers().empty());
    {
        TemporaryOutputPath temp(out);
        std::ofstream(temp.temp()) << "kept\n";
        temp.commit();
    }
    EXPECT_EQ(leftovers(), std::vector<std::string>{"out.vcf"});
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "kept");
}

// A figure is drawn by PLplot into a file it opens itself; Ctrl-C while drawing must not leave that
// temporary behind (it used to be a plain "stem.tmp.PID.png" that nothing removed).
TEST_F(Hardening, InterruptedFigureLeavesNoTemporaryFile) {
    const std::string stem = path("figure");
    const auto interrupted_plot = [&] {
        install_signal_cleanup();
        plot_figure(stem, 200, 200, [] { raise(SIGINT); });
        std::_Exit(2);
    };
    EXPECT_EXIT(interrupted_plot(), ::testing::KilledBySignal(SIGINT), "");
    EXPECT_TRUE(leftovers().empty());
}

// bigWig: libBigWig's recursive index walk overflowed the stack on a cyclic R-tree (found by the bigwig
// fuzz target); the reader now walks the index itself and reports a corrupt one.
uint64_t read_u64(const std::string &bytes, uint64_t at) {
    uint64_t value = 0;
    std::memcpy(&value, bytes.data() + at, 8);
    return value;
}

TEST_F(Hardening, BigWigKnownStackOverflowIsAClearError) {
    const std::string file = path("crash.bw");
    fs::copy_file(std::string(CAUSEWAY_SOURCE_DIR) + "/tests/fuzz/known_crashes/bigwig-rtree-stack-overflow",
                  file);
    const std::string message = error_of([&] {
        epigenome::BigWigReader reader(file);
        std::vector<epigenome::SignalInterval> intervals;
        for (const auto &chromosome : reader.chromosomes())
            reader.read(chromosome.name, 0, chromosome.length, intervals);
    });
    EXPECT_NE(message.find("corrupt bigWig index"), std::string::npos) << message;
    EXPECT_NE(message.find(file), std::string::npos) << message;
}

TEST_F(Hardening, BigWigWithACyclicIndexIsAClearError) {
    // One interval per block and two children per index node: a tree three levels deep over 8 blocks.
    const std::string file = path("cyclic.bw");
    std::vector<uint32_t> starts, ends;
    std::vector<float> values;
    for (uint32_t i = 0; i < 8; ++i) {
        starts.push_back(1000 * i);
        ends.push_back(1000 * i + 500);
        values.push_back(static_cast<float>(i) + 0.5F);
    }
    epigenome::BigWigWriter writer(file, {{"chr1", 10000}}, 0, 1, 2);
    writer.add("chr1", starts, ends, values);
    writer.close();
    {
        // Intact, the walk finds every interval as written.
        epigenome::BigWigReader reader(file);
        std::vector<epigenome::SignalInterval> intervals;
        reader.read("chr1", 0, 10000, intervals);
        ASSERT_EQ(intervals.size(), 8U);
        for (uint32_t i = 0; i < 8; ++i) {
            EXPECT_EQ(intervals[i].start, starts[i]);
            EXPECT_EQ(intervals[i].end, ends[i]);
            EXPECT_EQ(intervals[i].value, values[i]);
        }
        reader.read("chr1", 2200, 3100, intervals);
        ASSERT_EQ(intervals.size(), 2U);
        EXPECT_EQ(intervals[0].start, 2000U);
        EXPECT_EQ(intervals[1].start, 3000U);
    }
    // The format by hand: the index offset is at byte 24 of the header, the root node 48 bytes after the
    // index's start; an inner node's entries are 24 bytes, the child's offset at byte 16 of each.
    std::string bytes;
    {
        std::ifstream in(file, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const uint64_t root = read_u64(bytes, 24) + 48;
    ASSERT_EQ(bytes[root], 0) << "the root should be an inner node";
    std::memcpy(bytes.data() + root + 4 + 16, &root, 8); // its first child is now the root itself
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
    epigenome::BigWigReader reader(file);
    std::vector<epigenome::SignalInterval> intervals;
    const std::string message = error_of([&] { reader.read("chr1", 0, 10000, intervals); });
    EXPECT_NE(message.find("cycle"), std::string::npos) << message;
    EXPECT_NE(message.find("chr1:1-10000"), std::string::npos) << message;
    EXPECT_NE(message.find(file), std::string::npos) << message;
}

// Text readers: gzgets stops its copy at a NUL byte, which used to cut the line there silently.
TEST_F(Hardening, NulByteInATableIsAnErrorNamingTheLine) {
    const std::string file = path("table.tsv");
    std::ofstream(file, std::ios::binary) << std::string("gene\tvalue\ng1\t1.5\ng2\t2\0junk\tmore\n", 33);
    TsvReader reader(file);
    ASSERT_TRUE(reader.next());
    EXPECT_EQ(reader.number(1), 1.5);
    const std::string message = error_of([&] { reader.next(); });
    EXPECT_NE(message.find("NUL byte"), std::string::npos) << message;
    EXPECT_NE(message.find(file + ":3"), std::string::npos) << message;
}

TEST_F(Hardening, NulByteInAGzipTableIsAnErrorNamingTheLine) {
    const std::string file = path("table.tsv.gz");
    const std::string text("gene\tvalue\ng1\t1.5\ng2\t2\0junk\n", 28);
    gzFile gz = gzopen(file.c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    ASSERT_EQ(gzwrite(gz, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
    gzclose(gz);
    const std::string message = error_of([&] {
        TsvReader reader(file);
        while (reader.next()) {
        }
    });
    EXPECT_NE(message.find("NUL byte"), std::string::npos) << message;
    EXPECT_NE(message.find(file + ":3"), std::string::npos) << message;
}

TEST_F(Hardening, NulByteInAnAnnotationIsAnErrorNamingTheLine) {
    const std::string file = path("genes.bed");
    std::ofstream(file, std::ios::binary)
        << std::string("chr1\t100\t200\tg1\t0\t+\nchr1\t300\0\t400\tg2\t0\t+\n", 41);
    const std::string message = error_of([&] { epigenome::read_annotation(file); });
    EXPECT_NE(message.find("NUL byte"), std::string::npos) << message;
    EXPECT_NE(message.find(file + ":2"), std::string::npos) << message;
}

} // namespace
} // namespace causeway
