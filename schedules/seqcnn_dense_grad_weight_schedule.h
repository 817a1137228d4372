// Schedules for generators/seqcnn_dense_grad_weight_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). An outer product summed over the batch: register block of 32
// units in vectors x x_block inputs unrolled; per sequence co_vectors loads of the gradient and x_block
// broadcasts of the (contiguous) inputs. Input blocks run in parallel. Inputs come in multiples of 32
// (padded channels or units), so the x_block split has no tail.
template <typename G> void schedule_seqcnn_dense_grad_weight_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var o_o("o_o"), o_i("o_i"), i_o("i_o"), i_i("i_i");
    g.grad_weight.split(g.o, o_o, o_i, kPecnnChannelBlock)
        .split(g.i, i_o, i_i, block.x_block)
        .reorder(o_i, i_i, o_o, i_o)
        .vectorize(o_i, block.vector)
        .parallel(i_o);
    g.weight_sum.compute_at(g.grad_weight, o_o).vectorize(g.o, block.vector).unroll(g.o).unroll(g.i);
    g.weight_sum.update().reorder(g.o, g.i, g.r).vectorize(g.o, block.vector).unroll(g.o).unroll(g.i);
    g.grad_bias.vectorize(g.o, block.vector);
    g.bias_sum.compute_root().vectorize(g.o, block.vector);
    g.bias_sum.update().reorder(g.o, g.rb).vectorize(g.o, block.vector);
}

template <typename G> void schedule_seqcnn_dense_grad_weight(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_dense_grad_weight_cuda(g);
        return;
    }
    // ARM (NEON): the outer product's 32 units in 8 vectors x 2 inputs = 16 accumulators.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_dense_grad_weight");
    schedule_seqcnn_dense_grad_weight_cpu(g, target);
}

} // namespace causeway
