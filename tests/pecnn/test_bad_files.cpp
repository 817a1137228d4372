// Malformed model and dataset files: each gives a causeway::Error naming the file and the tensor, key or
// line at fault. Never a crash, never a silently wrong model.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>

#include <HalideBuffer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "buffer_fill.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/safetensors.h"
#include "halide_call.h"
#include "pecnn_conv_hidden.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_PECNN_FIXTURES;

std::string temp_path(const std::string &name) {
    return ::testing::TempDir() + "causeway_bad_" + std::to_string(::getpid()) + "_" + name;
}

std::string read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string &path, const std::string &bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

// Splits a safetensors file into its JSON header and data.
std::pair<nlohmann::json, std::string> split(const std::string &bytes) {
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
    return {nlohmann::json::parse(bytes.substr(8, n)), bytes.substr(8 + n)};
}

std::string join(const nlohmann::json &header, const std::string &data) {
    std::string text = header.dump();
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
    return out + text + data;
}

// Expects `load` to throw a causeway::Error whose message contains every one of `parts`.
void expect_error(const std::function<void()> &load, const std::vector<std::string> &parts) {
    try {
        load();
        ADD_FAILURE() << "no error; expected one mentioning " << parts.front();
    } catch (const Error &e) {
        for (auto &p : parts)
            EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << "\n  lacks: " << p;
    }
}

const std::string kModel = kFixtures + "/c1_depth1_mean.model.safetensors";

void expect_model_error(const std::string &name, const std::string &bytes, std::vector<std::string> parts) {
    const std::string path = temp_path(name);
    write_bytes(path, bytes);
    parts.insert(parts.begin(), path);
    expect_error([&] { pecnn_load(path); }, parts);
    std::remove(path.c_str());
}

TEST(BadModelFile, Missing) {
    expect_error([] { pecnn_load("/nonexistent/m.safetensors"); },
                 {"/nonexistent/m.safetensors", "No such file"});
}

TEST(BadModelFile, TooShort) {
    expect_model_error("short", "abc", {"not a safetensors file"});
}

TEST(BadModelFile, Truncated) {
    std::string bytes = read_bytes(kModel);
    expect_model_error("truncated", bytes.substr(0, bytes.size() * 2 / 3), {"run past", "truncated"});
}

TEST(BadModelFile, GarbageHeader) {
    std::string bytes = read_bytes(kModel);
    for (size_t i = 8; i < 40; ++i) bytes[i] = '#';
    expect_model_error("garbage", bytes, {"not valid JSON"});
}

TEST(BadModelFile, HeaderLengthPastEnd) {
    std::string bytes = read_bytes(kModel);
    bytes[6] = 0x7f;
    expect_model_error("length", bytes, {"header length"});
}

TEST(BadModelFile, WrongDtype) {
    auto [header, data] = split(read_bytes(kModel));
    header["readout.bias"]["dtype"] = "I32";
    expect_model_error("dtype", join(header, data), {"'readout.bias'", "I32", "expected F32"});
}

TEST(BadModelFile, InconsistentByteCount) {
    auto [header, data] = split(read_bytes(kModel));
    header["readout.bias"]["dtype"] = "F64";
    expect_model_error("bytes", join(header, data), {"'readout.bias'", "needs 8 bytes"});
}

TEST(BadModelFile, WrongShape) {
    auto [header, data] = split(read_bytes(kModel));
    header["invariant.bias"]["shape"] = {2, 4};
    expect_model_error("shape", join(header, data), {"'invariant.bias'", "[2, 4]", "expected [8]"});
}

TEST(BadModelFile, MissingTensor) {
    auto [header, data] = split(read_bytes(kModel));
    header.erase("readout.weight");
    expect_model_error("missing", join(header, data), {"missing tensor 'readout.weight'"});
}

TEST(BadModelFile, MetadataDisagreesWithTensors) {
    auto [header, data] = split(read_bytes(kModel));
    header["__metadata__"]["hidden"] = "16";
    expect_model_error("meta", join(header, data), {"'equivariant.0.weight'", "expected [16, 6, 1, 11]"});
}

TEST(BadModelFile, MissingMetadata) {
    auto [header, data] = split(read_bytes(kModel));
    header["__metadata__"].erase("pooling");
    expect_model_error("nopool", join(header, data), {"missing metadata 'pooling'"});
}

TEST(BadModelFile, BadMetadataValue) {
    auto [header, data] = split(read_bytes(kModel));
    header["__metadata__"]["kernel"] = "eleven";
    expect_model_error("kernel", join(header, data), {"metadata 'kernel'", "eleven"});
}

TEST(BadModelFile, WrongArchitecture) {
    auto [header, data] = split(read_bytes(kModel));
    header["__metadata__"]["architecture"] = "seqcnn";
    expect_model_error("arch", join(header, data), {"'seqcnn'", "expected 'pecnn'"});
}

TEST(BadModelFile, UnexpectedTensor) {
    auto [header, data] = split(read_bytes(kModel));
    header["equivariant.1.weight"] = header["readout.bias"];
    header["equivariant.1.weight"]["data_offsets"] = {data.size(), data.size() + 4};
    expect_model_error("extra", join(header, data + std::string(4, '\0')),
                       {"unexpected tensor 'equivariant.1.weight'"});
}

TEST(BadModelFile, NonFiniteWeight) {
    auto [header, data] = split(read_bytes(kModel));
    const float nan = std::nanf("");
    size_t offset = header["invariant.bias"]["data_offsets"][0].get<size_t>();
    std::memcpy(&data[offset], &nan, 4);
    expect_model_error("nan", join(header, data), {"'invariant.bias'", "non-finite"});
}

TEST(BadModelFile, OverlappingTensors) {
    auto [header, data] = split(read_bytes(kModel));
    header["readout.bias"]["data_offsets"] = {0, 4};
    expect_model_error("overlap", join(header, data), {"overlap"});
}

const std::string kDataset = kFixtures + "/c5_depth3_dilated_max.dataset";

// Copies the fixture dataset with the safetensors bytes and/or gene table changed.
void expect_dataset_error(const std::string &name, const std::string &bytes, const std::string &genes,
                          std::vector<std::string> parts) {
    const std::string path = temp_path(name + ".safetensors");
    write_bytes(path, bytes);
    if (!genes.empty()) write_bytes(gene_table_path(path), genes);
    expect_error([&] { Dataset d(path); }, parts);
    std::remove(path.c_str());
    std::remove(gene_table_path(path).c_str());
}

TEST(BadDatasetFile, CellTypesDisagreeWithInputs) {
    auto [header, data] = split(read_bytes(kDataset + ".safetensors"));
    header["__metadata__"]["cell_types"] = "a,b,c";
    expect_dataset_error("cells", join(header, data), read_bytes(kDataset + ".genes.tsv"),
                         {"'inputs'", "5 cell types", "'cell_types' lists 3"});
}

TEST(BadDatasetFile, TargetsWrongShape) {
    auto [header, data] = split(read_bytes(kDataset + ".safetensors"));
    header["targets"]["shape"] = {5, 2};
    expect_dataset_error("targets", join(header, data), read_bytes(kDataset + ".genes.tsv"),
                         {"'targets'", "[5, 2]", "expected [2, 5]"});
}

TEST(BadDatasetFile, MissingGeneTable) {
    expect_dataset_error("nogenes", read_bytes(kDataset + ".safetensors"), "", {"nogenes.genes.tsv"});
}

TEST(BadDatasetFile, GeneCountDisagrees) {
    expect_dataset_error("count", read_bytes(kDataset + ".safetensors"),
                         "gene_id\tchrom\ttss\tstrand\nA\tchr1\t5\t+\n",
                         {"count.genes.tsv lists 1 genes", "holds 2"});
}

TEST(BadDatasetFile, DuplicateGene) {
    expect_dataset_error("dup", read_bytes(kDataset + ".safetensors"),
                         "gene_id\tchrom\ttss\tstrand\nA\tchr1\t5\t+\nA\tchr2\t9\t-\n",
                         {"duplicate gene_id 'A'", "dup.genes.tsv:3"});
}

TEST(BadDatasetFile, BadStrand) {
    expect_dataset_error("strand", read_bytes(kDataset + ".safetensors"),
                         "gene_id\tchrom\ttss\tstrand\nA\tchr1\t5\t+\nB\tchr2\t9\tx\n",
                         {"strand must be + or -", "strand.genes.tsv:3"});
}

TEST(BadDatasetFile, NonFiniteInput) {
    auto [header, data] = split(read_bytes(kDataset + ".safetensors"));
    const float inf = INFINITY;
    size_t offset = header["inputs"]["data_offsets"][0].get<size_t>() + 4 * (1 * 5 * 4 * 40 + 7);
    std::memcpy(&data[offset], &inf, 4);
    expect_dataset_error("inf", join(header, data), read_bytes(kDataset + ".genes.tsv"),
                         {"'inputs'", "non-finite", "gene 2, cell type 1, mark 1, bin 8"});
}

TEST(SafetensorsRoundTrip, WriterOutputReadsBack) {
    const std::string path = temp_path("roundtrip.safetensors");
    SafetensorsWriter w;
    std::vector<float> a = {1, 2, 3, 4, 5, 6}, b = {7};
    w.add_f32("a", {2, 3}, a.data());
    w.add_f32("b", {1}, b.data());
    w.set_metadata("k", "v");
    w.write(path);
    SafetensorsFile f(path);
    EXPECT_EQ(f.metadata("k"), "v");
    const float *pa = f.f32("a", {2, -1});
    EXPECT_EQ(std::vector<float>(pa, pa + 6), a);
    EXPECT_EQ(f.f32("b", {1})[0], 7.f);
    std::remove(path.c_str());
}

} // namespace
} // namespace causeway

namespace causeway {
namespace {

// A pipeline handed inconsistent buffers reports Halide's own diagnosis through causeway::Error instead
// of printing and aborting.
TEST(PipelineErrors, HalideErrorBecomesCausewayError) {
    Halide::Runtime::Buffer<float> input(32, 40, 3), weight(11, 16, 32), bias(32), output(32, 40, 3);
    causeway::detail::fill(input, 1.f);
    causeway::detail::fill(weight, 0.f);
    causeway::detail::fill(bias, 0.f);
    try {
        detail::check_pipeline(pecnn_conv_hidden(input, weight, bias, 1, output), "pecnn_conv_hidden");
        ADD_FAILURE() << "no error for a weight with 16 input channels on a 32-channel input";
    } catch (const Error &e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("pecnn_conv_hidden"), std::string::npos) << what;
        EXPECT_NE(what.find("weight"), std::string::npos) << what;
    }
}

} // namespace
} // namespace causeway
