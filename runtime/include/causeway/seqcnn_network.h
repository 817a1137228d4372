// The sequence CNN's compiled forward pass (Halide, ahead of time): one pipeline per layer, chained here
// for any number of conv blocks and dense layers. Holds the parameters in the pipelines' layout (channels
// and units zero-padded to a multiple of 32, weights output-innermost, the first dense layer's columns in
// the conv activations' position-major order) and the activation workspace.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "causeway/seqcnn_model.h"

namespace causeway {

// Dropout masks for one forward call (inverted dropout, PyTorch's convention: a kept unit is scaled by
// 1 / (1 - p), p from the model's metadata).
struct SeqcnnMasks {
    // 1: one mask per site shared by every sequence of the call (an MC-dropout sample applied to a
    // reference and all its mutants); otherwise the call's batch, one mask per sequence.
    int64_t batch = 1;
    // One entry per dropout site (SeqcnnConfig::dropout_sites(): conv blocks, then every dense layer but
    // the last); nullptr leaves that site without dropout. Each is [batch, site_size] row-major in
    // PyTorch's layout ([C, L'] per sequence for a conv block, [units] for a dense layer): 1 keeps, 0 drops.
    std::vector<const uint8_t *> keep;
};

class SeqcnnNetwork {
public:
    explicit SeqcnnNetwork(const SeqcnnModel &model);
    ~SeqcnnNetwork();
    SeqcnnNetwork(const SeqcnnNetwork &) = delete;
    SeqcnnNetwork &operator=(const SeqcnnNetwork &) = delete;

    const SeqcnnConfig &config() const;

    // one_hot [batch, 4, sequence_length] row-major (A, C, G, T) -> probabilities [batch, tasks]. Without
    // masks dropout is off (inference).
    void forward(const float *one_hot, int64_t batch, float *probabilities,
                 const SeqcnnMasks *masks = nullptr);

    // The packed parameters, for evaluators that run their own pipelines over the same weights (the
    // incremental mutant batch). Layouts as this network's pipelines take them (Halide order, innermost
    // first; channels and units zero-padded to multiples of 32): conv weights (k, ci, co), the first dense
    // layer (oi, i, ob) with its columns position-major ((x, co) of the last conv block, channels
    // innermost), later dense layers (oi, i, ob); o = 32 ob + oi.
    struct PackedLayer {
        const float *weight = nullptr;
        const float *bias = nullptr;
        int inputs_padded = 0;  // ci (conv; 4 for the first block) or i (dense)
        int outputs_padded = 0; // co or units
    };
    PackedLayer packed_conv(int block) const;
    PackedLayer packed_dense(int layer) const;

    // Floating-point operations of one forward pass over `batch` sequences (multiply and add counted
    // apart, unpadded sizes), for reporting throughput.
    static double forward_flops(const SeqcnnConfig &config, int64_t batch);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace causeway
