// causeway train-seq's compiled backward pass and Adam against PyTorch autograd and torch.optim.Adam
// (tests/seqtrain/seqtrain_reference.py, run here with Debian's /usr/bin/python3; skipped without torch),
// and AUROC/AUPRC against naive definitions.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "causeway/atomic_output.h"
#include "causeway/safetensors.h"
#include "causeway/seqcnn_evaluate.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_train.h"
#include "causeway/study/adam.h"

namespace causeway {
namespace {

const std::string kReference = CAUSEWAY_SEQTRAIN_SOURCE "/seqtrain_reference.py";

bool torch_available() {
    static const bool available = std::system("/usr/bin/python3 -c 'import torch' > /dev/null 2>&1") == 0;
    return available;
}

struct TempDir {
    std::string path;
    TempDir() {
        char name[] = "/tmp/causeway_seqtrain_XXXXXX";
        path = mkdtemp(name);
    }
    ~TempDir() { std::system(("rm -rf " + path).c_str()); }
};

SeqcnnConfig small_config(SeqcnnActivation activation, SeqcnnPadding padding) {
    SeqcnnConfig c;
    c.sequence_length = 41;
    c.activation = activation;
    c.padding = padding;
    c.conv_channels = {5, 7};
    c.conv_kernels = {5, 3};
    c.pools = {3, 2};
    c.conv_dropout = {0.2, 0.3};
    c.dense_units = {6, 3};
    c.dense_dropout = {0.25};
    c.tasks = {"a", "b", "c"};
    return c;
}

SeqcnnConfig deepsea_small_config() {
    SeqcnnConfig c;
    c.sequence_length = 400;
    c.activation = SeqcnnActivation::Threshold;
    c.conv_channels = {64, 96, 128};
    c.conv_kernels = {8, 8, 8};
    c.pools = {4, 4, 1};
    c.conv_dropout = {0.2, 0.2, 0.5};
    c.dense_units = {128, 13};
    c.dense_dropout = {0.1};
    for (int t = 0; t < 13; ++t) c.tasks.push_back("task" + std::to_string(t));
    return c;
}

// A batch: random bases (some N), random labels, and one keep mask per dropout site and sequence.
struct Batch {
    int64_t size;
    std::vector<float> one_hot, labels;
    std::vector<std::vector<uint8_t>> keep;
    std::vector<const uint8_t *> keep_pointers;

    Batch(const SeqcnnConfig &c, int64_t n, uint64_t seed, bool masks) : size(n) {
        const int length = c.sequence_length, tasks = c.num_tasks();
        one_hot.assign(n * 4 * length, 0.f);
        for (int64_t s = 0; s < n; ++s)
            for (int x = 0; x < length; ++x) {
                const int base =
                    static_cast<int>(seqcnn_uniform(seqcnn_stream_key(seed, 1), s * length + x) * 4.2);
                if (base < 4) one_hot[(s * 4 + base) * length + x] = 1.f;
            }
        for (int64_t i = 0; i < n * tasks; ++i)
            labels.push_back(seqcnn_uniform(seqcnn_stream_key(seed, 2), i) < 0.4 ? 1.f : 0.f);
        if (!masks) return;
        keep.resize(c.dropout_sites());
        for (int site = 0; site < c.dropout_sites(); ++site) {
            const int64_t size = c.site_size(site);
            keep[site].resize(n * size);
            for (int64_t s = 0; s < n; ++s)
                seqcnn_dropout_keep(c, seed + 7, s, site, keep[site].data() + s * size);
            keep_pointers.push_back(keep[site].data());
        }
    }

    void write(const SeqcnnConfig &c, const std::string &path) const {
        SafetensorsWriter w;
        w.add_f32("one_hot", {size, 4, c.sequence_length}, one_hot.data());
        w.add_f32("labels", {size, c.num_tasks()}, labels.data());
        for (size_t site = 0; site < keep.size(); ++site) {
            std::vector<float> values(keep[site].begin(), keep[site].end());
            w.add_f32("keep." + std::to_string(site), {size, c.site_size(static_cast<int>(site))},
                      values.data());
        }
        w.write(path);
    }
};

// Largest difference over the largest reference magnitude, per tensor.
double relative_error(const float *got, const float *want, int64_t n) {
    double diff = 0, scale = 0;
    for (int64_t i = 0; i < n; ++i) {
        diff = std::max(diff, std::abs(double(got[i]) - want[i]));
        scale = std::max(scale, std::abs(double(want[i])));
    }
    return scale > 0 ? diff / scale : diff;
}

// One gradient case: a model, a batch and whether dropout masks apply.
struct GradientCase {
    std::string name;
    SeqcnnConfig config;
    int64_t batch;
    bool masks;
    uint64_t seed;
};

std::vector<GradientCase> gradient_cases() {
    SeqcnnConfig deepsea_relu = deepsea_small_config();
    deepsea_relu.activation = SeqcnnActivation::Relu;
    return {
        {"small_relu_valid_masks", small_config(SeqcnnActivation::Relu, SeqcnnPadding::Valid), 6, true, 11},
        {"small_threshold_same_masks", small_config(SeqcnnActivation::Threshold, SeqcnnPadding::Same), 5,
         true, 12},
        {"small_relu_no_dropout", small_config(SeqcnnActivation::Relu, SeqcnnPadding::Valid), 19, false, 13},
        {"deepsea_small_threshold_masks", deepsea_small_config(), 9, true, 14},
        {"deepsea_small_relu_masks", deepsea_relu, 4, true, 15}};
}

const SeqcnnConfig kAdamConfig = small_config(SeqcnnActivation::Threshold, SeqcnnPadding::Valid);
constexpr int kAdamSteps = 4;
constexpr double kAdamLr = 1e-3;
constexpr int64_t kAdamBatch = 16;
constexpr uint64_t kAdamSeed = 21;

// Writes every case's model and batch and runs the PyTorch reference once for all of them (importing torch
// takes seconds); the directory lives for the whole test program.
const std::string &reference_dir() {
    static TempDir dir;
    static bool done = false;
    if (done) return dir.path;
    done = true;
    std::string jobs;
    for (const GradientCase &g : gradient_cases()) {
        const std::string prefix = dir.path + "/" + g.name;
        seqcnn_save(seqcnn_init(g.config, g.seed), prefix + ".model.safetensors");
        Batch(g.config, g.batch, g.seed, g.masks).write(g.config, prefix + ".batch.safetensors");
        jobs += "gradients " + prefix + ".model.safetensors " + prefix + ".batch.safetensors " + prefix +
                ".want.safetensors\n";
    }
    const std::string prefix = dir.path + "/adam";
    seqcnn_save(seqcnn_init(kAdamConfig, kAdamSeed), prefix + ".model.safetensors");
    Batch(kAdamConfig, kAdamBatch, kAdamSeed, true).write(kAdamConfig, prefix + ".batch.safetensors");
    jobs += "adam " + prefix + ".model.safetensors " + prefix + ".batch.safetensors " +
            std::to_string(kAdamSteps) + " " + std::to_string(kAdamLr) + " " + prefix + ".want.safetensors\n";
    {
        AtomicOutput out(dir.path + "/jobs.txt");
        out.print("{}", jobs);
        out.commit();
    }
    const std::string command = "/usr/bin/python3 " + kReference + " jobs " + dir.path + "/jobs.txt";
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    return dir.path;
}

void expect_gradients_match(const std::string &name) {
    if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 has no torch (Debian's python3-torch)";
    const std::vector<GradientCase> cases = gradient_cases();
    const GradientCase &g =
        *std::find_if(cases.begin(), cases.end(), [&](auto &c) { return c.name == name; });
    const std::string prefix = reference_dir() + "/" + g.name;
    const SeqcnnModel model = seqcnn_init(g.config, g.seed);
    const Batch batch(g.config, g.batch, g.seed, g.masks);

    SeqcnnTrainer trainer(model);
    const double loss = trainer.compute_gradients(batch.one_hot.data(), batch.labels.data(), batch.size,
                                                  g.masks ? &batch.keep_pointers : nullptr);
    SafetensorsFile want(prefix + ".want.safetensors");
    EXPECT_NEAR(loss, want.f32("loss", {1})[0], 1e-5 * std::abs(want.f32("loss", {1})[0]));
    const float *grad = trainer.gradients();
    for (auto &[tensor_name, tensor] : model.parameters()) {
        const float *expected = want.f32("grad." + tensor_name, tensor->shape);
        const double error = relative_error(grad, expected, tensor->size());
        EXPECT_LT(error, 1e-4) << tensor_name;
        double norm = 0;
        for (int64_t i = 0; i < tensor->size(); ++i) norm += std::abs(expected[i]);
        EXPECT_GT(norm, 0) << tensor_name << ": the reference gradient is all zero, so the test cannot fail";
        grad += tensor->size();
    }
}

TEST(SeqtrainGradients, SmallReluValidWithMasks) {
    expect_gradients_match("small_relu_valid_masks");
}

TEST(SeqtrainGradients, SmallThresholdSameWithMasks) {
    expect_gradients_match("small_threshold_same_masks");
}

TEST(SeqtrainGradients, SmallReluNoDropout) {
    expect_gradients_match("small_relu_no_dropout");
}

TEST(SeqtrainGradients, DeepseaSmallThresholdWithMasks) {
    expect_gradients_match("deepsea_small_threshold_masks");
}

TEST(SeqtrainGradients, DeepseaSmallReluWithMasks) {
    expect_gradients_match("deepsea_small_relu_masks");
}

// The loss without dropout equals compute_gradients' loss without masks, and the validation pass leaves
// no trace in the next gradients.
TEST(SeqtrainGradients, LossMatchesTrainingForward) {
    const SeqcnnConfig c = small_config(SeqcnnActivation::Relu, SeqcnnPadding::Valid);
    SeqcnnTrainer trainer(seqcnn_init(c, 3));
    const Batch batch(c, 7, 3, false);
    const double a = trainer.compute_gradients(batch.one_hot.data(), batch.labels.data(), batch.size);
    std::vector<float> first(trainer.gradients(), trainer.gradients() + trainer.parameter_count());
    const Batch other(c, 40, 4, false);
    trainer.loss(other.one_hot.data(), other.labels.data(), other.size);
    const double b = trainer.compute_gradients(batch.one_hot.data(), batch.labels.data(), batch.size);
    EXPECT_EQ(a, b);
    EXPECT_TRUE(std::equal(first.begin(), first.end(), trainer.gradients()));
    EXPECT_EQ(trainer.loss(batch.one_hot.data(), batch.labels.data(), batch.size), a);
}

TEST(SeqtrainAdam, StepsMatchTorchOptimAdam) {
    if (!torch_available()) GTEST_SKIP() << "/usr/bin/python3 has no torch (Debian's python3-torch)";
    const std::string prefix = reference_dir() + "/adam";
    const SeqcnnModel model = seqcnn_init(kAdamConfig, kAdamSeed);
    const Batch batch(kAdamConfig, kAdamBatch, kAdamSeed, true);
    SeqcnnTrainer trainer(model);
    Adam adam(trainer.parameter_count(), AdamSettings{kAdamLr});
    for (int s = 0; s < kAdamSteps; ++s) {
        trainer.compute_gradients(batch.one_hot.data(), batch.labels.data(), batch.size,
                                  &batch.keep_pointers);
        adam.step(trainer.parameters(), trainer.gradients(), kAdamLr);
    }
    SafetensorsFile want(prefix + ".want.safetensors");
    const float *p = trainer.parameters();
    int64_t moved = 0;
    for (auto &[name, tensor] : model.parameters()) {
        const float *expected = want.f32(name, tensor->shape);
        for (int64_t i = 0; i < tensor->size(); ++i) {
            // Each step moves a parameter by about lr; the tolerance is a small part of one step.
            EXPECT_NEAR(p[i], expected[i], 2e-6 + 1e-5 * std::abs(expected[i])) << name << "[" << i << "]";
            moved += p[i] != tensor->data[i];
        }
        p += tensor->size();
    }
    // Adam moved most parameters (units that dropout or the activation silenced in every step stay put).
    EXPECT_GT(moved, trainer.parameter_count() * 3 / 4);
}

// --- AUROC / AUPRC against their definitions --------------------------------------------------------------

// Mann-Whitney U over every (positive, negative) pair, ties counting one half.
double naive_auroc(const std::vector<float> &s, const std::vector<float> &y) {
    double wins = 0, pairs = 0;
    for (size_t i = 0; i < s.size(); ++i)
        for (size_t j = 0; j < s.size(); ++j)
            if (y[i] == 1 && y[j] == 0) {
                pairs += 1;
                wins += s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
            }
    return wins / pairs;
}

// Step-wise sum over the distinct thresholds, high to low: (recall_k - recall_{k-1}) x precision_k, each
// counted from scratch over all points.
double naive_auprc(const std::vector<float> &s, const std::vector<float> &y) {
    std::vector<float> thresholds = s;
    std::sort(thresholds.rbegin(), thresholds.rend());
    thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
    double positives = 0;
    for (float v : y) positives += v;
    double previous_recall = 0, ap = 0;
    for (float t : thresholds) {
        double tp = 0, predicted = 0;
        for (size_t i = 0; i < s.size(); ++i)
            if (s[i] >= t) predicted += 1, tp += y[i];
        const double recall = tp / positives;
        ap += (recall - previous_recall) * (tp / predicted);
        previous_recall = recall;
    }
    return ap;
}

TEST(SeqtrainMetrics, AurocAndAuprcMatchNaiveDefinitions) {
    for (int trial = 0; trial < 30; ++trial) {
        const int n = 5 + trial * 7;
        std::vector<float> scores(n), labels(n);
        for (int i = 0; i < n; ++i) {
            // Coarse scores (many ties) in some trials, fine ones in others.
            const double u = seqcnn_uniform(seqcnn_stream_key(trial, 0), i);
            scores[i] = trial % 2 ? static_cast<float>(std::floor(u * 6) / 6) : static_cast<float>(u);
            labels[i] = seqcnn_uniform(seqcnn_stream_key(trial, 1), i) < 0.3 + 0.4 * u ? 1.f : 0.f;
        }
        labels[0] = 1, labels[1] = 0;
        EXPECT_NEAR(seqcnn_auroc(scores, labels), naive_auroc(scores, labels), 1e-12) << trial;
        EXPECT_NEAR(seqcnn_auprc(scores, labels), naive_auprc(scores, labels), 1e-12) << trial;
    }
}

TEST(SeqtrainMetrics, KnownValues) {
    // Perfect ranking; reversed ranking; all tied.
    EXPECT_DOUBLE_EQ(seqcnn_auroc({0.9f, 0.8f, 0.1f}, {1, 1, 0}), 1.0);
    EXPECT_DOUBLE_EQ(seqcnn_auprc({0.9f, 0.8f, 0.1f}, {1, 1, 0}), 1.0);
    EXPECT_DOUBLE_EQ(seqcnn_auroc({0.1f, 0.2f, 0.9f}, {1, 1, 0}), 0.0);
    EXPECT_DOUBLE_EQ(seqcnn_auroc({0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 1, 0}), 0.5);
    EXPECT_DOUBLE_EQ(seqcnn_auprc({0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 1, 0}), 0.5);
    // sklearn.metrics.average_precision_score([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) = (1 + 2/3) / 2.
    EXPECT_NEAR(seqcnn_auprc({0.9f, 0.8f, 0.7f, 0.1f}, {1, 0, 1, 0}), (1 + 2.0 / 3) / 2, 1e-12);
    EXPECT_TRUE(std::isnan(seqcnn_auroc({0.1f, 0.2f}, {1, 1})));
    EXPECT_TRUE(std::isnan(seqcnn_auprc({0.1f, 0.2f}, {0, 0})));
}

} // namespace
} // namespace causeway
