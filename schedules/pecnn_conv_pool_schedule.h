// Schedules for generators/pecnn_conv_pool_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// The convolution's register block is pecnn_conv's (see pecnn_conv_schedule.h); the pooled tile it feeds
// stays in L1 while the cell types of one gene stream past, one gene per task.
template <typename G> void schedule_pecnn_conv_pool_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var co_o = pecnn_output_tiles(g.pooled, g.co, g.x, g.g, block);
    // One output tile at a time: its pool accumulates over the cells, each cell's convolution tile in
    // registers.
    g.pool.compute_at(g.pooled, co_o).vectorize(g.co, block.vector).unroll(g.co).unroll(g.x);
    g.pool.update().reorder(g.co, g.x, g.rc).vectorize(g.co, block.vector).unroll(g.co).unroll(g.x);
    g.conv.compute_at(g.pool, g.rc);
    pecnn_register_block(g.conv, g.co, g.x, g.r.x, g.r.y, block);
    g.input_padded.compute_at(g.pooled, g.g).reorder_storage(g.x, g.ci, g.c, g.g);
    g.weight_co_inner.compute_root();
}

template <typename G> void schedule_pecnn_conv_pool(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_pecnn_conv_pool_cuda(g);
        return;
    }
    // ARM (NEON): pecnn_conv's NEON block (8 vectors x 2 bins = 16 accumulators), pooled in registers.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_conv_pool");
    schedule_pecnn_conv_pool_cpu(g, target);
}

} // namespace causeway
