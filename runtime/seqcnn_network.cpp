#include "causeway/seqcnn_network.h"

#include <algorithm>
#include <climits>
#include <cstddef>

#include <HalideBuffer.h>

#include "buffer_fill.h"
#include "causeway/error.h"
#include "dispatch/seqcnn_conv.h"
#include "dispatch/seqcnn_conv_masked.h"
#include "dispatch/seqcnn_conv_one_hot.h"
#include "dispatch/seqcnn_conv_one_hot_masked.h"
#include "dispatch/seqcnn_dense.h"
#include "dispatch/seqcnn_dense_masked.h"
#include "halide_call.h"

namespace causeway {

using Halide::Runtime::Buffer;

namespace {

// Every schedule splits channels and units by this without a tail (schedules/pecnn_target.h).
constexpr int kChannelBlock = 32;
// Sequences per chain of pipeline calls: enough for the dense layers to reuse each weight chunk many
// times, few enough that the activations stay near this many floats.
constexpr int64_t kChunkFloats = int64_t(1) << 24;
constexpr int64_t kMaxChunk = 256;

int round_up(int value, int multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

int activation_code(SeqcnnActivation activation) {
    return activation == SeqcnnActivation::Relu ? 0 : 1;
}
constexpr int kSigmoid = 2;

} // namespace

struct SeqcnnNetwork::Impl {
    SeqcnnConfig config;
    std::vector<int> channels_padded; // per conv block
    std::vector<int> units_padded;    // per dense layer
    std::vector<Buffer<float>> conv_weight, conv_bias, dense_weight, dense_bias;
    int64_t chunk = 1;
    std::vector<Buffer<float>> conv_out, dense_out; // workspace for `chunk` sequences
    std::vector<Buffer<float>> mask;                // per site, multipliers in the pipelines' layout
    Buffer<float> unused_3d{1, 1, 1}, unused_4d{1, 1, 1, 1};

    void pack(const SeqcnnModel &model) {
        const SeqcnnConfig &c = config;
        for (int i = 0; i < c.conv_blocks(); ++i) {
            const int out = c.conv_channels[i], in = c.conv_input_channels(i), k = c.conv_kernels[i];
            const int out_p = channels_padded[i], in_p = i == 0 ? 4 : channels_padded[i - 1];
            Buffer<float> w(k, in_p, out_p), bias(out_p);
            detail::fill(w, 0.f);
            detail::fill(bias, 0.f);
            const std::vector<float> &src = model.conv_weight[i].data;
            for (int co = 0; co < out; ++co) {
                for (int ci = 0; ci < in; ++ci)
                    for (int j = 0; j < k; ++j)
                        w(j, ci, co) = src[(static_cast<size_t>(co) * in + ci) * k + j];
                bias(co) = model.conv_bias[i].data[co];
            }
            conv_weight.push_back(std::move(w));
            conv_bias.push_back(std::move(bias));
        }
        const int last = c.conv_blocks() - 1;
        const int channels = c.conv_channels[last], channels_p = channels_padded[last];
        const int length = c.pooled_length(last);
        for (int j = 0; j < c.dense_layers(); ++j) {
            const int out = c.dense_units[j], in = c.dense_inputs(j), out_p = units_padded[j];
            const int in_p = j == 0 ? channels_p * length : units_padded[j - 1];
            // Blocks of 32 units, each block's weights contiguous (see seqcnn_dense_generator.cpp).
            Buffer<float> w(kChannelBlock, in_p, out_p / kChannelBlock), bias(out_p);
            detail::fill(w, 0.f);
            detail::fill(bias, 0.f);
            const std::vector<float> &src = model.dense_weight[j].data;
            for (int o = 0; o < out; ++o) {
                const int oi = o % kChannelBlock, ob = o / kChannelBlock;
                if (j == 0) {
                    // PyTorch flattens [C, L'] channel-major; the conv activations are (co, x), channels
                    // innermost: feature co * L' + x sits at x * C_padded + co.
                    for (int co = 0; co < channels; ++co)
                        for (int x = 0; x < length; ++x)
                            w(oi, x * channels_p + co, ob) =
                                src[static_cast<size_t>(o) * in + static_cast<size_t>(co) * length + x];
                } else {
                    for (int i = 0; i < in; ++i) w(oi, i, ob) = src[static_cast<size_t>(o) * in + i];
                }
                bias(o) = model.dense_bias[j].data[o];
            }
            dense_weight.push_back(std::move(w));
            dense_bias.push_back(std::move(bias));
        }
    }

    void allocate() {
        const SeqcnnConfig &c = config;
        int64_t floats = 0;
        for (int i = 0; i < c.conv_blocks(); ++i) floats += int64_t(channels_padded[i]) * c.pooled_length(i);
        for (int j = 0; j < c.dense_layers(); ++j) floats += units_padded[j];
        chunk = std::clamp<int64_t>(kChunkFloats / floats, 1, kMaxChunk);
        // Halide indexes each buffer with 32-bit integers.
        for (int i = 0; i < c.conv_blocks(); ++i)
            chunk = std::min<int64_t>(chunk, INT32_MAX / (int64_t(channels_padded[i]) * c.pooled_length(i)));
        const int n = static_cast<int>(chunk);
        // (co_i, co_o, x, b): the same memory as (co, x, b), channels innermost.
        for (int i = 0; i < c.conv_blocks(); ++i)
            conv_out.emplace_back(kChannelBlock, channels_padded[i] / kChannelBlock, c.pooled_length(i), n);
        for (int j = 0; j < c.dense_layers(); ++j)
            dense_out.emplace_back(kChannelBlock, units_padded[j] / kChannelBlock, n);
        mask.resize(c.dropout_sites());
    }

    // Multipliers for sequences [start, start + count) of a site, in the pipeline's layout.
    const Buffer<float> &site_mask(const SeqcnnMasks &masks, int site, int64_t start, int64_t count) {
        const SeqcnnConfig &c = config;
        const bool conv = site < c.conv_blocks();
        const int channels = conv ? c.conv_channels[site] : c.dense_units[site - c.conv_blocks()];
        const int channels_p = conv ? channels_padded[site] : units_padded[site - c.conv_blocks()];
        const int length = conv ? c.pooled_length(site) : 1;
        const int64_t first = masks.batch == 1 ? 0 : start;
        const int m = static_cast<int>(masks.batch == 1 ? 1 : count);
        // Conv sites (co_i, co_o, x, m), dense sites (oi, ob, m): blocks of 32 channels or units.
        Buffer<float> &buffer = mask[site];
        const std::vector<int> shape =
            conv ? std::vector<int>{kChannelBlock, channels_p / kChannelBlock, length, m}
                 : std::vector<int>{kChannelBlock, channels_p / kChannelBlock, m};
        bool fits = buffer.data() && buffer.dimensions() == static_cast<int>(shape.size());
        for (size_t d = 0; fits && d < shape.size(); ++d) fits = buffer.dim(d).extent() == shape[d];
        if (!fits) buffer = Buffer<float>(shape);
        detail::fill(buffer, 0.f);
        const auto scale = static_cast<float>(1.0 / (1.0 - c.site_dropout(site)));
        const uint8_t *keep = masks.keep[site] + first * c.site_size(site);
        // Both layouts are (channel, position, sequence) in memory, channels innermost; the keep masks are
        // PyTorch's [sequence, channel, position].
        float *out = buffer.data();
        for (int s = 0; s < m; ++s)
            for (int ch = 0; ch < channels; ++ch) {
                const uint8_t *row = keep + (static_cast<int64_t>(s) * channels + ch) * length;
                float *column = out + static_cast<int64_t>(s) * length * channels_p + ch;
                for (int x = 0; x < length; ++x)
                    column[static_cast<int64_t>(x) * channels_p] = row[x] ? scale : 0.f;
            }
        return buffer;
    }

    void run_chunk(const float *one_hot, int64_t start, int64_t count, float *probabilities,
                   const SeqcnnMasks *masks) {
        const SeqcnnConfig &c = config;
        const int n = static_cast<int>(count);
        Buffer<float> input(const_cast<float *>(one_hot) + start * 4 * c.sequence_length, c.sequence_length,
                            4, n);
        const int act = activation_code(c.activation);
        for (int i = 0; i < c.conv_blocks(); ++i) {
            Buffer<float> out = conv_out[i].cropped(3, 0, n);
            const bool masked = masks && masks->keep[i];
            Buffer<float> m = masked ? site_mask(*masks, i, start, count) : unused_4d;
            const int pad = c.conv_pad_left(i), pool = c.pools[i];
            if (i == 0) {
                detail::check_pipeline(
                    masked ? pipeline::seqcnn_conv_one_hot_masked(input, conv_weight[0], conv_bias[0], pad,
                                                                  pool, act, m, out)
                           : pipeline::seqcnn_conv_one_hot(input, conv_weight[0], conv_bias[0], pad, pool,
                                                           act, m, out),
                    "seqcnn_conv_one_hot");
            } else {
                Buffer<float> in(conv_out[i - 1].data(), channels_padded[i - 1], c.pooled_length(i - 1), n);
                detail::check_pipeline(
                    masked ? pipeline::seqcnn_conv_masked(in, conv_weight[i], conv_bias[i], pad, pool, act, m,
                                                          out)
                           : pipeline::seqcnn_conv(in, conv_weight[i], conv_bias[i], pad, pool, act, m, out),
                    "seqcnn_conv");
            }
        }
        const int last = c.conv_blocks() - 1;
        Buffer<float> features(conv_out[last].data(), channels_padded[last] * c.pooled_length(last), n);
        for (int j = 0; j < c.dense_layers(); ++j) {
            Buffer<float> in =
                j == 0 ? features : Buffer<float>(dense_out[j - 1].data(), units_padded[j - 1], n);
            Buffer<float> out = dense_out[j].cropped(2, 0, n);
            const bool final_layer = j + 1 == c.dense_layers();
            const int site = c.conv_blocks() + j;
            const bool masked = !final_layer && masks && masks->keep[site];
            Buffer<float> m = masked ? site_mask(*masks, site, start, count) : unused_3d;
            const int mode = final_layer ? kSigmoid : act;
            detail::check_pipeline(
                masked ? pipeline::seqcnn_dense_masked(in, dense_weight[j], dense_bias[j], mode, m, out)
                       : pipeline::seqcnn_dense(in, dense_weight[j], dense_bias[j], mode, m, out),
                "seqcnn_dense");
        }
        const Buffer<float> &result = dense_out.back();
        const int tasks = c.num_tasks();
        for (int s = 0; s < n; ++s)
            for (int t = 0; t < tasks; ++t)
                probabilities[(start + s) * tasks + t] = result(t % kChannelBlock, t / kChannelBlock, s);
    }
};

SeqcnnNetwork::SeqcnnNetwork(const SeqcnnModel &model) : impl_(std::make_unique<Impl>()) {
    model.config.validate();
    Impl &m = *impl_;
    m.config = model.config;
    for (int ch : m.config.conv_channels) m.channels_padded.push_back(round_up(ch, kChannelBlock));
    for (int u : m.config.dense_units) m.units_padded.push_back(round_up(u, kChannelBlock));
    const int last = m.config.conv_blocks() - 1;
    if (int64_t(m.channels_padded[last]) * m.config.pooled_length(last) * m.units_padded[0] >= INT32_MAX)
        fail("the first dense layer is too large for the compiled pipelines ({} x {} weights once padded)",
             int64_t(m.channels_padded[last]) * m.config.pooled_length(last), m.units_padded[0]);
    m.pack(model);
    m.allocate();
}

SeqcnnNetwork::~SeqcnnNetwork() = default;

const SeqcnnConfig &SeqcnnNetwork::config() const {
    return impl_->config;
}

void SeqcnnNetwork::forward(const float *one_hot, int64_t batch, float *probabilities,
                            const SeqcnnMasks *masks) {
    const SeqcnnConfig &c = impl_->config;
    if (batch < 0) fail("forward: negative batch {}", batch);
    if (masks) {
        if (static_cast<int>(masks->keep.size()) != c.dropout_sites())
            fail("forward: {} dropout masks given for the model's {} dropout sites (conv blocks, then dense "
                 "layers but the last)",
                 masks->keep.size(), c.dropout_sites());
        if (masks->batch != 1 && masks->batch != batch)
            fail("forward: masks for {} sequences given with a batch of {} (use 1 to share one mask)",
                 masks->batch, batch);
        for (int site = 0; site < c.dropout_sites(); ++site)
            if (masks->keep[site] && c.site_dropout(site) == 0)
                fail("forward: a dropout mask is given for site {}, whose dropout probability is 0", site);
    }
    for (int64_t start = 0; start < batch; start += impl_->chunk)
        impl_->run_chunk(one_hot, start, std::min(impl_->chunk, batch - start), probabilities, masks);
}

SeqcnnNetwork::PackedLayer SeqcnnNetwork::packed_conv(int block) const {
    const Impl &m = *impl_;
    if (block < 0 || block >= m.config.conv_blocks()) fail("packed_conv: no conv block {}", block);
    return {m.conv_weight[block].data(), m.conv_bias[block].data(),
            block == 0 ? 4 : m.channels_padded[block - 1], m.channels_padded[block]};
}

SeqcnnNetwork::PackedLayer SeqcnnNetwork::packed_dense(int layer) const {
    const Impl &m = *impl_;
    if (layer < 0 || layer >= m.config.dense_layers()) fail("packed_dense: no dense layer {}", layer);
    return {m.dense_weight[layer].data(), m.dense_bias[layer].data(), m.dense_weight[layer].dim(1).extent(),
            m.units_padded[layer]};
}

double SeqcnnNetwork::forward_flops(const SeqcnnConfig &c, int64_t batch) {
    double per_sequence = 0;
    for (int i = 0; i < c.conv_blocks(); ++i)
        per_sequence +=
            2.0 * c.conv_input_channels(i) * c.conv_kernels[i] * c.conv_channels[i] * c.conv_output_length(i);
    for (int j = 0; j < c.dense_layers(); ++j) per_sequence += 2.0 * c.dense_inputs(j) * c.dense_units[j];
    return per_sequence * static_cast<double>(batch);
}

} // namespace causeway
