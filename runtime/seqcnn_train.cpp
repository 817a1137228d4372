#include "causeway/seqcnn_train.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <unordered_map>
#include <utility>

#include <HalideBuffer.h>
#include <fmt/format.h>

#include "buffer_fill.h"
#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/paths.h"
#include "causeway/progress.h"
#include "causeway/safetensors.h"
#include "causeway/seqcnn_ism.h"
#include "causeway/study/adam.h"
#include "causeway/study/split.h"
#include "causeway/study/training_state.h"
#include "causeway/tsv.h"
#include "dispatch/seqcnn_conv.h"
#include "dispatch/seqcnn_conv_grad_input.h"
#include "dispatch/seqcnn_conv_grad_weight.h"
#include "dispatch/seqcnn_conv_grad_weight_one_hot.h"
#include "dispatch/seqcnn_conv_one_hot.h"
#include "dispatch/seqcnn_dense.h"
#include "dispatch/seqcnn_dense_grad_input.h"
#include "dispatch/seqcnn_dense_grad_input_activation.h"
#include "dispatch/seqcnn_dense_grad_weight.h"
#include "dispatch/seqcnn_loss.h"
#include "dispatch/seqcnn_pool_backward.h"
#include "halide_call.h"

namespace causeway {

using Halide::Runtime::Buffer;

namespace {

// The forward pipelines split channels and units by this without a tail (seqcnn_network.cpp pads alike).
constexpr int kBlock = 32;
constexpr int kRelu = 0;

int round_up(int value, int multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

} // namespace

// Training forward: each conv block runs the forward conv pipeline with relu and pool 1, keeping relu(conv)
// for the backward pass; max-pool, the model's activation and dropout follow on the host (max-pool and both
// activations commute: both are non-decreasing, and threshold(v) = relu(v) where relu(v) > 0, else 1e-6).
// Hidden dense layers likewise keep their relu output. The last layer and the loss are one pipeline.
struct SeqcnnTrainer::Impl {
    SeqcnnConfig config;
    std::vector<int> channels_p, units_p;
    std::vector<float> flat, grad;
    // Parameters in the pipelines' layouts, repacked from `flat` before every pass.
    std::vector<Buffer<float>> conv_weight, conv_bias, dense_weight, dense_bias;
    // Gradients in the pipelines' layouts.
    std::vector<Buffer<float>> conv_grad_weight, conv_grad_bias, dense_grad_weight, dense_grad_bias;
    // Workspace for `capacity` sequences.
    int capacity = 0;
    std::vector<Buffer<float>> relu_conv, pooled, conv_mult, grad_conv, grad_pooled;
    std::vector<Buffer<float>> relu_dense, hidden, dense_mult, grad_pre;
    Buffer<float> grad_logits, loss_out;
    std::vector<Buffer<float>> ones_conv, ones_dense; // multipliers without dropout (one shared mask)
    Buffer<float> unused_2d{1, 1}, unused_3d{1, 1, 1}, unused_4d{1, 1, 1, 1};

    float threshold_value() const { return config.activation == SeqcnnActivation::Threshold ? 1e-6f : 0.f; }
    int last_conv() const { return config.conv_blocks() - 1; }
    int last_dense() const { return config.dense_layers() - 1; }
    int features_p() const { return channels_p[last_conv()] * config.pooled_length(last_conv()); }
    int dense_inputs_p(int j) const { return j == 0 ? features_p() : units_p[j - 1]; }

    void setup() {
        const SeqcnnConfig &c = config;
        for (int i = 0; i < c.conv_blocks(); ++i) {
            const int in_p = i == 0 ? 4 : channels_p[i - 1], k = c.conv_kernels[i];
            conv_weight.emplace_back(k, in_p, channels_p[i]);
            conv_bias.emplace_back(channels_p[i]);
            conv_grad_weight.emplace_back(channels_p[i], in_p, k);
            conv_grad_bias.emplace_back(channels_p[i]);
            ones_conv.emplace_back(channels_p[i], c.pooled_length(i), 1);
            detail::fill(ones_conv.back(), 1.f);
            detail::fill(conv_weight.back(), 0.f);
            detail::fill(conv_bias.back(), 0.f);
        }
        for (int j = 0; j < c.dense_layers(); ++j) {
            dense_weight.emplace_back(kBlock, dense_inputs_p(j), units_p[j] / kBlock);
            dense_bias.emplace_back(units_p[j]);
            dense_grad_weight.emplace_back(units_p[j], dense_inputs_p(j));
            dense_grad_bias.emplace_back(units_p[j]);
            ones_dense.emplace_back(units_p[j], 1);
            detail::fill(ones_dense.back(), 1.f);
            detail::fill(dense_weight.back(), 0.f);
            detail::fill(dense_bias.back(), 0.f);
        }
    }

    // flat (PyTorch layouts) -> pipeline buffers; the padding stays zero.
    void pack() {
        const SeqcnnConfig &c = config;
        const float *p = flat.data();
        for (int i = 0; i < c.conv_blocks(); ++i) {
            const int out = c.conv_channels[i], in = c.conv_input_channels(i), k = c.conv_kernels[i];
            Buffer<float> &w = conv_weight[i];
            for (int co = 0; co < out; ++co)
                for (int ci = 0; ci < in; ++ci)
                    for (int t = 0; t < k; ++t) w(t, ci, co) = *p++;
            for (int co = 0; co < out; ++co) conv_bias[i](co) = *p++;
        }
        const int channels = c.conv_channels[last_conv()], channels_pad = channels_p[last_conv()];
        const int length = c.pooled_length(last_conv());
        for (int j = 0; j < c.dense_layers(); ++j) {
            const int out = c.dense_units[j], in = c.dense_inputs(j);
            Buffer<float> &w = dense_weight[j];
            for (int o = 0; o < out; ++o) {
                const int oi = o % kBlock, ob = o / kBlock;
                if (j == 0) {
                    // PyTorch's flatten is channel-major; the conv features are (channel, position).
                    for (int co = 0; co < channels; ++co)
                        for (int x = 0; x < length; ++x)
                            w(oi, x * channels_pad + co, ob) = p[co * length + x];
                } else {
                    for (int i = 0; i < in; ++i) w(oi, i, ob) = p[i];
                }
                p += in;
            }
            for (int o = 0; o < out; ++o) dense_bias[j](o) = *p++;
        }
    }

    // Pipeline gradients -> grad (PyTorch layouts).
    void unpack_gradients() {
        const SeqcnnConfig &c = config;
        float *g = grad.data();
        for (int i = 0; i < c.conv_blocks(); ++i) {
            const int out = c.conv_channels[i], in = c.conv_input_channels(i), k = c.conv_kernels[i];
            const Buffer<float> &w = conv_grad_weight[i];
            for (int co = 0; co < out; ++co)
                for (int ci = 0; ci < in; ++ci)
                    for (int t = 0; t < k; ++t) *g++ = w(co, ci, t);
            for (int co = 0; co < out; ++co) *g++ = conv_grad_bias[i](co);
        }
        const int channels = c.conv_channels[last_conv()], channels_pad = channels_p[last_conv()];
        const int length = c.pooled_length(last_conv());
        for (int j = 0; j < c.dense_layers(); ++j) {
            const int out = c.dense_units[j], in = c.dense_inputs(j);
            const Buffer<float> &w = dense_grad_weight[j];
            for (int o = 0; o < out; ++o) {
                if (j == 0) {
                    for (int co = 0; co < channels; ++co)
                        for (int x = 0; x < length; ++x) g[co * length + x] = w(o, x * channels_pad + co);
                } else {
                    for (int i = 0; i < in; ++i) g[i] = w(o, i);
                }
                g += in;
            }
            for (int o = 0; o < out; ++o) *g++ = dense_grad_bias[j](o);
        }
    }

    void reserve(int64_t batch) {
        if (batch <= capacity) return;
        const SeqcnnConfig &c = config;
        const int n = static_cast<int>(batch);
        for (int i = 0; i < c.conv_blocks(); ++i) {
            if (int64_t(channels_p[i]) * c.conv_output_length(i) * batch >= INT32_MAX)
                fail("a batch of {} sequences is too large for the compiled pipelines", batch);
        }
        relu_conv.clear(), pooled.clear(), conv_mult.clear(), grad_conv.clear(), grad_pooled.clear();
        relu_dense.clear(), hidden.clear(), dense_mult.clear(), grad_pre.clear();
        for (int i = 0; i < c.conv_blocks(); ++i) {
            const int lc = c.conv_output_length(i), lp = c.pooled_length(i);
            relu_conv.emplace_back(channels_p[i], lc, n);
            grad_conv.emplace_back(channels_p[i], lc, n);
            pooled.emplace_back(channels_p[i], lp, n);
            conv_mult.emplace_back(channels_p[i], lp, n);
            grad_pooled.emplace_back(channels_p[i], lp, n);
        }
        for (int j = 0; j < c.dense_layers(); ++j) {
            relu_dense.emplace_back(units_p[j], n);
            hidden.emplace_back(units_p[j], n);
            dense_mult.emplace_back(units_p[j], n);
            grad_pre.emplace_back(units_p[j], n);
        }
        grad_logits = Buffer<float>(units_p[last_dense()], n);
        loss_out = Buffer<float>(n);
        capacity = n;
    }

    // Dropout multipliers of the batch for one site in the pipelines' layout (channel innermost), from keep
    // masks in PyTorch's [sequence, channel, position] layout; the ones buffer without a mask.
    Buffer<float> multipliers(const std::vector<const uint8_t *> *keep, int site, int n) {
        const SeqcnnConfig &c = config;
        const bool conv = site < c.conv_blocks();
        const int index = conv ? site : site - c.conv_blocks();
        if (!keep || !(*keep)[site]) return conv ? ones_conv[index] : ones_dense[index];
        Buffer<float> &out = conv ? conv_mult[index] : dense_mult[index];
        const int channels = conv ? c.conv_channels[index] : c.dense_units[index];
        const int channels_pad = conv ? channels_p[index] : units_p[index];
        const int length = conv ? c.pooled_length(index) : 1;
        const auto scale = static_cast<float>(1.0 / (1.0 - c.site_dropout(site)));
        const uint8_t *mask = (*keep)[site];
        float *data = out.data();
        std::fill(data, data + int64_t(channels_pad) * length * n, 0.f);
        for (int s = 0; s < n; ++s)
            for (int ch = 0; ch < channels; ++ch) {
                const uint8_t *row = mask + (int64_t(s) * channels + ch) * length;
                float *column = data + int64_t(s) * length * channels_pad + ch;
                for (int x = 0; x < length; ++x) column[int64_t(x) * channels_pad] = row[x] ? scale : 0.f;
            }
        Buffer<float> result = out;
        if (conv) return result.cropped(2, 0, n);
        return result.cropped(1, 0, n);
    }

    // Forward to the loss; with `backward`, the gradients too. Returns the mean loss.
    double run(const float *one_hot, const float *labels, int64_t batch,
               const std::vector<const uint8_t *> *keep, bool backward) {
        const SeqcnnConfig &c = config;
        if (batch < 1) fail("training: an empty batch");
        if (keep && static_cast<int>(keep->size()) != c.dropout_sites())
            fail("training: {} dropout masks given for the model's {} dropout sites", keep->size(),
                 c.dropout_sites());
        reserve(batch);
        const int n = static_cast<int>(batch);
        const float floor_value = threshold_value();
        Buffer<float> input(const_cast<float *>(one_hot), c.sequence_length, 4, n);
        std::vector<Buffer<float>> mults(c.dropout_sites());
        for (int site = 0; site < c.dropout_sites(); ++site) mults[site] = multipliers(keep, site, n);

        /* FORWARD */
        for (int i = 0; i < c.conv_blocks(); ++i) {
            const int lc = c.conv_output_length(i), lp = c.pooled_length(i), pool = c.pools[i];
            const int cp = channels_p[i];
            Buffer<float> out(relu_conv[i].data(), kBlock, cp / kBlock, lc, n);
            if (i == 0) {
                detail::check_pipeline(pipeline::seqcnn_conv_one_hot(input, conv_weight[0], conv_bias[0],
                                                                     c.conv_pad_left(0), 1, kRelu, unused_4d,
                                                                     out),
                                       "seqcnn_conv_one_hot");
            } else {
                Buffer<float> in = pooled[i - 1].cropped(2, 0, n);
                detail::check_pipeline(pipeline::seqcnn_conv(in, conv_weight[i], conv_bias[i],
                                                             c.conv_pad_left(i), 1, kRelu, unused_4d, out),
                                       "seqcnn_conv");
            }
            // Max-pool, activation, dropout (multipliers shared by the batch when the extent is 1).
            const Buffer<float> &m = mults[i];
            const bool shared = m.dim(2).extent() == 1;
            for (int s = 0; s < n; ++s) {
                const float *a = relu_conv[i].data() + int64_t(s) * lc * cp;
                float *p = pooled[i].data() + int64_t(s) * lp * cp;
                const float *mm = m.data() + (shared ? 0 : int64_t(s) * lp * cp);
                for (int xp = 0; xp < lp; ++xp) {
                    float *row = p + int64_t(xp) * cp;
                    std::copy(a + int64_t(xp) * pool * cp, a + (int64_t(xp) * pool + 1) * cp, row);
                    for (int r = 1; r < pool; ++r) {
                        const float *next = a + (int64_t(xp) * pool + r) * cp;
                        for (int ch = 0; ch < cp; ++ch) row[ch] = std::max(row[ch], next[ch]);
                    }
                    const float *mrow = mm + int64_t(xp) * cp;
                    for (int ch = 0; ch < cp; ++ch)
                        row[ch] = (row[ch] > 0.f ? row[ch] : floor_value) * mrow[ch];
                }
            }
        }
        Buffer<float> features(pooled[last_conv()].data(), features_p(), n);
        for (int j = 0; j < last_dense(); ++j) {
            Buffer<float> in = j == 0 ? features : hidden[j - 1].cropped(1, 0, n);
            Buffer<float> out(relu_dense[j].data(), kBlock, units_p[j] / kBlock, n);
            detail::check_pipeline(
                pipeline::seqcnn_dense(in, dense_weight[j], dense_bias[j], kRelu, unused_3d, out),
                "seqcnn_dense");
            const Buffer<float> &m = mults[c.conv_blocks() + j];
            const bool shared = m.dim(1).extent() == 1;
            for (int s = 0; s < n; ++s) {
                const float *r = relu_dense[j].data() + int64_t(s) * units_p[j];
                float *h = hidden[j].data() + int64_t(s) * units_p[j];
                const float *mm = m.data() + (shared ? 0 : int64_t(s) * units_p[j]);
                for (int u = 0; u < units_p[j]; ++u) h[u] = (r[u] > 0.f ? r[u] : floor_value) * mm[u];
            }
        }
        const int tasks = c.num_tasks(), last = last_dense();
        Buffer<float> last_in = last == 0 ? features : hidden[last - 1].cropped(1, 0, n);
        Buffer<float> label_buffer(const_cast<float *>(labels), tasks, n);
        detail::fill(grad_logits, 0.f);
        Buffer<float> grad_tasks = grad_logits.cropped(0, 0, tasks).cropped(1, 0, n);
        Buffer<float> loss_rows = loss_out.cropped(0, 0, n);
        const auto scale = static_cast<float>(1.0 / (double(n) * tasks));
        detail::check_pipeline(pipeline::seqcnn_loss(last_in, dense_weight[last], dense_bias[last],
                                                     label_buffer, scale, grad_tasks, loss_rows),
                               "seqcnn_loss");
        double loss = 0;
        for (int s = 0; s < n; ++s) loss += loss_rows(s);
        loss /= double(n) * tasks;
        if (!backward) return loss;

        /* BACKWARD */
        for (int j = last; j >= 0; --j) {
            Buffer<float> g = j == last ? grad_logits.cropped(1, 0, n) : grad_pre[j].cropped(1, 0, n);
            Buffer<float> in = j == 0 ? features : hidden[j - 1].cropped(1, 0, n);
            detail::check_pipeline(
                pipeline::seqcnn_dense_grad_weight(g, in, dense_grad_weight[j], dense_grad_bias[j]),
                "seqcnn_dense_grad_weight");
            if (j > 0) {
                Buffer<float> out = grad_pre[j - 1].cropped(1, 0, n);
                Buffer<float> r = relu_dense[j - 1].cropped(1, 0, n);
                detail::check_pipeline(pipeline::seqcnn_dense_grad_input_activation(
                                           g, dense_weight[j], r, mults[c.conv_blocks() + j - 1], out),
                                       "seqcnn_dense_grad_input_activation");
            } else {
                Buffer<float> out(grad_pooled[last_conv()].data(), features_p(), n);
                detail::check_pipeline(
                    pipeline::seqcnn_dense_grad_input(g, dense_weight[0], unused_2d, unused_2d, out),
                    "seqcnn_dense_grad_input");
            }
        }
        for (int i = last_conv(); i >= 0; --i) {
            Buffer<float> a = relu_conv[i].cropped(2, 0, n), gp = grad_pooled[i].cropped(2, 0, n);
            Buffer<float> gc = grad_conv[i].cropped(2, 0, n);
            detail::check_pipeline(pipeline::seqcnn_pool_backward(a, gp, mults[i], c.pools[i], gc),
                                   "seqcnn_pool_backward");
            const int pad = c.conv_pad_left(i);
            if (i == 0) {
                detail::check_pipeline(pipeline::seqcnn_conv_grad_weight_one_hot(
                                           gc, input, pad, conv_grad_weight[0], conv_grad_bias[0]),
                                       "seqcnn_conv_grad_weight_one_hot");
            } else {
                Buffer<float> in = pooled[i - 1].cropped(2, 0, n);
                detail::check_pipeline(
                    pipeline::seqcnn_conv_grad_weight(gc, in, pad, conv_grad_weight[i], conv_grad_bias[i]),
                    "seqcnn_conv_grad_weight");
                Buffer<float> out = grad_pooled[i - 1].cropped(2, 0, n);
                detail::check_pipeline(pipeline::seqcnn_conv_grad_input(gc, conv_weight[i], pad, out),
                                       "seqcnn_conv_grad_input");
            }
        }
        unpack_gradients();
        return loss;
    }
};

SeqcnnTrainer::SeqcnnTrainer(const SeqcnnModel &model) : impl_(std::make_unique<Impl>()) {
    model.config.validate();
    Impl &m = *impl_;
    m.config = model.config;
    for (int ch : m.config.conv_channels) m.channels_p.push_back(round_up(ch, kBlock));
    for (int u : m.config.dense_units) m.units_p.push_back(round_up(u, kBlock));
    if (int64_t(m.features_p()) * m.units_p[0] >= INT32_MAX)
        fail("the first dense layer is too large for the compiled pipelines ({} x {} weights once padded)",
             m.features_p(), m.units_p[0]);
    for (auto &[name, tensor] : model.parameters())
        m.flat.insert(m.flat.end(), tensor->data.begin(), tensor->data.end());
    m.grad.assign(m.flat.size(), 0.f);
    m.setup();
}

SeqcnnTrainer::~SeqcnnTrainer() = default;

const SeqcnnConfig &SeqcnnTrainer::config() const {
    return impl_->config;
}
int64_t SeqcnnTrainer::parameter_count() const {
    return static_cast<int64_t>(impl_->flat.size());
}
float *SeqcnnTrainer::parameters() {
    return impl_->flat.data();
}
const float *SeqcnnTrainer::parameters() const {
    return impl_->flat.data();
}
const float *SeqcnnTrainer::gradients() const {
    return impl_->grad.data();
}

SeqcnnModel SeqcnnTrainer::model() const {
    return model(impl_->flat.data());
}

SeqcnnModel SeqcnnTrainer::model(const float *flat) const {
    SeqcnnModel result(impl_->config);
    for (auto &[name, tensor] : result.parameters()) {
        std::copy(flat, flat + tensor->size(), tensor->data.begin());
        flat += tensor->size();
    }
    return result;
}

double SeqcnnTrainer::compute_gradients(const float *one_hot, const float *labels, int64_t batch,
                                        const std::vector<const uint8_t *> *keep) {
    impl_->pack();
    return impl_->run(one_hot, labels, batch, keep, true);
}

double SeqcnnTrainer::loss(const float *one_hot, const float *labels, int64_t batch) {
    impl_->pack();
    return impl_->run(one_hot, labels, batch, nullptr, false);
}

double SeqcnnTrainer::training_flops(const SeqcnnConfig &c, int64_t batch) {
    // Forward once; backward twice (weight and input gradients), except the first block's input gradient.
    double per_sequence = 0;
    for (int i = 0; i < c.conv_blocks(); ++i) {
        const double conv =
            2.0 * c.conv_input_channels(i) * c.conv_kernels[i] * c.conv_channels[i] * c.conv_output_length(i);
        per_sequence += conv * (i == 0 ? 2 : 3);
    }
    for (int j = 0; j < c.dense_layers(); ++j) per_sequence += 3 * 2.0 * c.dense_inputs(j) * c.dense_units[j];
    return per_sequence * static_cast<double>(batch);
}

// --- Splits ---------------------------------------------------------------------------

namespace {

// FNV-1a then splitmix64's finaliser: a fixed hash of a region name, the same on every platform.
uint64_t name_hash(const std::string &name) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
    h ^= h >> 30, h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27, h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

} // namespace

SeqcnnSplit seqcnn_split_regions(const SeqcnnLabeledRegions &data, const std::string &valid_chroms,
                                 const std::string &test_chroms) {
    auto assigner = [&](const std::string &spec, const std::string &option, uint64_t bucket) {
        if (spec == "auto")
            return std::function<bool(int64_t)>(
                [&data, bucket](int64_t i) { return name_hash(data.names[i]) % 10 == bucket; });
        auto set = std::make_shared<ChromSet>(spec, option);
        return std::function<bool(int64_t)>(
            [&data, set](int64_t i) { return !set->empty() && set->contains(data.chroms[i]); });
    };
    const auto in_test = assigner(test_chroms, "--test-chroms", 0);
    const auto in_valid = assigner(valid_chroms, "--valid-chroms", 1);
    SeqcnnSplit split;
    for (int64_t i = 0; i < data.size(); ++i) {
        const bool test = in_test(i), valid = in_valid(i);
        if (test && valid)
            fail("chromosome {} (region '{}') is in both --valid-chroms {} and --test-chroms {}",
                 data.chroms[i], data.names[i], valid_chroms, test_chroms);
        (test ? split.test : valid ? split.valid : split.train).push_back(i);
    }
    if (!valid_chroms.empty() && valid_chroms != "auto" && split.valid.empty())
        fail("--valid-chroms {}: no region lies on these chromosomes", valid_chroms);
    if (!test_chroms.empty() && test_chroms != "auto" && split.test.empty())
        fail("--test-chroms {}: no region lies on these chromosomes", test_chroms);
    return split;
}

// --- Training --------------------------------------------------------------------------------------------

namespace {

constexpr const char *kCheckpointArchitecture = "seqcnn-training-checkpoint";
// Dropout masks use their own streams of the seed (seqcnn_init's streams are the parameter tensors).
constexpr uint64_t kDropoutSeedOffset = 0x9e3779b97f4a7c15ull;

template <typename T> std::string join_numbers(const std::vector<T> &values) {
    std::vector<std::string> items;
    items.reserve(values.size());
    for (const T &v : values) items.push_back(fmt::format("{}", v));
    return join_list(items);
}

std::string settings_of(const SeqcnnTrainOptions &o, const SeqcnnLabeledRegions &data,
                        const SeqcnnConfig &c) {
    const std::vector<std::pair<std::string, std::string>> s = {
        {"--data", fmt::format("{} regions x {} tasks ({}) of {} bases", data.size(), data.tasks.size(),
                               join_list(data.tasks), data.length)},
        {"--valid-chroms", o.valid_chroms},
        {"--test-chroms", o.test_chroms},
        {"--batch", std::to_string(o.batch)},
        {"--lr", exact_number(o.lr)},
        {"--patience", std::to_string(o.patience)},
        {"--seed", std::to_string(o.seed)},
        {"--channels", join_numbers(c.conv_channels)},
        {"--kernel", join_numbers(c.conv_kernels)},
        {"--pools", join_numbers(c.pools)},
        {"--dense", join_numbers(c.dense_units)},
        {"--conv-dropout", join_numbers(c.conv_dropout)},
        {"--dense-dropout", join_numbers(c.dense_dropout)},
        {"--activation", seqcnn_activation_name(c.activation)},
        {"--padding", seqcnn_padding_name(c.padding)},
    };
    return encode_training_settings(s);
}

// The checkpoint in PyTorch's names and layouts.
TrainingCheckpointFormat checkpoint_format(const SeqcnnTrainer &trainer) {
    TrainingCheckpointFormat format;
    format.architecture = kCheckpointArchitecture;
    format.description = "train-seq checkpoint";
    format.best_probe = "best.conv.0.weight";
    format.save_parameters = [&trainer](SafetensorsWriter &writer, const std::string &prefix,
                                        const float *flat) {
        const SeqcnnModel values = trainer.model(flat);
        for (auto &[name, tensor] : values.parameters())
            writer.add_f32(prefix + name, tensor->shape, tensor->data.data());
    };
    format.load_parameters = [&trainer](const SafetensorsFile &file, const std::string &prefix, float *flat) {
        const SeqcnnModel shapes(trainer.config());
        for (auto &[name, tensor] : shapes.parameters()) {
            const float *data = file.f32(prefix + name, tensor->shape);
            flat = std::copy(data, data + tensor->size(), flat);
        }
    };
    return format;
}

// Mean loss over `ids` without dropout, in batches.
double evaluation_loss(SeqcnnTrainer &trainer, const SeqcnnLabeledRegions &data,
                       const std::vector<int64_t> &ids, std::vector<float> &one_hot,
                       std::vector<float> &labels) {
    const size_t batch = 256;
    double total = 0;
    for (size_t first = 0; first < ids.size(); first += batch) {
        const size_t count = std::min(batch, ids.size() - first);
        data.one_hot(ids, first, count, one_hot);
        data.gather_labels(ids, first, count, labels);
        total += trainer.loss(one_hot.data(), labels.data(), static_cast<int64_t>(count)) * count;
    }
    return total / static_cast<double>(ids.size());
}

} // namespace

SeqcnnTrainSummary seqcnn_train(const SeqcnnTrainOptions &o) {
    if (o.epochs < 1) fail("--epochs must be at least 1, not {}", o.epochs);
    if (o.batch < 1) fail("--batch must be at least 1, not {}", o.batch);
    if (!(o.lr > 0) || !std::isfinite(o.lr)) fail("--lr must be a positive number, not {}", o.lr);
    const std::string checkpoint =
        o.checkpoint.empty() ? training_output_stem(o.out) + ".checkpoint.safetensors" : o.checkpoint;
    const std::string log_path = o.log.empty() ? training_output_stem(o.out) + ".log.tsv" : o.log;
    if (checkpoint == o.out || log_path == o.out || checkpoint == log_path)
        fail("--out, --checkpoint and --log must be different files ({}, {}, {})", o.out, checkpoint,
             log_path);

    SeqcnnConfig config = o.architecture;
    // Hyperparameters first, so that a typo fails before the genome is read.
    if (config.dense_units.empty()) config.dense_units.push_back(1);
    config.tasks = {"task"};
    config.dense_units.back() = 1;
    config.validate();
    const SeqcnnLabeledRegions data =
        seqcnn_read_labeled_regions(o.fasta, o.regions, o.labels, config.sequence_length);
    config.tasks = data.tasks;
    config.dense_units.back() = config.num_tasks();
    config.validate();
    const SeqcnnSplit split = seqcnn_split_regions(data, o.valid_chroms, o.test_chroms);
    if (split.train.empty())
        fail("no region left to train on after the validation and test chromosomes: {}", o.regions);

    SeqcnnTrainer trainer(seqcnn_init(config, o.seed));
    Adam adam(trainer.parameter_count(), AdamSettings{o.lr});
    const std::string settings = settings_of(o, data, config);
    const TrainingCheckpointFormat format = checkpoint_format(trainer);
    const auto parameter_count = static_cast<size_t>(trainer.parameter_count());
    TrainingState state;
    state.rng.seed(o.seed);
    if (o.resume) {
        if (!file_exists(checkpoint)) fail("--resume: no checkpoint to resume from: {}", checkpoint);
        read_training_checkpoint(checkpoint, format, settings, state, trainer.parameters(), parameter_count,
                                 adam);
    }

    const bool validate = !split.valid.empty();
    const size_t batches = (split.train.size() + o.batch - 1) / o.batch;
    const uint64_t dropout_seed = o.seed + kDropoutSeedOffset;
    std::vector<float> one_hot, labels;
    std::vector<std::vector<uint8_t>> keep_storage(config.dropout_sites());
    std::vector<const uint8_t *> keep(config.dropout_sites(), nullptr);
    bool any_dropout = false;
    for (int site = 0; site < config.dropout_sites(); ++site) any_dropout |= config.site_dropout(site) > 0;

    Progress progress("train-seq", static_cast<int64_t>(std::max(0, o.epochs - state.epoch)) * batches);
    int64_t steps_done = 0;
    std::string last_detail;
    while (state.epoch < o.epochs && !state.stopped) {
        const auto start = std::chrono::steady_clock::now();
        std::vector<int64_t> order = split.train;
        shuffle_in_place(order, state.rng);
        double loss_sum = 0;
        for (size_t b = 0; b < batches; ++b) {
            const size_t first = b * o.batch, count = std::min<size_t>(o.batch, order.size() - first);
            data.one_hot(order, first, count, one_hot);
            data.gather_labels(order, first, count, labels);
            // Each drawn sequence has its own MC sample index: epoch and position in the epoch's order.
            for (int site = 0; site < config.dropout_sites(); ++site) {
                if (config.site_dropout(site) == 0) continue;
                const int64_t size = config.site_size(site);
                keep_storage[site].resize(count * size);
                for (size_t s = 0; s < count; ++s)
                    seqcnn_dropout_keep(config, dropout_seed,
                                        uint64_t(state.epoch) * order.size() + first + s, site,
                                        keep_storage[site].data() + s * size);
                keep[site] = keep_storage[site].data();
            }
            loss_sum += trainer.compute_gradients(one_hot.data(), labels.data(), static_cast<int64_t>(count),
                                                  any_dropout ? &keep : nullptr);
            adam.step(trainer.parameters(), trainer.gradients(), o.lr);
            ++steps_done;
            if (!o.quiet)
                progress.update(steps_done,
                                fmt::format("epoch {}/{} loss {:.4f} {}", state.epoch + 1, o.epochs,
                                            loss_sum / static_cast<double>(b + 1), last_detail));
        }
        const double train_loss = loss_sum / static_cast<double>(batches);
        const double valid_loss =
            validate ? evaluation_loss(trainer, data, split.valid, one_hot, labels) : std::nan("");
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.end_epoch(validate, train_loss, valid_loss, o.lr, seconds, trainer.parameters(),
                        parameter_count, o.patience);
        if (validate)
            last_detail = fmt::format("| valid {:.4f}, best {:.4f} at epoch {}", valid_loss,
                                      state.best_valid_loss, state.best_epoch);
        write_training_checkpoint(checkpoint, format, settings, state, trainer.parameters(), adam);
        write_training_log(log_path, state.log);
    }
    progress.finish();

    seqcnn_save(trainer.model(validate && !state.best_parameters.empty() ? state.best_parameters.data()
                                                                         : trainer.parameters()),
                o.out);
    SeqcnnTrainSummary summary;
    summary.epochs_run = state.epoch;
    summary.best_epoch = state.best_epoch;
    summary.best_valid_loss = validate ? state.best_valid_loss : std::nan("");
    summary.stopped_early = state.stopped;
    summary.train_regions = static_cast<int64_t>(split.train.size());
    summary.valid_regions = static_cast<int64_t>(split.valid.size());
    summary.test_regions = static_cast<int64_t>(split.test.size());
    return summary;
}

} // namespace causeway
