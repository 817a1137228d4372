// Schedules for generators/seqcnn_loss_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). A small layer (tasks x units per sequence): the logits once, at
// root, tasks in vectors (computed up to a whole vector: the weights and bias are zero-padded to 32) and
// sequences in parallel.
template <typename G> void schedule_seqcnn_loss_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const int vector = target.natural_vector_size<float>();
    g.logits.compute_root().vectorize(g.t, vector, TailStrategy::RoundUp).parallel(g.b);
    g.logits.update().reorder(g.t, g.r, g.b).vectorize(g.t, vector, TailStrategy::RoundUp).parallel(g.b);
    g.grad_logits.vectorize(g.t, vector, TailStrategy::GuardWithIf);
    g.loss_sum.compute_root();
}

template <typename G> void schedule_seqcnn_loss(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_loss_cuda(g);
        return;
    }
    // ARM (NEON): tasks in 4-lane vectors (the zero padding to 32 is 8 whole vectors), sequences in parallel.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_loss");
    schedule_seqcnn_loss_cpu(g, target);
}

} // namespace causeway
