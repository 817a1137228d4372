// Schedule for generators/pecnn_adam_generator.cpp (the Adam update over flat buffers), per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// A streaming, memory-bound update (4 floats read and 3 written per element): vectors of the target's
// width unrolled 4x to keep several loads in flight, and chunks of 8192 elements as parallel tasks, so
// the default network (37,632 packed floats) is split over a few cores and a large one over all of them.
// Measured on the 2-core AVX-512 dev machine (Xeon, 2026-11, shared): 22 us per step for the default
// network with 2 threads (30 us with 1), 0.72 ms for 2^20 parameters (40 GB/s): under 0.1% of a
// training step at batch 64.
template <typename G> void schedule_pecnn_adam_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const int vector = target.natural_vector_size<float>();
    Var chunk("chunk"), inner("inner"), vo("vo"), vi("vi");
    Func out = g.updated;
    out.split(g.i, chunk, inner, 8192, TailStrategy::GuardWithIf)
        .split(inner, vo, vi, vector * 4, TailStrategy::GuardWithIf)
        .vectorize(vi, vector)
        .unroll(vi)
        .parallel(chunk);
}

template <typename G> void schedule_pecnn_adam(G &g, const Halide::Target &target) {
    // CUDA and a tuned ARM schedule plug in here (issue 8).
    if (target.has_gpu_feature()) {
        schedule_pecnn_adam_cuda(g);
        return;
    }
    // ARM (NEON): 4-lane vectors unrolled 4x, 16 elements per iteration: 4 input streams x 4 vectors = 16
    // of the 32 registers, leaving the rest for the update's temporaries.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_adam");
    schedule_pecnn_adam_cpu(g, target);
}

} // namespace causeway
