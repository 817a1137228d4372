// CUDA schedules for the sequence-CNN generators (generators/seqcnn_*_generator.cpp), called from the CUDA
// branch of each schedules/seqcnn_*_schedule.h. The algorithms are the generators' own.
//
// Unmeasured: no GPU was lent when these were written (2026-11). They are designed from DeepSEA's shapes
// (the generators' estimates: 320/480/960 channels, kernel 8, 1000 bases, 64 sequences; mutant groups
// of 152 columns) and the pattern of schedules/cuda/gpu_tiles.h: a warp across the 32 output channels of
// a channel block (co_i / oi, the innermost storage dimension), 8 positions or sequences per block, each
// thread's sum in a register. A convolution feeding a max pool whose width is a run-time input is
// computed at root on the GPU (its per-thread footprint would be dynamically sized).
#pragma once

#include "Halide.h"
#include "schedules/cuda/gpu_tiles.h"

namespace causeway {

template <typename G> void schedule_seqcnn_conv_cuda(G &g) {
    g.conv.compute_root();
    Halide::Var conv_thread = gpu_tile_2d(g.conv, g.co_i, g.x, {g.co_o, g.b});
    (void)conv_thread;
    gpu_tile_2d(g.conv.update(), g.co_i, g.x, {g.co_o, g.b});
    Halide::Var thread = gpu_tile_2d(g.output, g.co_i, g.xp, {g.co_o, g.b});
    g.pooled.compute_at(g.output, thread);
}

template <typename G> void schedule_seqcnn_dense_cuda(G &g) {
    // One thread per (unit, sequence): 32 units of a block across the warp, 8 sequences per block.
    Halide::Var thread = gpu_tile_2d(g.output, g.oi, g.b, {g.ob});
    g.dense.compute_at(g.output, thread);
}

template <typename G> void schedule_seqcnn_conv_grad_input_cuda(G &g) {
    Halide::Var thread = gpu_tile_2d(g.grad_input, g.ci, g.x, {g.b});
    g.sum.compute_at(g.grad_input, thread);
}

template <typename G> void schedule_seqcnn_conv_grad_weight_cuda(G &g) {
    // One thread per weight (96 x 64 x 8 in DeepSEA-small's second block), its sum over positions and
    // sequences in a register.
    Halide::Var thread = gpu_tile_2d(g.grad_weight, g.co, g.ci, {g.k});
    g.weight_sum.compute_at(g.grad_weight, thread);
    Halide::Var bias_thread = gpu_tile_1d(g.grad_bias, g.co, {}, 64);
    g.bias_sum.compute_at(g.grad_bias, bias_thread);
}

template <typename G> void schedule_seqcnn_dense_grad_input_cuda(G &g) {
    Halide::Var thread = gpu_tile_2d(g.grad_input, g.i, g.b, {});
    g.sum.compute_at(g.grad_input, thread);
}

template <typename G> void schedule_seqcnn_dense_grad_weight_cuda(G &g) {
    Halide::Var thread = gpu_tile_2d(g.grad_weight, g.o, g.i, {});
    g.weight_sum.compute_at(g.grad_weight, thread);
    Halide::Var bias_thread = gpu_tile_1d(g.grad_bias, g.o, {}, 64);
    g.bias_sum.compute_at(g.grad_bias, bias_thread);
}

template <typename G> void schedule_seqcnn_loss_cuda(G &g) {
    // Logits feed both outputs: at root on the GPU, one thread per (task, sequence).
    gpu_root_reduction_2d(g.logits, g.t, g.b, {});
    gpu_tile_2d(g.grad_logits, g.t, g.b, {});
    Halide::Var thread = gpu_tile_1d(g.loss, g.b, {}, 64);
    g.loss_sum.compute_at(g.loss, thread);
}

template <typename G> void schedule_seqcnn_pool_backward_cuda(G &g) {
    gpu_tile_2d(g.grad_conv, g.c, g.x, {g.b});
}

template <typename G> void schedule_seqcnn_incremental_reference_cuda(G &g) {
    Halide::Var pre_thread = gpu_tile_2d(g.pre, g.co_i, g.x, {g.co_o, g.s});
    g.conv.compute_at(g.pre, pre_thread);
    Halide::Var thread = gpu_tile_2d(g.out, g.co_i, g.xp, {g.co_o, g.s});
    g.pooled.compute_at(g.out, thread);
}

template <typename G> void schedule_seqcnn_incremental_conv_cuda(G &g) {
    // Threads: 32 channels of a block x 8 mutant columns; the changed window's pre-activation deltas
    // (read at w * pool + rp, a run-time span) at root on the GPU.
    if (!g.one_hot_input) {
        Halide::Var ju("ju");
        g.products_sum.compute_root();
        for (Halide::Stage stage : {Halide::Stage(g.products_sum), g.products_sum.update()}) {
            stage.fuse(g.j, g.u, ju);
            gpu_tile_2d(stage, g.co_i, g.nl, {g.co_o, ju, g.g});
        }
    }
    gpu_root_reduction_2d(g.delta_pre, g.co_i, g.nl, {g.co_o, g.xw, g.g});
    Halide::Var thread = gpu_tile_2d(g.delta_out, g.co_i, g.nl, {g.co_o, g.w, g.g});
    // One value per thread, in registers. The bounds say so: Halide cannot prove the size-1 extents constant
    // by itself, and would make a global-memory heap sized by a host loop over every thread.
    for (Halide::Func pooled : {g.reference_pooled, g.mutant_pooled}) {
        pooled.compute_at(g.delta_out, thread)
            .bound_extent(g.co_i, 1)
            .bound_extent(g.co_o, 1)
            .bound_extent(g.w, 1)
            .bound_extent(g.nl, 1)
            .bound_extent(g.g, 1)
            .store_in(Halide::MemoryType::Register);
    }
}

template <typename G> void schedule_seqcnn_incremental_dense_cuda(G &g) {
    // One thread per (unit, mutant column): the chunked partial sums in the order the CPU adds them.
    Halide::Var thread = gpu_tile_2d(g.out, g.oi, g.nl, {g.ob, g.g});
    g.dense.compute_at(g.out, thread);
    g.partial.compute_at(g.dense, g.rc);
}

} // namespace causeway
