// Resource limits and files changed under the reader (issue 10): inputs claiming absurd sizes are refused
// before anything is allocated; a small input file is read into memory, so a later change on disk cannot
// touch it; a large mapped one truncated while in use stops the process with a message naming it; a signal
// during a write leaves no temporary file.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/safetensors.h"

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

} // namespace
} // namespace causeway
