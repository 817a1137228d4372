// Malformed seqcnn model files and misuse of the network: each gives a causeway::Error naming the file and
// the tensor or metadata key at fault (or the argument). Never a crash, never a silently wrong model.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "causeway/error.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_network.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;
const std::string kModel = kFixtures + "/deepsea_ratio.model.safetensors";

std::string read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

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

void expect_error(const std::function<void()> &run, const std::vector<std::string> &parts) {
    try {
        run();
        ADD_FAILURE() << "no error; expected one mentioning " << parts.front();
    } catch (const Error &e) {
        for (auto &p : parts)
            EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << "\n  lacks: " << p;
    }
}

// Edits the fixture's header, writes it to a temporary file and expects loading it to fail with a message
// naming that file and every one of `parts`.
void expect_edited_model_error(const std::string &name, const std::function<void(nlohmann::json &)> &edit,
                               std::vector<std::string> parts) {
    auto [header, data] = split(read_bytes(kModel));
    edit(header);
    const std::string path = ::testing::TempDir() + "seqcnn_bad_" + std::to_string(::getpid()) + "_" + name;
    {
        std::ofstream out(path, std::ios::binary);
        out << join(header, data);
    }
    parts.insert(parts.begin(), path);
    expect_error([&] { seqcnn_load(path); }, parts);
    std::remove(path.c_str());
}

TEST(SeqcnnBadModelFile, TheFixtureLoads) {
    const SeqcnnModel model = seqcnn_load(kModel);
    EXPECT_EQ(model.config.conv_blocks(), 3);
    EXPECT_EQ(model.config.dense_layers(), 2);
    EXPECT_EQ(model.config.flatten_size(), 96 * 3);
}

TEST(SeqcnnBadModelFile, Missing) {
    expect_error([] { seqcnn_load("/nonexistent/m.safetensors"); },
                 {"/nonexistent/m.safetensors", "No such file"});
}

TEST(SeqcnnBadModelFile, OtherArchitecture) {
    expect_edited_model_error("arch", [](nlohmann::json &h) { h["__metadata__"]["architecture"] = "pecnn"; },
                              {"'pecnn'", "'seqcnn'"});
}

TEST(SeqcnnBadModelFile, MissingMetadataKey) {
    expect_edited_model_error("no_tasks", [](nlohmann::json &h) { h["__metadata__"].erase("tasks"); },
                              {"tasks"});
}

TEST(SeqcnnBadModelFile, UnknownActivation) {
    expect_edited_model_error("tanh", [](nlohmann::json &h) { h["__metadata__"]["activation"] = "tanh"; },
                              {"activation", "tanh"});
}

TEST(SeqcnnBadModelFile, UnknownPadding) {
    expect_edited_model_error("full", [](nlohmann::json &h) { h["__metadata__"]["padding"] = "full"; },
                              {"padding", "full"});
}

TEST(SeqcnnBadModelFile, PoolListsFewerBlocksThanTensors) {
    expect_edited_model_error("pool2", [](nlohmann::json &h) { h["__metadata__"]["pool"] = "4,4"; },
                              {"conv.2.weight", "pool"});
}

TEST(SeqcnnBadModelFile, PoolListsMoreBlocksThanTensors) {
    expect_edited_model_error("pool4", [](nlohmann::json &h) { h["__metadata__"]["pool"] = "4,4,1,1"; },
                              {"missing tensor 'conv.3.weight'", "pool"});
}

TEST(SeqcnnBadModelFile, FlattenSizeMismatchFromPool) {
    expect_edited_model_error("flatten_pool", [](nlohmann::json &h) { h["__metadata__"]["pool"] = "4,4,2"; },
                              {"dense.0.weight", "288 inputs", "flatten", "96 channels x 1 positions"});
}

TEST(SeqcnnBadModelFile, FlattenSizeMismatchFromLength) {
    expect_edited_model_error("flatten_length",
                              [](nlohmann::json &h) { h["__metadata__"]["sequence_length"] = "300"; },
                              {"dense.0.weight", "flatten", "sequence_length 300"});
}

TEST(SeqcnnBadModelFile, TooShortForTheBlocks) {
    expect_edited_model_error("short", [](nlohmann::json &h) { h["__metadata__"]["sequence_length"] = "40"; },
                              {"conv block 1 leaves no positions"});
}

TEST(SeqcnnBadModelFile, TaskCountDisagreesWithLastLayer) {
    expect_edited_model_error("tasks", [](nlohmann::json &h) { h["__metadata__"]["tasks"] = "a,b,c"; },
                              {"'tasks'", "3 tasks", "dense.1.weight", "16 outputs"});
}

TEST(SeqcnnBadModelFile, DuplicateTask) {
    expect_edited_model_error("duplicate",
                              [](nlohmann::json &h) {
                                  std::string tasks;
                                  for (int t = 0; t < 16; ++t)
                                      tasks += (t ? "," : "") +
                                               std::string(t < 2 ? "same" : "t" + std::to_string(t));
                                  h["__metadata__"]["tasks"] = tasks;
                              },
                              {"'same' is listed twice"});
}

TEST(SeqcnnBadModelFile, DropoutOutOfRange) {
    expect_edited_model_error("dropout",
                              [](nlohmann::json &h) { h["__metadata__"]["conv_dropout"] = "0.2,1.5,0.5"; },
                              {"conv_dropout", "1.5"});
}

TEST(SeqcnnBadModelFile, DropoutCountMismatch) {
    expect_edited_model_error("dropout_count",
                              [](nlohmann::json &h) { h["__metadata__"]["conv_dropout"] = "0.2,0.5"; },
                              {"conv_dropout", "2 values", "3"});
}

TEST(SeqcnnBadModelFile, DropoutNotANumber) {
    expect_edited_model_error("dropout_text",
                              [](nlohmann::json &h) { h["__metadata__"]["dense_dropout"] = "half"; },
                              {"dense_dropout", "half"});
}

TEST(SeqcnnBadModelFile, FirstLayerNotFourChannels) {
    // Same element count, so the bytes still fit: [32, 4, 8] read as [64, 2, 8].
    expect_edited_model_error("in_channels",
                              [](nlohmann::json &h) {
                                  h["conv.0.weight"]["shape"] = {64, 2, 8};
                              },
                              {"conv.0.weight", "2 input channels", "expected 4", "A, C, G, T"});
}

TEST(SeqcnnBadModelFile, ChannelsDisagreeBetweenBlocks) {
    // conv.1 [48, 32, 8] read as [32, 48, 8]: conv.2 then expects 32 inputs, not its 48.
    expect_edited_model_error("chain",
                              [](nlohmann::json &h) {
                                  h["conv.1.weight"]["shape"] = {32, 48, 8};
                              },
                              {"conv.1.weight", "48 input channels", "expected 32"});
}

TEST(SeqcnnBadModelFile, WeightNotThreeDimensional) {
    expect_edited_model_error("rank",
                              [](nlohmann::json &h) {
                                  h["conv.2.weight"]["shape"] = {96, 48, 1, 8};
                              },
                              {"conv.2.weight", "[96, 48, 1, 8]", "[out, in, kernel]"});
}

TEST(SeqcnnBadModelFile, BiasWrongShape) {
    expect_edited_model_error("bias",
                              [](nlohmann::json &h) {
                                  h["conv.0.bias"]["shape"] = {2, 16};
                              },
                              {"conv.0.bias", "[2, 16]", "[32]"});
}

TEST(SeqcnnBadModelFile, DenseChainMismatch) {
    // dense.1 [16, 64] read as [32, 32]: its inputs disagree with dense.0's 64 outputs.
    expect_edited_model_error("dense_chain",
                              [](nlohmann::json &h) {
                                  h["dense.1.weight"]["shape"] = {32, 32};
                                  h["__metadata__"]["tasks"] = "";
                              },
                              {"dense.1.weight", "32 inputs", "expected 64"});
}

TEST(SeqcnnBadModelFile, MissingBias) {
    expect_edited_model_error("no_bias",
                              [](nlohmann::json &h) {
                                  h["dense.1.extra"] = h["dense.1.bias"];
                                  h.erase("dense.1.bias");
                              },
                              {"missing tensor 'dense.1.bias'"});
}

TEST(SeqcnnBadModelFile, UnexpectedTensor) {
    expect_edited_model_error(
        "extra",
        [](nlohmann::json &h) {
            // An empty tensor at the end of the data: valid safetensors, not part of the model.
            uint64_t end = 0;
            for (auto &[name, entry] : h.items())
                if (name != "__metadata__") end = std::max(end, entry["data_offsets"][1].get<uint64_t>());
            h["dense.0.weight_scale"] = {{"dtype", "F32"}, {"shape", {0}}, {"data_offsets", {end, end}}};
        },
        {"unexpected tensor 'dense.0.weight_scale'"});
}

TEST(SeqcnnBadModelFile, WrongDtype) {
    expect_edited_model_error("dtype", [](nlohmann::json &h) { h["dense.1.bias"]["dtype"] = "I32"; },
                              {"dense.1.bias", "I32"});
}

TEST(SeqcnnNetworkMisuse, WrongMaskCount) {
    SeqcnnNetwork network(seqcnn_load(kModel));
    std::vector<float> inputs(4 * 200, 0.f), out(16);
    SeqcnnMasks masks;
    masks.keep = {nullptr, nullptr};
    expect_error([&] { network.forward(inputs.data(), 1, out.data(), &masks); },
                 {"2 dropout masks", "4 dropout sites"});
}

TEST(SeqcnnNetworkMisuse, MaskForASiteWithoutDropout) {
    const SeqcnnModel model = seqcnn_load(kModel); // dense_dropout 0
    SeqcnnNetwork network(model);
    std::vector<float> inputs(4 * 200, 0.f), out(16);
    std::vector<uint8_t> keep(64, 1);
    SeqcnnMasks masks;
    masks.keep = {nullptr, nullptr, nullptr, keep.data()};
    expect_error([&] { network.forward(inputs.data(), 1, out.data(), &masks); },
                 {"site 3", "probability is 0"});
}

TEST(SeqcnnNetworkMisuse, MaskBatchDisagrees) {
    SeqcnnNetwork network(seqcnn_load(kModel));
    std::vector<float> inputs(3 * 4 * 200, 0.f), out(3 * 16);
    SeqcnnMasks masks;
    masks.batch = 2;
    masks.keep = {nullptr, nullptr, nullptr, nullptr};
    expect_error([&] { network.forward(inputs.data(), 3, out.data(), &masks); },
                 {"2 sequences", "batch of 3"});
}

} // namespace
} // namespace causeway
