#include "causeway/pecnn_network.h"

#include <algorithm>
#include <cstring>

#include <HalideBuffer.h>
#include <HalideRuntime.h>

#include "buffer_fill.h"
#include "causeway/error.h"
#include "dispatch/pecnn_conv_dataset.h"
#include "dispatch/pecnn_conv_grad_input_dataset.h"
#include "dispatch/pecnn_conv_grad_input_hidden.h"
#include "dispatch/pecnn_conv_grad_input_invariant.h"
#include "dispatch/pecnn_conv_grad_weight_dataset.h"
#include "dispatch/pecnn_conv_grad_weight_hidden.h"
#include "dispatch/pecnn_conv_grad_weight_invariant.h"
#include "dispatch/pecnn_conv_hidden.h"
#include "dispatch/pecnn_conv_pool.h"
#include "dispatch/pecnn_readout.h"
#include "dispatch/pecnn_readout_backward.h"
#include "halide_call.h"

namespace causeway {

using Halide::Runtime::Buffer;

namespace {

// Every schedule splits hidden channels by this without a tail (schedules/pecnn_target.h).
constexpr int kChannelBlock = 32;
// Forward passes over many genes run in chunks whose activations stay near this many floats.
constexpr int64_t kForwardChunkFloats = int64_t(1) << 24;

int round_up(int value, int multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

// Tensors of the packed layout start on 64-byte boundaries (one AVX-512 vector).
constexpr int64_t kPackedAlign = 16;

void pack_conv_weight(const Tensor &w, Buffer<float> &packed) {
    const int out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]),
              k = static_cast<int>(w.shape[3]);
    for (int co = 0; co < out; ++co)
        for (int ci = 0; ci < in; ++ci)
            for (int j = 0; j < k; ++j)
                packed(j, ci, co) = w.data[(static_cast<size_t>(co) * in + ci) * k + j];
}

void pack_bias(const Tensor &b, Buffer<float> &packed) {
    for (int64_t i = 0; i < b.size(); ++i) packed(static_cast<int>(i)) = b.data[i];
}

void unpack_conv_weight(const Buffer<float> &packed, Tensor &w) {
    const int out = static_cast<int>(w.shape[0]), in = static_cast<int>(w.shape[1]),
              k = static_cast<int>(w.shape[3]);
    for (int co = 0; co < out; ++co)
        for (int ci = 0; ci < in; ++ci)
            for (int j = 0; j < k; ++j)
                w.data[(static_cast<size_t>(co) * in + ci) * k + j] = packed(j, ci, co);
}

void unpack_bias(const Buffer<float> &packed, Tensor &b) {
    for (int64_t i = 0; i < b.size(); ++i) b.data[i] = packed(static_cast<int>(i));
}

// Views of one flat packed buffer as the pipelines' parameter (or gradient) buffers.
struct PackedViews {
    std::vector<Buffer<float>> weight, bias;
    Buffer<float> invariant_weight, invariant_bias, readout_weight, readout_bias;
};

// Where each tensor lives in the flat packed buffer: equivariant weights and biases, invariant weight
// and bias, readout weight, readout bias.
struct PackedLayout {
    std::vector<int64_t> weight, bias;
    int64_t invariant_weight = 0, invariant_bias = 0, readout_weight = 0, readout_bias = 0, total = 0;

    PackedLayout() = default;
    PackedLayout(const PecnnConfig &c, int hp) {
        int64_t at = 0;
        auto place = [&](int64_t size) {
            const int64_t start = at;
            at += (size + kPackedAlign - 1) / kPackedAlign * kPackedAlign;
            return start;
        };
        for (int i = 0; i < c.depth; ++i) {
            weight.push_back(place(int64_t(c.kernel) * (i == 0 ? c.num_marks() : hp) * hp));
            bias.push_back(place(hp));
        }
        invariant_weight = place(int64_t(c.kernel) * hp * hp);
        invariant_bias = place(hp);
        readout_weight = place(int64_t(c.bins) * 2 * hp);
        readout_bias = place(1);
        total = at;
    }

    PackedViews views(float *base, const PecnnConfig &c, int hp) const {
        PackedViews v;
        for (int i = 0; i < c.depth; ++i) {
            v.weight.emplace_back(base + weight[i], c.kernel, i == 0 ? c.num_marks() : hp, hp);
            v.bias.emplace_back(base + bias[i], hp);
        }
        v.invariant_weight = Buffer<float>(base + invariant_weight, c.kernel, hp, hp);
        v.invariant_bias = Buffer<float>(base + invariant_bias, hp);
        v.readout_weight = Buffer<float>(base + readout_weight, c.bins, 2 * hp);
        v.readout_bias = Buffer<float>(base + readout_bias, 1);
        return v;
    }
};

void pack_into(const PecnnModel &model, PackedViews &&v, int hp) {
    const PecnnConfig &c = model.config;
    for (int i = 0; i < c.depth; ++i) {
        pack_conv_weight(model.equivariant_weight[i], v.weight[i]);
        pack_bias(model.equivariant_bias[i], v.bias[i]);
    }
    pack_conv_weight(model.invariant_weight, v.invariant_weight);
    pack_bias(model.invariant_bias, v.invariant_bias);
    for (int ch = 0; ch < c.hidden; ++ch)
        for (int x = 0; x < c.bins; ++x) {
            v.readout_weight(x, ch) = model.readout_weight.data[static_cast<size_t>(ch) * c.bins + x];
            v.readout_weight(x, hp + ch) =
                model.readout_weight.data[static_cast<size_t>(c.hidden + ch) * c.bins + x];
        }
    v.readout_bias(0) = model.readout_bias.data[0];
}

void unpack_from(const PackedViews &v, PecnnModel &model, int hp) {
    const PecnnConfig &c = model.config;
    for (int i = 0; i < c.depth; ++i) {
        unpack_conv_weight(v.weight[i], model.equivariant_weight[i]);
        unpack_bias(v.bias[i], model.equivariant_bias[i]);
    }
    unpack_conv_weight(v.invariant_weight, model.invariant_weight);
    unpack_bias(v.invariant_bias, model.invariant_bias);
    for (int ch = 0; ch < c.hidden; ++ch)
        for (int x = 0; x < c.bins; ++x) {
            model.readout_weight.data[static_cast<size_t>(ch) * c.bins + x] = v.readout_weight(x, ch);
            model.readout_weight.data[static_cast<size_t>(c.hidden + ch) * c.bins + x] =
                v.readout_weight(x, hp + ch);
        }
    model.readout_bias.data[0] = v.readout_bias(0);
}

} // namespace

struct PecnnNetwork::Impl {
    PecnnConfig config;
    int hp = 0; // hidden channels, padded
    // Parameters and their gradients, each in one flat buffer (PackedLayout), so that an optimiser updates
    // them in one compiled call; the per-tensor buffers the pipelines take are views into them.
    PackedLayout layout;
    Buffer<float> parameters_flat, gradients_flat;
    std::vector<Buffer<float>> weight, bias;
    Buffer<float> invariant_weight, invariant_bias, readout_weight, readout_bias;

    // Workspace, allocated for the largest batch seen (rows = genes x cells) and cropped to each call's
    // rows: reallocating (and page-faulting) hundreds of MB per call would cost more than the small
    // pipelines it feeds.
    int64_t capacity_rows = 0;
    std::vector<Buffer<float>> hidden_storage; // each equivariant layer's output (hp, bins, rows)
    Buffer<float> invariant_storage, hidden_grad_storage[2];
    std::vector<Buffer<float>> weight_grad, bias_grad;
    Buffer<float> invariant_weight_grad, invariant_bias_grad, readout_weight_grad, readout_bias_grad;
    Buffer<float> prediction_grad, loss = Buffer<float>::make_scalar();
    Buffer<float> pool_grad, pooled; // per gene (hp, bins, genes): the invariant branch's pooling
    // Stand-ins for the inputs a pipeline variant does not read.
    Buffer<float> unused_1d{1}, unused_2d{1, 1}, unused_3d{1, 1, 1};
    // Views for the current call.
    std::vector<Buffer<float>> hidden;
    Buffer<float> invariant, hidden_grad[2];

    void allocate() {
        layout = PackedLayout(config, hp);
        parameters_flat = Buffer<float>(static_cast<int>(layout.total));
        gradients_flat = Buffer<float>(static_cast<int>(layout.total));
        detail::fill(parameters_flat, 0.f);
        detail::fill(gradients_flat, 0.f);
        PackedViews p = views(parameters_flat.data());
        weight = p.weight;
        bias = p.bias;
        invariant_weight = p.invariant_weight;
        invariant_bias = p.invariant_bias;
        readout_weight = p.readout_weight;
        readout_bias = p.readout_bias;
        PackedViews g = views(gradients_flat.data());
        weight_grad = g.weight;
        bias_grad = g.bias;
        invariant_weight_grad = g.invariant_weight;
        invariant_bias_grad = g.invariant_bias;
        readout_weight_grad = g.readout_weight;
        readout_bias_grad = g.readout_bias;
    }

    PackedViews views(float *base) const { return layout.views(base, config, hp); }

    void pack(const PecnnModel &model) {
        if (model.config.depth != config.depth || model.config.hidden != config.hidden ||
            model.config.kernel != config.kernel || model.config.bins != config.bins ||
            model.config.num_marks() != config.num_marks())
            fail("set_parameters: the model's shape differs from the network's");
        detail::fill(parameters_flat, 0.f);
        pack_into(model, views(parameters_flat.data()), hp);
    }

    void reserve(int64_t g, int c, bool backward) {
        const int64_t rows = g * c;
        if (rows * hp * static_cast<int64_t>(config.bins) > INT32_MAX)
            fail("a batch of {} genes x {} cell types is too large for one pipeline call", g, c);
        const int bins = config.bins;
        if (rows > capacity_rows) {
            const int n = static_cast<int>(rows);
            hidden_storage.clear();
            for (int i = 0; i < config.depth; ++i) hidden_storage.emplace_back(hp, bins, n);
            invariant_storage = Buffer<float>(hp, bins, n);
            hidden_grad_storage[0] = hidden_grad_storage[1] = Buffer<float>();
            capacity_rows = rows;
        }
        if (backward && !hidden_grad_storage[0].data()) {
            const int n = static_cast<int>(capacity_rows);
            hidden_grad_storage[0] = Buffer<float>(hp, bins, n);
            hidden_grad_storage[1] = Buffer<float>(hp, bins, n);
        }
        const int n = static_cast<int>(rows);
        hidden.clear();
        for (auto &h : hidden_storage) hidden.push_back(h.cropped(2, 0, n));
        invariant = invariant_storage.cropped(2, 0, n);
        if (backward) {
            if (!pool_grad.data() || pool_grad.dim(2).extent() != g) {
                pool_grad = Buffer<float>(hp, bins, static_cast<int>(g));
                pooled = Buffer<float>(hp, bins, static_cast<int>(g));
            }
            hidden_grad[0] = hidden_grad_storage[0].cropped(2, 0, n);
            hidden_grad[1] = hidden_grad_storage[1].cropped(2, 0, n);
            if (!prediction_grad.data() || prediction_grad.dim(0).extent() != c ||
                prediction_grad.dim(1).extent() != g)
                prediction_grad = Buffer<float>(c, static_cast<int>(g));
        }
    }

    // Fills hidden[] for a batch, and the invariant branch's per-cell activations unless only its
    // pooled form is wanted (inference).
    void run_layers(const float *inputs, int64_t g, int c, bool keep_invariant = true) {
        const int n = static_cast<int>(g * c);
        Buffer<float> input(const_cast<float *>(inputs), config.bins, config.num_marks(), n);
        for (int i = 0; i < config.depth; ++i) {
            if (i == 0) {
                detail::check_pipeline(
                    pipeline::pecnn_conv_dataset(input, weight[0], bias[0], config.dilations[0], hidden[0]),
                    "pecnn_conv_dataset");
            } else {
                detail::check_pipeline(pipeline::pecnn_conv_hidden(hidden[i - 1], weight[i], bias[i],
                                                                   config.dilations[i], hidden[i]),
                                       "pecnn_conv_hidden");
            }
        }
        if (keep_invariant)
            detail::check_pipeline(
                pipeline::pecnn_conv_hidden(hidden.back(), invariant_weight, invariant_bias, 1, invariant),
                "pecnn_conv_hidden (invariant)");
    }

    Buffer<float> as_cells(Buffer<float> &rows, int64_t g, int c) {
        return Buffer<float>(rows.data(), hp, config.bins, c, static_cast<int>(g));
    }
};

PecnnNetwork::PecnnNetwork(const PecnnModel &model) : impl_(std::make_unique<Impl>()) {
    model.config.validate();
    impl_->config = model.config;
    impl_->hp = round_up(model.config.hidden, kChannelBlock);
    impl_->allocate();
    impl_->pack(model);
}

PecnnNetwork::~PecnnNetwork() = default;

const PecnnConfig &PecnnNetwork::config() const {
    return impl_->config;
}

void PecnnNetwork::set_parameters(const PecnnModel &model) {
    impl_->pack(model);
}

void PecnnNetwork::forward(const float *inputs, int64_t genes, int cells, float *predictions) {
    Impl &m = *impl_;
    if (genes <= 0 || cells <= 0) return;
    const int64_t per_gene = static_cast<int64_t>(cells) * m.hp * m.config.bins;
    const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(genes, kForwardChunkFloats / per_gene));
    const int64_t input_stride = static_cast<int64_t>(cells) * m.config.num_marks() * m.config.bins;
    for (int64_t start = 0; start < genes; start += chunk) {
        const int64_t g = std::min(chunk, genes - start);
        m.reserve(g, cells, false);
        m.run_layers(inputs + start * input_stride, g, cells, false);
        Buffer<float> h = m.as_cells(m.hidden.back(), g, cells);
        Buffer<float> pooled(m.invariant.data(), m.hp, m.config.bins, static_cast<int>(g));
        detail::check_pipeline(pipeline::pecnn_conv_pool(h, m.invariant_weight, m.invariant_bias, 1,
                                                         m.config.pooling == Pooling::Mean ? 0 : 1, pooled),
                               "pecnn_conv_pool");
        Buffer<float> out(predictions + start * cells, cells, static_cast<int>(g));
        detail::check_pipeline(pipeline::pecnn_readout(h, pooled, m.readout_weight, m.readout_bias, out),
                               "pecnn_readout");
    }
}

float PecnnNetwork::backward(const float *inputs, const float *targets, int64_t genes, int cells,
                             PecnnModel &gradients, float *input_grad, float *predictions) {
    const float loss = compute_gradients(inputs, targets, genes, cells, input_grad, predictions);
    const PecnnConfig &c = impl_->config;
    // Back to PyTorch's layout.
    if (gradients.config.depth != c.depth || gradients.config.hidden != c.hidden) gradients = PecnnModel(c);
    unpack_from(impl_->views(impl_->gradients_flat.data()), gradients, impl_->hp);
    return loss;
}

float PecnnNetwork::compute_gradients(const float *inputs, const float *targets, int64_t genes, int cells,
                                      float *input_grad, float *predictions) {
    Impl &m = *impl_;
    const PecnnConfig &c = m.config;
    if (genes <= 0 || cells <= 0) fail("backward needs at least one gene and one cell type");
    m.reserve(genes, cells, true);
    m.run_layers(inputs, genes, cells);
    const int n = static_cast<int>(genes * cells);

    Buffer<float> h = m.as_cells(m.hidden.back(), genes, cells), inv = m.as_cells(m.invariant, genes, cells);
    Buffer<float> observed(const_cast<float *>(targets), cells, static_cast<int>(genes));
    std::vector<float> scratch;
    float *pred_out = predictions;
    if (!pred_out) {
        scratch.resize(static_cast<size_t>(n));
        pred_out = scratch.data();
    }
    Buffer<float> prediction(pred_out, cells, static_cast<int>(genes));
    detail::check_pipeline(pipeline::pecnn_readout_backward(
                               h, inv, m.readout_weight, m.readout_bias, c.pooling == Pooling::Mean ? 0 : 1,
                               observed, prediction, m.loss, m.prediction_grad, m.readout_weight_grad,
                               m.readout_bias_grad, m.pool_grad, m.pooled),
                           "pecnn_readout_backward");

    // Invariant layer: its weights, and dL/dh of the last equivariant layer through both paths.
    Buffer<float> pred_grad_rows(m.prediction_grad.data(), n);
    const int pooling = c.pooling == Pooling::Mean ? 0 : 1;
    detail::check_pipeline(pipeline::pecnn_conv_grad_weight_invariant(
                               m.hidden.back(), m.invariant, m.unused_3d, c.kernel, 1, m.pool_grad, m.pooled,
                               pooling, cells, m.invariant_weight_grad, m.invariant_bias_grad),
                           "pecnn_conv_grad_weight_invariant");
    detail::check_pipeline(pipeline::pecnn_conv_grad_input_invariant(
                               m.invariant, m.unused_3d, m.invariant_weight, 1, pred_grad_rows,
                               m.readout_weight, m.pool_grad, m.pooled, pooling, cells, m.hidden_grad[0]),
                           "pecnn_conv_grad_input_invariant");

    Buffer<float> input(const_cast<float *>(inputs), c.bins, c.num_marks(), n);
    int current = 0;
    for (int i = c.depth - 1; i >= 0; --i) {
        Buffer<float> &dy = m.hidden_grad[current];
        if (i == 0) {
            detail::check_pipeline(pipeline::pecnn_conv_grad_weight_dataset(
                                       input, m.hidden[0], dy, c.kernel, c.dilations[0], m.unused_3d,
                                       m.unused_3d, 0, 1, m.weight_grad[0], m.bias_grad[0]),
                                   "pecnn_conv_grad_weight_dataset");
            if (input_grad) {
                Buffer<float> dx(input_grad, c.bins, c.num_marks(), n);
                detail::check_pipeline(pipeline::pecnn_conv_grad_input_dataset(
                                           m.hidden[0], dy, m.weight[0], c.dilations[0], m.unused_1d,
                                           m.unused_2d, m.unused_3d, m.unused_3d, 0, 1, dx),
                                       "pecnn_conv_grad_input_dataset");
            }
        } else {
            detail::check_pipeline(pipeline::pecnn_conv_grad_weight_hidden(
                                       m.hidden[i - 1], m.hidden[i], dy, c.kernel, c.dilations[i],
                                       m.unused_3d, m.unused_3d, 0, 1, m.weight_grad[i], m.bias_grad[i]),
                                   "pecnn_conv_grad_weight_hidden");
            detail::check_pipeline(pipeline::pecnn_conv_grad_input_hidden(
                                       m.hidden[i], dy, m.weight[i], c.dilations[i], m.unused_1d, m.unused_2d,
                                       m.unused_3d, m.unused_3d, 0, 1, m.hidden_grad[1 - current]),
                                   "pecnn_conv_grad_input_hidden");
            current = 1 - current;
        }
    }

    return m.loss();
}

int64_t PecnnNetwork::packed_size() const {
    return impl_->layout.total;
}

float *PecnnNetwork::packed_parameters() {
    return impl_->parameters_flat.data();
}

const float *PecnnNetwork::packed_parameters() const {
    return impl_->parameters_flat.data();
}

const float *PecnnNetwork::packed_gradients() const {
    return impl_->gradients_flat.data();
}

void PecnnNetwork::pack(const PecnnModel &values, float *packed) const {
    const Impl &m = *impl_;
    std::fill(packed, packed + m.layout.total, 0.f);
    pack_into(values, m.views(packed), m.hp);
}

void PecnnNetwork::unpack(const float *packed, PecnnModel &values) const {
    const Impl &m = *impl_;
    if (values.config.depth != m.config.depth || values.config.hidden != m.config.hidden)
        values = PecnnModel(m.config);
    unpack_from(m.views(const_cast<float *>(packed)), values, m.hp);
}

PecnnModel PecnnNetwork::model() const {
    PecnnModel result(impl_->config);
    unpack(impl_->parameters_flat.data(), result);
    return result;
}

double PecnnNetwork::forward_flops(const PecnnConfig &c, int64_t genes, int cells) {
    const double rows = static_cast<double>(genes) * cells, per_bin = 2.0 * c.kernel * c.bins;
    double flops = 0;
    for (int i = 0; i < c.depth; ++i) flops += per_bin * (i == 0 ? c.num_marks() : c.hidden) * c.hidden;
    flops += per_bin * c.hidden * c.hidden; // invariant convolution
    flops += 2.0 * 2 * c.hidden * c.bins;   // readout
    return flops * rows;
}

double PecnnNetwork::training_flops(const PecnnConfig &c, int64_t genes, int cells) {
    const double rows = static_cast<double>(genes) * cells, per_bin = 2.0 * c.kernel * c.bins;
    double backward = 0;
    for (int i = 0; i < c.depth; ++i) {
        const double layer = per_bin * (i == 0 ? c.num_marks() : c.hidden) * c.hidden;
        backward += i == 0 ? layer : 2 * layer; // weights always; input only past the first layer
    }
    backward += 2 * per_bin * c.hidden * c.hidden; // invariant: weights and input
    backward += 2 * 2.0 * 2 * c.hidden * c.bins;   // readout: weights and input
    return forward_flops(c, genes, cells) + backward * rows;
}

void set_pipeline_threads(int threads) {
    if (threads > 0) halide_set_num_threads(threads);
}

} // namespace causeway
