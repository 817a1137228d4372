// Schedules for generators/seqcnn_dense_grad_input_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). The forward dense layer's register block with inputs in place of
// units: 32 inputs in vectors x x_block sequences unrolled; per unit co_vectors loads of the transposed
// weights (a block's 32 x units floats stay in L1) and x_block broadcasts of the gradient. Input blocks
// (multiples of 32: padded channels or units) run in parallel.
template <typename G> void schedule_seqcnn_dense_grad_input_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var i_o("i_o"), i_i("i_i"), bo("bo"), bi("bi");
    g.grad_input.split(g.i, i_o, i_i, kPecnnChannelBlock)
        .reorder(i_i, g.b, i_o)
        .vectorize(i_i, block.vector)
        .parallel(i_o);
    g.sum.compute_at(g.grad_input, i_o).vectorize(g.i, block.vector);
    g.sum.update()
        .split(g.b, bo, bi, block.x_block, TailStrategy::RoundUp)
        .reorder(g.i, bi, g.r, bo)
        .vectorize(g.i, block.vector)
        .unroll(g.i)
        .unroll(bi);
    g.weight_transposed.compute_root().parallel(g.o).vectorize(g.i, block.vector);
}

template <typename G> void schedule_seqcnn_dense_grad_input(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_dense_grad_input_cuda(g);
        return;
    }
    // ARM (NEON): the forward's NEON block, inputs in place of units: 8 vectors x 2 sequences.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_dense_grad_input");
    schedule_seqcnn_dense_grad_input_cpu(g, target);
}

} // namespace causeway
