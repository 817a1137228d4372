// Schedules for the incremental mutant evaluation's generators (generators/seqcnn_incremental_*), per
// target family. The register block is the forward pass's (schedules/pecnn_target.h): 32 output channels
// or units in vectors x x_block columns unrolled, one weight vector load per 32/vector channels and one
// broadcast per column for every co_vectors * x_block FMAs.
#pragma once

#include "Halide.h"
#include "schedules/cuda/seqcnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// The reference's pre-activations: run once per call for every slot (window x MC sample x strand). In a
// saturation run that is about 1/(3L) of the work, but when scoring scattered variants (one per window) it
// is most of it, so it gets the forward convolution's register block (schedules/seqcnn_conv_schedule.h):
// 32 output channels in vectors x a block of positions unrolled, the input copied once into a zero-padded
// batch with positions innermost (the block's broadcasts at constant offsets, no boundary selects), tasks
// (slot, channel block) with the block outermost so that both threads share a block's weights in L2.
// Measured (score-variants, 64 scattered SNVs, DeepSEA size, 10 samples, one thread, perf, this 2-core
// Emerald Rapids): the previous plain schedule (channels-innermost input, guarded tail) ran this pipeline
// at 63 GFLOP/s (36% of a core's peak), 62% of the run; this one at 78 GFLOP/s (45%), and the whole
// score-variants run took 1.6x less CPU time (with seqcnn_mutant_batches' batched reference windows).
template <typename G> void schedule_seqcnn_incremental_reference_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var xo("xo"), xi("xi"), task("task");
    auto tile = [&](Stage stage, TailStrategy tail) {
        stage.split(g.x, xo, xi, block.x_block, tail)
            .reorder(g.co_i, xi, xo, g.s, g.co_o)
            .vectorize(g.co_i, block.vector)
            .fuse(g.s, g.co_o, task)
            .parallel(task);
    };
    tile(Func(g.pre).specialize(g.pre.dim(2).extent() >= block.x_block), TailStrategy::ShiftInwards);
    tile(Func(g.pre), TailStrategy::GuardWithIf);
    // A task's pre-activations (one channel block over one slot's positions: 31 KB at DeepSEA's second
    // block) summed chunk by chunk of input channels (the runtime's chunk: 16 at DeepSEA's size): per chunk,
    // its weights (16 KB) and input rows (16 KB) stay in L1 for every register block of positions, whose
    // partial sums stay in registers. (A register block over all input channels at once streamed the
    // channel block's 327 KB of weights from L2 for every 8 positions. Measured in a DeepSEA-size ISM, one
    // thread, loaded: the same CPU time as that, within 2%.)
    Var cxo("cxo"), cxi("cxi");
    g.conv.compute_at(g.pre, task).vectorize(g.co_i, block.vector);
    g.conv.update()
        .split(g.x, cxo, cxi, block.x_block, TailStrategy::RoundUp)
        .reorder(g.co_i, cxi, cxo, g.rc)
        .vectorize(g.co_i, block.vector)
        .unroll(g.co_i)
        .unroll(cxi);
    // Per reduction step: co_vectors weight loads, x_block broadcasts, co_vectors * x_block FMAs.
    g.conv_chunk.compute_at(g.conv, cxo).vectorize(g.co_i, block.vector).unroll(g.co_i).unroll(g.x);
    g.conv_chunk.update()
        .reorder(g.co_i, g.x, g.r.x, g.r.y)
        .vectorize(g.co_i, block.vector)
        .unroll(g.co_i)
        .unroll(g.x);
    g.input_padded.compute_root().reorder_storage(g.x, g.ci, g.s).reorder(g.x, g.ci, g.s).parallel(g.s);
    g.input_padded.vectorize(g.x, block.vector, TailStrategy::GuardWithIf);
    g.out.vectorize(g.co_i, block.vector).parallel(g.s);
    g.pooled.compute_at(g.out, g.xp).vectorize(g.co_i, block.vector);
    g.pooled.update().vectorize(g.co_i, block.vector);
}

// A conv block's change. Tasks are (channel block, group) pairs, channel block outermost so that the two
// threads share a block's weights (32 x Cin x K floats: 480 KB at DeepSEA's third block, L2-resident) and
// the group's columns stream past them. Per task: the products Y over all taps, changed input columns and
// the group's columns (32 x K x U x 152 floats: 622 KB at DeepSEA's third block, in L2), summed chunk by
// chunk of 32 input channels: per chunk and changed input column the group's columns (19 KB) stay in L1
// for every tap, and a tap's chunk of weights (4 KB) in L1 for every register block of x_block columns,
// whose partial sums stay in registers. Then per register block the gather into the changed conv
// positions (U taps per position, not K: only U input columns changed), pool, activation and mask.
// Measured (perf, DeepSEA-size saturation ISM, 50 samples, one thread, this Emerald Rapids, loaded): 66
// GFLOP per CPU-second (38% of a core's peak), the same as the previous loop order (all input channels per
// register block, the block's 491 KB of weights from L2 for every 8 columns: 65) within noise. The FMA
// loop's first weight load still takes a fifth of the kernel's samples; the limit is not where the weights
// come from.
template <typename G> void schedule_seqcnn_incremental_conv_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var nlo("nlo"), nli("nli"), task("task");
    g.delta_out.split(g.nl, nlo, nli, block.x_block, TailStrategy::ShiftInwards)
        .reorder(g.co_i, g.w, nli, nlo, g.g, g.co_o)
        .vectorize(g.co_i, block.vector)
        .fuse(g.g, g.co_o, task)
        .parallel(task);
    if (g.one_hot_input) {
        g.products.compute_inline();
    } else {
        // The columns transposed once per call, group by group (read along channels, written into
        // L1-resident lines). Once per task instead repeated it for every channel block: 11% of the time.
        g.delta_columns.compute_root().reorder(g.ci, g.nl, g.u, g.g).parallel(g.g);
        g.products.compute_inline();
        Var pno("pno"), pni("pni");
        g.products_sum.compute_at(g.delta_out, task).vectorize(g.co_i, block.vector);
        // Rounded up: the clamped columns past the group's end are computed, never stored.
        g.products_sum.update()
            .split(g.nl, pno, pni, block.x_block, TailStrategy::RoundUp)
            .reorder(g.co_i, pni, pno, g.j, g.u, g.rc)
            .vectorize(g.co_i, block.vector)
            .unroll(g.co_i)
            .unroll(pni);
        // A chunk's sum for one register block lives in registers (computed in place in products_sum, LLVM
        // loaded and stored every accumulator at every step; perf showed a load-FMA-store chain).
        g.products_chunk.compute_at(g.products_sum, pno)
            .vectorize(g.co_i, block.vector)
            .unroll(g.co_i)
            .unroll(g.nl);
        g.products_chunk.update()
            .reorder(g.co_i, g.nl, g.r)
            .vectorize(g.co_i, block.vector)
            .unroll(g.co_i)
            .unroll(g.nl);
    }
    g.delta_pre.compute_at(g.delta_out, nlo).vectorize(g.co_i, block.vector);
    g.delta_pre.update().reorder(g.co_i, g.ru, g.xw, g.nl).vectorize(g.co_i, block.vector);
    for (Func f : {g.mutant_pooled, g.reference_pooled}) {
        f.compute_at(g.delta_out, nli).vectorize(g.co_i, block.vector);
        f.update().reorder(g.co_i, g.rp, g.w).vectorize(g.co_i, block.vector);
    }
}

// The first dense layer's change: a matrix product per group whose weight rows start at the group's
// window. Groups run in parallel, each thread its own group. Within a group, chunk by chunk (the runtime's
// chunk: 32 features), one unit block's chunk of weights (4 KB, L1) serves every register block of the
// group's columns (the chunk of all of them: 19 KB at 152 columns, L1), each register block's partial sum
// in registers, then added into the group's accumulators (928 x 152 floats, L2). (The whole window per
// register block instead, 1.35 MB of weights and 338 KB of columns per block, streamed from L3: a third of
// the convolutions' rate per FLOP in a perf profile at DeepSEA's size. Chunks of one position's 960
// channels, 123 KB of weights per unit block streamed from L2 for every register block, ran at 53 GFLOP
// per CPU-second, 30% of a core's peak; chunks of 32: 69 (perf, DeepSEA-size saturation ISM, one thread,
// this Emerald Rapids, loaded). The transposed columns come first, once per group.
template <typename G> void schedule_seqcnn_incremental_dense_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = tuned_cpu_block(g, target);
    Var nlo("nlo"), nli("nli");
    g.out.vectorize(g.oi, block.vector).parallel(g.g);
    g.delta_columns.compute_at(g.out, g.g).reorder(g.i, g.nl, g.g);
    g.dense.compute_at(g.out, g.g).vectorize(g.oi, block.vector);
    g.dense.update()
        .split(g.nl, nlo, nli, block.x_block, TailStrategy::RoundUp)
        .reorder(g.oi, nli, nlo, g.ob, g.rc)
        .vectorize(g.oi, block.vector);
    g.partial.compute_at(g.dense, nlo).vectorize(g.oi, block.vector).unroll(g.oi).unroll(g.nl);
    g.partial.update().reorder(g.oi, g.nl, g.ri).vectorize(g.oi, block.vector).unroll(g.oi).unroll(g.nl);
}

template <typename G> void schedule_seqcnn_incremental_reference(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_incremental_reference_cuda(g);
        return;
    }
    // ARM (NEON): seqcnn_conv's NEON block over the reference's pre-activations.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_incremental_reference");
    schedule_seqcnn_incremental_reference_cpu(g, target);
}

template <typename G> void schedule_seqcnn_incremental_conv(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_incremental_conv_cuda(g);
        return;
    }
    // ARM (NEON): 8 vectors x 2 window positions = 16 accumulators per mutant window.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_incremental_conv");
    schedule_seqcnn_incremental_conv_cpu(g, target);
}

template <typename G> void schedule_seqcnn_incremental_dense(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_seqcnn_incremental_dense_cuda(g);
        return;
    }
    // ARM (NEON): 32 units in 8 vectors x 2 mutants = 16 accumulators.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "seqcnn_incremental_dense");
    schedule_seqcnn_incremental_dense_cpu(g, target);
}

} // namespace causeway
