// A plain double-precision PECNN forward pass and masked MSE over PyTorch-layout parameters: the naive
// loop the tests hold the compiled pipelines and finite differences against.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "causeway/pecnn_model.h"

namespace causeway::testing {

// predictions [G, C]
inline std::vector<double> naive_forward(const PecnnModel &m, const std::vector<double> &inputs, int genes,
                                         int cells) {
    const PecnnConfig &c = m.config;
    const int L = c.bins, H = c.hidden, K = c.kernel, M = c.num_marks();
    auto conv = [&](const std::vector<double> &in, int channels_in, const Tensor &w, const Tensor &b, int d) {
        // in/out: [G, C, ch, L]
        std::vector<double> out(static_cast<size_t>(genes) * cells * H * L);
        const int pad = d * (K / 2);
        for (int row = 0; row < genes * cells; ++row)
            for (int co = 0; co < H; ++co)
                for (int x = 0; x < L; ++x) {
                    double s = b.data[co];
                    for (int ci = 0; ci < channels_in; ++ci)
                        for (int k = 0; k < K; ++k) {
                            int xx = x + k * d - pad;
                            if (xx < 0 || xx >= L) continue;
                            s += static_cast<double>(
                                     w.data[(static_cast<size_t>(co) * channels_in + ci) * K + k]) *
                                 in[(static_cast<size_t>(row) * channels_in + ci) * L + xx];
                        }
                    out[(static_cast<size_t>(row) * H + co) * L + x] = std::max(s, 0.0);
                }
        return out;
    };
    std::vector<double> h = inputs;
    for (int i = 0; i < c.depth; ++i)
        h = conv(h, i == 0 ? M : H, m.equivariant_weight[i], m.equivariant_bias[i], c.dilations[i]);
    std::vector<double> inv = conv(h, H, m.invariant_weight, m.invariant_bias, 1);
    std::vector<double> pred(static_cast<size_t>(genes) * cells);
    for (int g = 0; g < genes; ++g) {
        std::vector<double> pooled(static_cast<size_t>(H) * L);
        for (int ch = 0; ch < H; ++ch)
            for (int x = 0; x < L; ++x) {
                double acc = c.pooling == Pooling::Mean ? 0.0 : -INFINITY;
                for (int cell = 0; cell < cells; ++cell) {
                    double v = inv[((static_cast<size_t>(g) * cells + cell) * H + ch) * L + x];
                    acc = c.pooling == Pooling::Mean ? acc + v / cells : std::max(acc, v);
                }
                pooled[static_cast<size_t>(ch) * L + x] = acc;
            }
        for (int cell = 0; cell < cells; ++cell) {
            double s = m.readout_bias.data[0];
            for (int ch = 0; ch < H; ++ch)
                for (int x = 0; x < L; ++x) {
                    s += m.readout_weight.data[static_cast<size_t>(ch) * L + x] *
                         h[((static_cast<size_t>(g) * cells + cell) * H + ch) * L + x];
                    s += m.readout_weight.data[static_cast<size_t>(H + ch) * L + x] *
                         pooled[static_cast<size_t>(ch) * L + x];
                }
            pred[static_cast<size_t>(g) * cells + cell] = s;
        }
    }
    return pred;
}

inline double naive_loss(const std::vector<double> &pred, const float *targets) {
    double s = 0;
    int n = 0;
    for (size_t i = 0; i < pred.size(); ++i) {
        if (std::isnan(targets[i])) continue;
        s += (pred[i] - targets[i]) * (pred[i] - targets[i]);
        ++n;
    }
    return n ? s / n : 0.0;
}

} // namespace causeway::testing
