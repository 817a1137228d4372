// Schedules for generators/pecnn_conv_grad_input_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// Hidden layout: the transposed convolution has the forward convolution's shape (input channels play
// the output channels' part), so it takes the same register block (see pecnn_conv_schedule.h).
// Dataset layout (first layer, a handful of marks): vectors run along the bins instead, in a register tile
// of marks x rows; this path serves expression optimisation (and input saliency).
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
        // Dataset layout: a register tile of one vector of bins x 3 input channels (marks) x 4 rows
        // (AVX-512, NEON: 12 accumulators of 32 registers; AVX2/SSE: 2 channels, 8 of 16), held over the
        // whole reduction (output channels x taps): per step 4 loads of pre_grad and 3 weight broadcasts
        // feed 12 FMAs. Rows go to the threads in blocks of 4; pre_grad of a block (4 rows x 32 channels x
        // the bins, ~110 KB) is formed once. bound_extent keeps the tile fixed-size (so it unrolls and stays
        // in registers) under GuardWithIf tails, so any number of rows, marks and bins is valid: a tail tile
        // computes the full tile, whose reads the generator clamps.
        // Measured with schedules/tune/tune.py on this project's 2-core Emerald Rapids, 2 threads, at the
        // estimate (3072 rows, 6 marks, 200 bins): 38.5 ms per call, 67 GFLOP/s, where the schedule before
        // (each row's gradient accumulated in L1, no register block) took 789 ms and Adams2019's tile 103 ms
        // (schedules/TUNING.md, fourth run).
        const int ci_tile = cpu_vector_registers(target) == 32 ? 3 : 2;
        const int row_tile = 4;
        Var xo{"xo"}, xi{"xi"}, cio{"cio"}, cii{"cii"}, no{"no"}, ni{"ni"};
        g.input_grad.split(g.n, no, ni, row_tile, TailStrategy::GuardWithIf)
            .split(g.ci, cio, cii, ci_tile, TailStrategy::GuardWithIf)
            .split(g.x, xo, xi, block.vector, TailStrategy::GuardWithIf)
            .reorder(xi, cii, ni, xo, cio, no)
            .vectorize(xi)
            .parallel(no);
        g.grad.compute_at(g.input_grad, xo)
            .reorder_storage(g.x, g.ci, g.n)
            .bound_extent(g.x, block.vector)
            .bound_extent(g.ci, ci_tile)
            .bound_extent(g.n, row_tile)
            .vectorize(g.x)
            .unroll(g.ci)
            .unroll(g.n);
        g.grad.update().reorder(g.x, g.ci, g.n, g.r.x, g.r.y).vectorize(g.x).unroll(g.ci).unroll(g.n);
        g.pre_grad.compute_at(g.input_grad, no).reorder_storage(g.x, g.co, g.n).vectorize(g.x, block.vector);
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
