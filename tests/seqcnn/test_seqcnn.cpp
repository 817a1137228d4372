// The compiled sequence CNN against PyTorch (tests/seqcnn/seqcnn_reference.py, float64 from the float32
// parameters): small models of every kind (relu and threshold, valid and same padding, pools 1 to 5, one
// to three dense layers) and DeepSEA at full size, without and with dropout masks.
#include <cmath>
#include <cstdio>
#include <unistd.h>

#include <gtest/gtest.h>

#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_network.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;
constexpr double kRelative = 1e-5;

std::vector<float> read_tensor(const SafetensorsFile &file, const std::string &name) {
    const TensorInfo *info = file.find(name);
    if (!info) throw Error("missing " + name + " in " + file.path());
    const float *data = file.f32(name, info->shape);
    return std::vector<float>(data, data + info->elements());
}

void expect_close(const std::vector<float> &actual, const std::vector<float> &expected,
                  const std::string &what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    double worst = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        const double error = std::abs(double(actual[i]) - expected[i]) / std::abs(double(expected[i]));
        worst = std::max(worst, error);
        ASSERT_LE(error, kRelative) << what << " at " << i << ": " << actual[i] << " vs " << expected[i];
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.2e", worst);
    ::testing::Test::RecordProperty(what + "_worst_relative_error", text);
}

struct Case {
    SeqcnnModel model;
    std::vector<float> inputs;
    int64_t batch;
    std::unique_ptr<SafetensorsFile> expected;
    explicit Case(const std::string &name)
        : model(seqcnn_load(kFixtures + "/" + name + ".model.safetensors")),
          expected(std::make_unique<SafetensorsFile>(kFixtures + "/" + name + ".expected.safetensors")) {
        inputs = read_tensor(*expected, "inputs");
        batch = expected->find("inputs")->shape[0];
    }
    // Keep masks from the fixture ("mask.<site>", [batch, ...] of 0/1); sites without one stay empty.
    std::vector<std::vector<uint8_t>> masks() const {
        std::vector<std::vector<uint8_t>> keep(model.config.dropout_sites());
        for (int site = 0; site < model.config.dropout_sites(); ++site) {
            const std::string name = "mask." + std::to_string(site);
            if (!expected->find(name)) continue;
            for (float v : read_tensor(*expected, name)) keep[site].push_back(v != 0.f);
        }
        return keep;
    }
};

class SeqcnnFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(SeqcnnFixture, ForwardEqualsPyTorch) {
    Case c(GetParam());
    SeqcnnNetwork network(c.model);
    std::vector<float> probabilities(c.batch * c.model.config.num_tasks());
    network.forward(c.inputs.data(), c.batch, probabilities.data());
    expect_close(probabilities, read_tensor(*c.expected, "probabilities"), "no_dropout");
}

TEST_P(SeqcnnFixture, ForwardOneSequenceAtATime) {
    Case c(GetParam());
    SeqcnnNetwork network(c.model);
    const int tasks = c.model.config.num_tasks();
    const int64_t length = 4 * c.model.config.sequence_length;
    std::vector<float> probabilities(c.batch * tasks);
    for (int64_t s = 0; s < c.batch; ++s)
        network.forward(c.inputs.data() + s * length, 1, probabilities.data() + s * tasks);
    expect_close(probabilities, read_tensor(*c.expected, "probabilities"), "single");
}

TEST_P(SeqcnnFixture, ForwardWithMasksPerSequence) {
    Case c(GetParam());
    SeqcnnNetwork network(c.model);
    auto keep = c.masks();
    SeqcnnMasks masks;
    masks.batch = c.batch;
    int given = 0;
    for (auto &k : keep) {
        masks.keep.push_back(k.empty() ? nullptr : k.data());
        given += !k.empty();
    }
    ASSERT_GT(given, 0);
    std::vector<float> probabilities(c.batch * c.model.config.num_tasks());
    network.forward(c.inputs.data(), c.batch, probabilities.data(), &masks);
    const auto expected = read_tensor(*c.expected, "probabilities.masked");
    expect_close(probabilities, expected, "masked");
    // The masks matter: dropout off gives other numbers.
    const auto plain = read_tensor(*c.expected, "probabilities");
    double difference = 0;
    for (size_t i = 0; i < plain.size(); ++i)
        difference = std::max(difference, double(std::abs(plain[i] - expected[i])));
    EXPECT_GT(difference, 1e-3);
}

TEST_P(SeqcnnFixture, ForwardWithOneSharedMask) {
    Case c(GetParam());
    SeqcnnNetwork network(c.model);
    auto keep = c.masks();
    SeqcnnMasks masks; // batch 1: the first sequence's masks for every sequence
    for (auto &k : keep) masks.keep.push_back(k.empty() ? nullptr : k.data());
    std::vector<float> probabilities(c.batch * c.model.config.num_tasks());
    network.forward(c.inputs.data(), c.batch, probabilities.data(), &masks);
    expect_close(probabilities, read_tensor(*c.expected, "probabilities.shared_mask"), "shared_mask");
}

INSTANTIATE_TEST_SUITE_P(Models, SeqcnnFixture,
                         ::testing::Values("deepsea_ratio", "relu_same_dense3", "threshold_one_block",
                                           "relu_pool5"));

// DeepSEA at full size (L 1000; 320/480/960 channels, kernel 8, pools 4/4/none; dense 925 then 919): the
// parameters, sequences and masks come from the counter-based generator that the fixture script mirrors
// in numpy, so only the expected probabilities are committed.
class DeepseaFull : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        std::vector<std::string> tasks;
        for (int t = 0; t < 919; ++t) tasks.push_back("task" + std::to_string(t));
        model_ = new SeqcnnModel(seqcnn_init(deepsea_config(tasks), 6));
        const int length = 1000;
        inputs_.assign(kBatch * 4 * length, 0.f);
        for (int s = 0; s < kBatch; ++s) {
            const uint64_t key = seqcnn_stream_key(7, s);
            for (int x = 0; x < length; ++x) {
                const int base = static_cast<int>(std::floor(4 * seqcnn_uniform(key, x)));
                inputs_[(s * 4 + base) * length + x] = 1.f;
            }
        }
    }
    static void TearDownTestSuite() { delete model_; }
    static constexpr int kBatch = 2;
    static SeqcnnModel *model_;
    static std::vector<float> inputs_;
};
SeqcnnModel *DeepseaFull::model_ = nullptr;
std::vector<float> DeepseaFull::inputs_;

TEST_F(DeepseaFull, ShapesAreDeepseas) {
    const SeqcnnConfig &c = model_->config;
    EXPECT_EQ(c.pooled_length(0), 248);
    EXPECT_EQ(c.pooled_length(1), 60);
    EXPECT_EQ(c.pooled_length(2), 53);
    EXPECT_EQ(c.flatten_size(), 50880);
    EXPECT_EQ(model_->parameter_count(), 52843119);
}

TEST_F(DeepseaFull, ForwardEqualsPyTorch) {
    SafetensorsFile expected(kFixtures + "/deepsea_full.expected.safetensors");
    SeqcnnNetwork network(*model_);
    std::vector<float> probabilities(kBatch * 919);
    network.forward(inputs_.data(), kBatch, probabilities.data());
    expect_close(probabilities, read_tensor(expected, "probabilities"), "deepsea_no_dropout");
}

TEST_F(DeepseaFull, ForwardWithSeededMasksEqualsPyTorch) {
    SafetensorsFile expected(kFixtures + "/deepsea_full.expected.safetensors");
    const SeqcnnConfig &c = model_->config;
    SeqcnnNetwork network(*model_);
    // Sequence s under MC sample s; the dense layer's dropout is 0, so it has no mask.
    std::vector<std::vector<uint8_t>> keep(c.dropout_sites());
    SeqcnnMasks masks;
    masks.batch = kBatch;
    for (int site = 0; site < c.dropout_sites(); ++site) {
        if (c.site_dropout(site) == 0) {
            masks.keep.push_back(nullptr);
            continue;
        }
        keep[site].resize(kBatch * c.site_size(site));
        for (int s = 0; s < kBatch; ++s)
            seqcnn_dropout_keep(c, 8, s, site, keep[site].data() + s * c.site_size(site));
        masks.keep.push_back(keep[site].data());
    }
    std::vector<float> probabilities(kBatch * 919);
    network.forward(inputs_.data(), kBatch, probabilities.data(), &masks);
    expect_close(probabilities, read_tensor(expected, "probabilities.masked"), "deepsea_masked");
}

TEST_F(DeepseaFull, FileLoadsAndPredictsTheSame) {
    // DeepSEA's 52.8 million parameters through a file (210 MB), as a converted Kipoi checkpoint would be.
    const std::string path =
        ::testing::TempDir() + "seqcnn_deepsea_" + std::to_string(::getpid()) + ".safetensors";
    seqcnn_save(*model_, path);
    const SeqcnnModel loaded = seqcnn_load(path);
    std::remove(path.c_str());
    auto a = model_->parameters();
    auto b = loaded.parameters();
    ASSERT_EQ(a.size(), b.size());
    for (size_t t = 0; t < a.size(); ++t) EXPECT_EQ(a[t].second->data, b[t].second->data) << a[t].first;
    SafetensorsFile expected(kFixtures + "/deepsea_full.expected.safetensors");
    SeqcnnNetwork network(loaded);
    std::vector<float> probabilities(kBatch * 919);
    network.forward(inputs_.data(), kBatch, probabilities.data());
    expect_close(probabilities, read_tensor(expected, "probabilities"), "deepsea_from_file");
}

TEST(SeqcnnModelFile, SaveLoadRoundTrip) {
    SeqcnnConfig c;
    c.sequence_length = 50;
    c.activation = SeqcnnActivation::Relu;
    c.padding = SeqcnnPadding::Same;
    c.conv_channels = {6, 9};
    c.conv_kernels = {4, 3};
    c.pools = {2, 5};
    c.conv_dropout = {0.1, 0.25};
    c.dense_units = {7, 2};
    c.dense_dropout = {0.5};
    c.tasks = {"HepG2|FOXA1", "K562|DNase"};
    const SeqcnnModel model = seqcnn_init(c, 3);
    const std::string path =
        ::testing::TempDir() + "seqcnn_roundtrip_" + std::to_string(::getpid()) + ".safetensors";
    seqcnn_save(model, path);
    const SeqcnnModel loaded = seqcnn_load(path);
    std::remove(path.c_str());
    EXPECT_EQ(loaded.config.tasks, c.tasks);
    EXPECT_EQ(loaded.config.pools, c.pools);
    EXPECT_EQ(loaded.config.conv_dropout, c.conv_dropout);
    EXPECT_EQ(loaded.config.dense_dropout, c.dense_dropout);
    EXPECT_EQ(loaded.config.padding, SeqcnnPadding::Same);
    EXPECT_EQ(loaded.config.activation, SeqcnnActivation::Relu);
    auto a = model.parameters();
    auto b = loaded.parameters();
    ASSERT_EQ(a.size(), b.size());
    for (size_t t = 0; t < a.size(); ++t) {
        EXPECT_EQ(a[t].first, b[t].first);
        EXPECT_EQ(a[t].second->shape, b[t].second->shape);
        EXPECT_EQ(a[t].second->data, b[t].second->data) << a[t].first;
    }
}

TEST(SeqcnnDropoutKeep, SameSeedSameMaskAndRateNearOneMinusP) {
    SeqcnnConfig c = deepsea_config({"t0", "t1"});
    std::vector<uint8_t> a(c.site_size(2)), b(c.site_size(2)), other(c.site_size(2));
    seqcnn_dropout_keep(c, 11, 4, 2, a.data());
    seqcnn_dropout_keep(c, 11, 4, 2, b.data());
    seqcnn_dropout_keep(c, 11, 5, 2, other.data());
    EXPECT_EQ(a, b);
    EXPECT_NE(a, other);
    double kept = 0;
    for (uint8_t k : a) kept += k;
    // p = 0.5 at DeepSEA's third block, 50880 elements: 4 standard deviations is 0.009.
    EXPECT_NEAR(kept / a.size(), 0.5, 0.009);
}

} // namespace
} // namespace causeway
