// Schedules for generators/pecnn_conv_grad_weight_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// The sum over rows is split into independent parts (rfactor) that run in parallel and are added at the
// end. Within a row, a block of output channels (vectors) by input channels (unrolled) stays in registers
// while the bins stream past: each bin costs co_vectors loads of the gradient, x_block broadcasts of the
// input and co_vectors * x_block FMAs. Taps (k) run inside input-channel blocks, so the 11 tiles of one
// block reuse its 8-channel input strip: with the row's gradient that is ~32 KB, inside a 48 KB L1 (taps
// outside blocks touched the whole 52 KB row every tap).
template <typename G> void schedule_pecnn_conv_grad_weight_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    const int ci_block = block.x_block;
    const int parts = 32; // several per thread, so that uneven parts balance out

    Var u("u"), co_o("co_o"), co_i("co_i"), ci_o("ci_o"), ci_i("ci_i");
    RVar rno("rno"), rni("rni");
    Expr rows = g.input.dim(2).extent();
    g.weight_sum.update().split(g.rn, rno, rni, (rows + parts - 1) / parts);
    Func part = g.weight_sum.update().rfactor(rno, u);
    part.compute_root().align_bounds(g.ci, ci_block).vectorize(g.co, block.vector).parallel(u);
    part.update()
        .split(g.co, co_o, co_i, kPecnnChannelBlock)
        .split(g.ci, ci_o, ci_i, ci_block)
        .reorder(co_i, ci_i, co_o, g.k, ci_o, rni, u)
        .vectorize(co_i, block.vector)
        .unroll(ci_i)
        .parallel(u);
    g.row_grad.compute_at(part, co_o).vectorize(g.co, block.vector).unroll(g.co).unroll(g.ci);
    g.row_grad.update().reorder(g.co, g.ci, g.rx).vectorize(g.co, block.vector).unroll(g.co).unroll(g.ci);
    g.pre_grad.compute_at(part, rni).vectorize(g.co, block.vector);
    g.input_padded.compute_at(part, rni);
    if (!g.input_bins_inner) g.input_padded.vectorize(g.ci, block.vector);
    g.weight_sum.compute_root().vectorize(g.co, block.vector);
    g.weight_sum.update().vectorize(g.co, block.vector);
    // The bias gradient streams every row once more: in parallel parts too (serial, it cost ~4 ms a
    // layer at batch 256).
    RVar rbo("rbo"), rbi("rbi");
    Var ub("ub");
    g.bias_sum.compute_root().vectorize(g.co, block.vector);
    g.bias_sum.update().split(g.rb.y, rbo, rbi, (rows + parts - 1) / parts);
    Func bias_part = g.bias_sum.update().rfactor(rbo, ub);
    bias_part.compute_root().vectorize(g.co, block.vector).parallel(ub);
    bias_part.update().reorder(g.co, g.rb.x, rbi, ub).vectorize(g.co, block.vector).parallel(ub);
    g.bias_sum.update().vectorize(g.co, block.vector);
}

template <typename G> void schedule_pecnn_conv_grad_weight(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_pecnn_conv_grad_weight_cuda(g);
        return;
    }
    // ARM (NEON): 32 output channels in 8 vectors x 2 taps or input channels = 16 accumulators, the rest of
    // the 32 registers for the gradient and input loads.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_conv_grad_weight");
    schedule_pecnn_conv_grad_weight_cpu(g, target);
}

} // namespace causeway
