// Schedules for generators/seqcnn_conv_generator.cpp (conv block: Conv1d + bias, max-pool, activation,
// optional dropout mask), per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 (AVX-512, AVX2, SSE4.1) and ARM (NEON). The register block is pecnn_conv's: 32
// output channels in vectors x a block of unpooled positions unrolled, weights transposed once to output
// channel innermost in contiguous 32-channel blocks. The pooled output tile is sized so that its unpooled
// positions fill exactly one register block for the common pools (1, 2, 4: DeepSEA uses 4, 4, none); other
// pools and very short outputs take a one-position tile whose register block is rounded up (correct, slower).
// Loop order: channel block outermost, then sequences, then positions, so that a block's weights
// (32 x Cin x K floats: 320 KB and 480 KB at DeepSEA's second and third layers) are read from memory once
// per call and then from L2 for the whole batch. (Sequences outermost re-read every block's weights for
// every sequence: DeepSEA's third layer, with only 7 tiles per sequence, ran at 58 GFLOP/s.) The
// (block, sequence) pairs run in parallel in that order, so the threads share a block at a time. The
// input is copied once per call into a zero-padded batch with positions innermost, so the x_block
// broadcasts of one channel sit at constant offsets and the inner loop has no boundary selects.
template <typename G> void schedule_seqcnn_conv_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var xo("xo"), xi("xi"), task("task");
    Func output = g.output;
    Expr pooled_length = g.output.dim(2).extent();
    auto tile = [&](Stage stage, int xp_block) {
        stage.split(g.xp, xo, xi, xp_block, TailStrategy::ShiftInwards)
            .reorder(g.co_i, xi, xo, g.b, g.co_o)
            .vectorize(g.co_i, block.vector)
            .fuse(g.b, g.co_o, task)
            .parallel(task);
    };
    for (int pool : {1, 2, 4}) {
        const int xp_block = std::max(1, block.x_block / pool);
        tile(output.specialize(g.pool == pool && pooled_length >= xp_block), xp_block);
    }
    tile(output, 1);

    g.pooled.compute_at(output, xo).vectorize(g.co_i, block.vector);
    g.pooled.update().reorder(g.co_i, g.xp, g.rp).vectorize(g.co_i, block.vector);
    g.conv.compute_at(output, xo);
    Var cxo("cxo"), cxi("cxi");
    g.conv.split(g.x, cxo, cxi, block.x_block, TailStrategy::RoundUp)
        .vectorize(g.co_i, block.vector)
        .unroll(g.co_i)
        .unroll(cxi);
    // Per reduction step: co_vectors weight loads, x_block broadcasts, co_vectors * x_block FMAs.
    g.conv.update()
        .split(g.x, cxo, cxi, block.x_block, TailStrategy::RoundUp)
        .reorder(g.co_i, cxi, g.r.x, g.r.y, cxo)
        .vectorize(g.co_i, block.vector)
        .unroll(g.co_i)
        .unroll(cxi);
    g.input_padded.compute_root().reorder_storage(g.x, g.ci, g.b).reorder(g.x, g.ci, g.b).parallel(g.b);
    g.input_padded.vectorize(g.x, block.vector, TailStrategy::GuardWithIf);
    g.weight_blocked.compute_root().parallel(g.co_o);
}

template <typename G> void schedule_seqcnn_conv(G &g, const Halide::Target &target) {
    // CUDA and a tuned ARM schedule plug in here, as for the PECNN.
    if (target.has_gpu_feature()) {
        schedule_seqcnn_conv_cuda(g);
        return;
    }
    // ARM (NEON): 8 vectors x 2 positions = 16 accumulators; pools 1 and 2 fill a register block exactly and
    // pool 4 (DeepSEA's) takes two blocks per pooled position, so no position is computed twice.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_conv");
    schedule_seqcnn_conv_cpu(g, target);
}

} // namespace causeway
