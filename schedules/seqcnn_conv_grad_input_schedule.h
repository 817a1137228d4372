// Schedules for generators/seqcnn_conv_grad_input_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). The forward convolution's register block with the roles of the
// channels swapped: 32 input channels in vectors x x_block positions unrolled; per reduction step
// (output channel, tap) co_vectors loads of the transposed weights and x_block broadcasts of the gradient.
// Loop order as the forward's: channel block outermost, then sequences, then positions, so that a block's
// weights stay in L2 for the whole batch. Outputs shorter than a register block take one-position tiles.
template <typename G> void schedule_seqcnn_conv_grad_input_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var ci_o("ci_o"), ci_i("ci_i"), xo("xo"), xi("xi"), task("task");
    Expr length = g.grad_input.dim(1).extent();
    auto tile = [&](Stage stage, int x_block) {
        stage.split(g.ci, ci_o, ci_i, kPecnnChannelBlock)
            .split(g.x, xo, xi, x_block, TailStrategy::ShiftInwards)
            .reorder(ci_i, xi, xo, g.b, ci_o)
            .vectorize(ci_i, block.vector)
            .fuse(g.b, ci_o, task)
            .parallel(task);
    };
    tile(g.grad_input.specialize(length >= block.x_block), block.x_block);
    tile(g.grad_input, 1);
    Var sxo("sxo"), sxi("sxi");
    g.sum.compute_at(g.grad_input, xo);
    g.sum.split(g.x, sxo, sxi, block.x_block, TailStrategy::RoundUp)
        .vectorize(g.ci, block.vector)
        .unroll(g.ci)
        .unroll(sxi);
    g.sum.update()
        .split(g.x, sxo, sxi, block.x_block, TailStrategy::RoundUp)
        .reorder(g.ci, sxi, g.r.x, g.r.y, sxo)
        .vectorize(g.ci, block.vector)
        .unroll(g.ci)
        .unroll(sxi);
    g.grad_padded.compute_root().parallel(g.b).vectorize(g.co, block.vector);
    g.weight_transposed.compute_root().parallel(g.k).vectorize(g.ci, block.vector);
}

template <typename G> void schedule_seqcnn_conv_grad_input(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_conv_grad_input_cuda(g);
        return;
    }
    // ARM (NEON): the forward's NEON block (8 vectors x 2 positions = 16 accumulators), roles swapped.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_conv_grad_input");
    schedule_seqcnn_conv_grad_input_cpu(g, target);
}

} // namespace causeway
