// The PECNN's compiled forward and backward passes (Halide, ahead of time). Holds the parameters in the
// pipelines' layout (hidden channels zero-padded to a multiple of 32) and the activation workspace.
#pragma once

#include <cstdint>
#include <memory>

#include "causeway/pecnn_model.h"

namespace causeway {

class PecnnNetwork {
public:
    explicit PecnnNetwork(const PecnnModel &model);
    ~PecnnNetwork();
    PecnnNetwork(const PecnnNetwork &) = delete;
    PecnnNetwork &operator=(const PecnnNetwork &) = delete;

    const PecnnConfig &config() const;
    // Repacks new parameter values (same configuration).
    void set_parameters(const PecnnModel &model);

    // inputs [genes, cells, marks, bins] row-major -> predictions [genes, cells].
    void forward(const float *inputs, int64_t genes, int cells, float *predictions);

    // Masked mean-squared error against targets [genes, cells] (NaN = unknown, ignored); returns the loss
    // and writes dL/dparameter into `gradients` (PyTorch layout). input_grad [genes, cells, marks, bins]
    // and predictions [genes, cells] are written when not null.
    float backward(const float *inputs, const float *targets, int64_t genes, int cells, PecnnModel &gradients,
                   float *input_grad = nullptr, float *predictions = nullptr);

    // Floating-point operations of one forward pass, and of one forward + backward (training step), for
    // reporting throughput.
    static double forward_flops(const PecnnConfig &config, int64_t genes, int cells);
    static double training_flops(const PecnnConfig &config, int64_t genes, int cells);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Threads for every compiled pipeline (0 or less: Halide's default, all cores or HL_NUM_THREADS).
void set_pipeline_threads(int threads);

} // namespace causeway
