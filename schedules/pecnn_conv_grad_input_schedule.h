// Schedules for generators/pecnn_conv_grad_input_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// Hidden layout: the transposed convolution has the forward convolution's shape (input channels play
// the output channels' part), so it takes the same register block (see pecnn_conv_schedule.h).
// Dataset layout (first layer, a handful of marks): vectors run along the bins instead, and each row's
// gradient is accumulated in L1; this path serves expression optimisation only and costs about a fifth
// of a hidden layer.
template <typename G> void schedule_pecnn_conv_grad_input_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    g.weight_ci_inner.compute_root();
    if (!g.output_bins_inner) {
        Var ci_o = pecnn_output_tiles(g.input_grad, g.ci, g.x, g.n, block);
        g.grad.compute_at(g.input_grad, ci_o);
        pecnn_register_block(g.grad, g.ci, g.x, g.r.x, g.r.y, block);
        // Bins innermost, as the forward pass's input strip: constant-offset broadcasts.
        g.pre_grad.compute_at(g.input_grad, g.n).reorder_storage(g.x, g.co, g.n);
    } else {
        g.input_grad.reorder(g.x, g.ci, g.n)
            .vectorize(g.x, block.vector, TailStrategy::GuardWithIf)
            .parallel(g.n);
        g.grad.compute_at(g.input_grad, g.n).vectorize(g.x, block.vector, TailStrategy::GuardWithIf);
        g.grad.update()
            .reorder(g.x, g.ci, g.r.x, g.r.y)
            .vectorize(g.x, block.vector, TailStrategy::GuardWithIf);
        g.pre_grad.compute_at(g.input_grad, g.n).reorder_storage(g.x, g.co, g.n);
    }
}

template <typename G> void schedule_pecnn_conv_grad_input(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_pecnn_conv_grad_input_cuda(g);
        return;
    }
    // ARM (NEON): the forward's NEON block with input and output roles swapped: 8 vectors of input
    // channels x 2 bins = 16 accumulators.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_conv_grad_input");
    schedule_pecnn_conv_grad_input_cpu(g, target);
}

} // namespace causeway
