// Schedules for generators/seqcnn_pool_backward_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). Memory-bound and elementwise: channels (innermost) in vectors,
// sequences in parallel, each sequence's window maxima computed just before its gradients.
template <typename G> void schedule_seqcnn_pool_backward_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const int vector = target.natural_vector_size<float>();
    g.grad_conv.vectorize(g.c, vector, TailStrategy::GuardWithIf).parallel(g.b);
    g.first_max.compute_at(g.grad_conv, g.b).vectorize(g.c, vector, TailStrategy::GuardWithIf);
}

template <typename G> void schedule_seqcnn_pool_backward(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_pool_backward_cuda(g);
        return;
    }
    // ARM (NEON): memory-bound; channels in 4-lane vectors.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_pool_backward");
    schedule_seqcnn_pool_backward_cpu(g, target);
}

} // namespace causeway
