// Schedules for generators/pecnn_conv_generator.cpp (forward convolution + ReLU), per target family.
#pragma once

#include "Halide.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// x86-64 (AVX-512, AVX2, SSE4.1) and ARM (NEON): output channels in vector registers,
// a block of bins unrolled, so that each weight vector loaded serves x_block FMAs and each broadcast input
// value serves co_vectors FMAs. Weights are transposed once to output-channel-innermost (a strided weight
// load cost 3x), and each row's input is copied once into a zero-padded, channels-innermost strip so the
// inner loop has no boundary selects.
// Measured on the 2-core AVX-512 dev machine (Xeon, 2026-11), 32->32 channels, K=11, 3072 rows x 200 bins:
// see bench/pecnn/README.md for the figures behind the block sizes.
template <typename G> void schedule_pecnn_conv_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Halide::Var co_o = pecnn_output_tiles(g.output, g.co, g.x, g.n, block);
    g.conv.compute_at(g.output, co_o);
    pecnn_register_block(g.conv, g.co, g.x, g.r.x, g.r.y, block);
    // Bins innermost in the strip: the x_block broadcasts of one channel sit at constant offsets, with no
    // address arithmetic between them.
    g.input_padded.compute_at(g.output, g.n).reorder_storage(g.x, g.ci, g.n);
    if (g.input_bins_inner)
        g.input_padded.reorder(g.x, g.ci, g.n).vectorize(g.x, block.vector, TailStrategy::GuardWithIf);
    g.weight_co_inner.compute_root();
}

template <typename G> void schedule_pecnn_conv(G &g, const Halide::Target &target) {
    // CUDA and a tuned ARM schedule plug in here (issue 8); every CPU target takes the register-blocked
    // schedule sized from the target's vector width and register count.
    if (target.has_gpu_feature()) {
        schedule_pecnn_conv_cuda(g);
        return;
    }
    // ARM (NEON): the register-blocked CPU schedule at NEON's sizes: a 32-channel block is 8 vectors x 2 bins
    // = 16 accumulators, 8 weight loads and 2 broadcasts per step; the input strip is copied in 4-lane
    // vectors. Derived from the NEON register budget, untimed: qemu checks correctness only
    // (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_conv");
    schedule_pecnn_conv_cpu(g, target);
}

} // namespace causeway
