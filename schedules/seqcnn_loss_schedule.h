// Schedules for generators/seqcnn_loss_generator.cpp, per target family.
#pragma once

#include "Halide.h"

namespace causeway {

// x86-64 and, until it gets its own, ARM. A small layer (tasks x units per sequence): the logits once, at
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
    if (target.has_gpu_feature()) throw Halide::CompileError("seqcnn_loss: no GPU schedule yet");
    schedule_seqcnn_loss_cpu(g, target);
}

} // namespace causeway
