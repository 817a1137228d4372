// CUDA schedules for the PECNN generators (generators/pecnn_*_generator.cpp), called from the CUDA branch
// of each schedules/pecnn_*_schedule.h. The algorithms are the generators' own; only loops change here.
//
// Unmeasured: no GPU was lent when these were written (2026-11). They are designed from the shapes in the
// generators' estimates (256 genes x 12 cell types x 200 bins, 32 hidden channels padded to 32) and the
// general pattern of schedules/cuda/gpu_tiles.h: a warp across the 32 output channels (the innermost,
// contiguous dimension of every activation), 8 bins per block, every other dimension in blocks, each
// thread's accumulator in a register. The weights (11 x 32 x 32 floats, 45 KB) are read through the
// cache by all threads of a block at the same address, a broadcast. Next step when a GPU is there:
// bench/cuda (causeway_bench_cuda) and a staged input strip in shared memory.
#pragma once

#include "Halide.h"
#include "generators/pecnn_readout_algorithm.h"
#include "schedules/cuda/gpu_tiles.h"

namespace causeway {

template <typename G> void schedule_pecnn_conv_cuda(G &g) {
    Halide::Var thread = gpu_tile_2d(g.output, g.co, g.x, {g.n});
    g.conv.compute_at(g.output, thread);
}

template <typename G> void schedule_pecnn_conv_pool_cuda(G &g) {
    // One thread per pooled output: the pool over cells and, inside it, each cell's convolution.
    Halide::Var thread = gpu_tile_2d(g.pooled, g.co, g.x, {g.g});
    g.pool.compute_at(g.pooled, thread);
    g.conv.compute_at(g.pool, g.rc);
}

template <typename G> void schedule_pecnn_conv_grad_input_cuda(G &g) {
    // The warp runs along the output's innermost dimension: channels, or bins in the dataset layout.
    Halide::Var thread = g.output_bins_inner ? gpu_tile_2d(g.input_grad, g.x, g.ci, {g.n})
                                             : gpu_tile_2d(g.input_grad, g.ci, g.x, {g.n});
    g.grad.compute_at(g.input_grad, thread);
}

template <typename G> void schedule_pecnn_conv_grad_weight_cuda(G &g) {
    using namespace Halide;
    // The sum over rows is split into `parts` partial sums (rfactor), each one thread per weight: with
    // 11 x 32 x 32 weights that is 720k threads, instead of 11k threads each walking every row.
    const int parts = 64;
    Var u("u");
    RVar rno("rno"), rni("rni");
    Expr rows = g.input.dim(2).extent();
    g.weight_sum.update().split(g.rn, rno, rni, (rows + parts - 1) / parts);
    Func part = g.weight_sum.update().rfactor(rno, u);
    part.compute_root();
    gpu_tile_2d(part, g.co, g.ci, {g.k, u});
    Var part_thread = gpu_tile_2d(part.update(), g.co, g.ci, {g.k, u});
    (void)part_thread;
    // One row's sum for one weight, in a register. The bounds say so: Halide cannot prove the size-1
    // extents constant by itself, and would make a global-memory heap sized by a host loop over every thread.
    g.row_grad.compute_at(part, rni)
        .bound_extent(g.co, 1)
        .bound_extent(g.ci, 1)
        .bound_extent(g.k, 1)
        .bound_extent(g.n, 1)
        .store_in(MemoryType::Register);
    gpu_root_reduction_2d(g.weight_sum, g.co, g.ci, {g.k});
    gpu_tile_2d(g.weight_grad, g.k, g.ci, {g.co});

    RVar rbo("rbo"), rbi("rbi");
    Var ub("ub");
    g.bias_sum.update().split(g.rb.y, rbo, rbi, (rows + parts - 1) / parts);
    Func bias_part = g.bias_sum.update().rfactor(rbo, ub);
    gpu_root_reduction_2d(bias_part, g.co, ub, {});
    gpu_root_reduction_1d(g.bias_sum, g.co, {});
    gpu_tile_1d(g.bias_grad, g.co, {});
}

template <typename G> void schedule_pecnn_adam_cuda(G &g) {
    gpu_tile_1d(g.updated, g.i, {});
}

// The head: one thread per (cell type, gene) prediction, its dot product over 32 channels x 200 bins in a
// register; the gene's pooled term once per gene.
inline void schedule_pecnn_readout_head_cuda(PecnnReadoutAlgorithm &a, Halide::Func consumer) {
    Halide::Var thread = gpu_tile_2d(consumer, a.c, a.g, {}, 16, 16);
    a.per_cell.compute_at(consumer, thread);
    gpu_root_reduction_1d(a.per_gene, a.g, {});
}

template <typename Out> void schedule_pecnn_readout_cuda(PecnnReadoutAlgorithm &a, Out &prediction) {
    schedule_pecnn_readout_head_cuda(a, prediction);
}

template <typename G> void schedule_pecnn_readout_backward_cuda(G &gen) {
    auto &a = gen.a;
    a.prediction.compute_root();
    schedule_pecnn_readout_head_cuda(a, a.prediction);
    a.pooled.compute_root();
    gpu_tile_2d(a.pooled, a.ch, a.x, {a.g});

    // Sums over every (cell, gene): a few thousand terms, one thread each.
    gpu_root_scalar(gen.count);
    gpu_root_scalar(gen.squares);
    gpu_root_scalar(gen.bias_sum);
    gen.pred_grad.compute_root();
    gpu_tile_2d(gen.pred_grad, gen.c, gen.g, {}, 16, 16);
    gpu_root_reduction_1d(gen.gene_grad, gen.g, {});
    gpu_root_reduction_2d(gen.weight_grad_cell, gen.ch, gen.x, {});
    gpu_root_reduction_2d(gen.weight_grad_gene, gen.ch, gen.x, {});

    gpu_tile_2d(gen.prediction, gen.c, gen.g, {}, 16, 16);
    gpu_tile_2d(gen.prediction_grad, gen.c, gen.g, {}, 16, 16);
    gen.loss.gpu_single_thread();
    gpu_tile_2d(gen.readout_weight_grad, gen.x, gen.ch, {});
    gpu_tile_1d(gen.readout_bias_grad, gen.x, {});
    Halide::Var pool_thread = gpu_tile_2d(gen.pool_grad, gen.ch, gen.x, {gen.g});
    gen.ties.compute_at(gen.pool_grad, pool_thread);
    gpu_tile_2d(gen.pooled, gen.ch, gen.x, {gen.g});
}

} // namespace causeway
