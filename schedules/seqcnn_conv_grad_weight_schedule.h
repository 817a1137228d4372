// Schedules for generators/seqcnn_conv_grad_weight_generator.cpp, per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 and ARM (NEON). Register block: 32 output channels in vectors x a block of input
// channels unrolled (4 for the one-hot input, x_block otherwise); the (position, sequence) reduction
// streams past it: per step co_vectors loads of the gradient, ci_block broadcasts of the input (contiguous,
// channels innermost) and co_vectors * ci_block FMAs. Tasks are (output block, tap) pairs, in parallel.
// Measured (bench_seqtrain, DeepSEA-small, batch 64, 2 threads, AVX-512, a shared machine at load ~20):
// with one register tile per task reducing over every position, the two weight-gradient pipelines took 41%
// of a training step (perf), each tile re-streaming 745 KB of gradient from L2/L3; with the positions in
// chunks of 32 and every input-channel tile reusing the chunk from L1, the whole step went from ~320 to
// ~590 sequences/s (runs not alternated, so only indicative). The input is copied once per call into a
// zero-padded batch, channels innermost, so the inner loop has no boundary selects.
template <typename G> void schedule_seqcnn_conv_grad_weight_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    // On ARM the 4 one-hot channels x 8 vectors would be 32 accumulators, the whole NEON register file.
    const int ci_block = g.one_hot_input && !is_arm_target(target) ? 4 : block.x_block;
    Var co_o("co_o"), co_i("co_i"), ci_o("ci_o"), ci_i("ci_i"), task("task");
    RVar rxo("rxo"), rxi("rxi");
    g.grad_weight.split(g.co, co_o, co_i, kPecnnChannelBlock)
        .reorder(co_i, g.ci, co_o, g.k)
        .vectorize(co_i, block.vector)
        .fuse(co_o, g.k, task)
        .parallel(task);
    // All input channels of one (output block, tap) at once; the positions run in chunks, and inside a
    // chunk every input-channel tile reuses the chunk's gradient (32 channels x 32 positions: 4 KB, in L1).
    g.weight_sum.compute_at(g.grad_weight, task).vectorize(g.co, block.vector);
    g.weight_sum.update()
        .split(g.r.x, rxo, rxi, 32, TailStrategy::GuardWithIf)
        .split(g.ci, ci_o, ci_i, ci_block)
        .reorder(g.co, ci_i, rxi, ci_o, rxo, g.r.y)
        .vectorize(g.co, block.vector)
        .unroll(g.co)
        .unroll(ci_i);
    g.input_padded.compute_root().parallel(g.b);
    if (!g.one_hot_input) g.input_padded.vectorize(g.ci, block.vector);
    g.grad_bias.vectorize(g.co, block.vector);
    g.bias_sum.compute_root().vectorize(g.co, block.vector);
    g.bias_sum.update().reorder(g.co, g.rb.x, g.rb.y).vectorize(g.co, block.vector);
}

template <typename G> void schedule_seqcnn_conv_grad_weight(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_conv_grad_weight_cuda(g);
        return;
    }
    // ARM (NEON): 32 output channels in 8 vectors x 2 input channels = 16 accumulators, the one-hot input
    // included (its 4 channels at once, as on AVX-512, would take all 32 registers as accumulators).
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_conv_grad_weight");
    schedule_seqcnn_conv_grad_weight_cpu(g, target);
}

} // namespace causeway
