// Schedules for generators/seqcnn_dense_generator.cpp (dense layer + activation or sigmoid, optional
// dropout mask), per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). A dense layer over a batch is a matrix product whose weight
// matrix (188 MB at DeepSEA's first layer) is read from memory: each 32-unit block of outputs (in
// parallel) walks its weights in chunks small enough for L1, and every register block of sequences reuses
// a chunk before the next is loaded. Register block: 32 units in vectors x x_block sequences unrolled, as
// in the convolutions (co_vectors weight loads and x_block broadcasts per co_vectors * x_block FMAs).
template <typename G> void schedule_seqcnn_dense_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    const int chunk = 256; // 32 x 256 floats of weights: 32 KB
    Var bo("bo"), bi("bi");
    RVar ro("ro"), ri("ri");
    g.output.reorder(g.oi, g.b, g.ob).vectorize(g.oi, block.vector).parallel(g.ob);
    g.dense.compute_at(g.output, g.ob).vectorize(g.oi, block.vector);
    g.dense.update()
        .split(g.r.x, ro, ri, chunk)
        .split(g.b, bo, bi, block.x_block, TailStrategy::RoundUp)
        .reorder(g.oi, bi, ri, bo, ro)
        .vectorize(g.oi, block.vector)
        .unroll(g.oi)
        .unroll(bi);
}

template <typename G> void schedule_seqcnn_dense(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_dense_cuda(g);
        return;
    }
    // ARM (NEON): 32 units in 8 vectors x 2 sequences = 16 accumulators; a 32 x 256 weight chunk (32 KB)
    // fits the 64 KB L1 of Neoverse N1/V1-class cores as it does x86's 32-48 KB.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_dense");
    schedule_seqcnn_dense_cpu(g, target);
}

} // namespace causeway
