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

    // --- Training ---
    // The parameters and the last gradients live in one flat packed buffer each (hidden channels padded to
    // a multiple of 32, each tensor 64-byte aligned), so that an optimiser updates them all in one compiled
    // call. Padding stays zero: its gradients are exactly zero.
    int64_t packed_size() const;
    // The live parameters: writing them changes the network (keep the padding at zero).
    float *packed_parameters();
    const float *packed_parameters() const;
    // The gradients of the last compute_gradients() or backward().
    const float *packed_gradients() const;
    // backward() without the copy to PyTorch's layout: the training step's gradients stay packed.
    float compute_gradients(const float *inputs, const float *targets, int64_t genes, int cells,
                            float *input_grad = nullptr, float *predictions = nullptr);
    // Any parameter-shaped values (the parameters, gradients, optimiser moments) between PyTorch's layout
    // and the packed one; `packed` holds packed_size() floats.
    void pack(const PecnnModel &values, float *packed) const;
    void unpack(const float *packed, PecnnModel &values) const;
    // The current parameters as a model.
    PecnnModel model() const;

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
