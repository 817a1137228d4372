// Schedules for the incremental mutant evaluation's generators (generators/seqcnn_incremental_*), per
// target family. The register block is the forward pass's (schedules/pecnn_target.h): 32 output channels
// or units in vectors x x_block columns unrolled, one weight vector load per 32/vector channels and one
// broadcast per column for every co_vectors * x_block FMAs.
#pragma once

#include "Halide.h"
#include "schedules/pecnn_target.h"

namespace causeway {

// The reference's pre-activations: run once per call for every slot (MC sample x strand), about 1/(3L) of
// a saturation run's work, so a plain register-blocked convolution does.
template <typename G> void schedule_seqcnn_incremental_reference_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = pecnn_cpu_block(target);
    Var xo("xo"), xi("xi"), task("task");
    g.pre.split(g.x, xo, xi, block.x_block, TailStrategy::GuardWithIf)
        .reorder(g.co_i, xi, xo, g.s, g.co_o)
        .vectorize(g.co_i, block.vector)
        .fuse(g.s, g.co_o, task)
        .parallel(task);
    g.conv.compute_at(g.pre, xo).vectorize(g.co_i, block.vector).unroll(g.co_i).unroll(g.x);
    g.conv.update()
        .reorder(g.co_i, g.x, g.r.x, g.r.y)
        .vectorize(g.co_i, block.vector)
        .unroll(g.co_i)
        .unroll(g.x);
    g.input_padded.compute_root().parallel(g.s);
    g.out.vectorize(g.co_i, block.vector).parallel(g.s);
    g.pooled.compute_at(g.out, g.xp).vectorize(g.co_i, block.vector);
    g.pooled.update().vectorize(g.co_i, block.vector);
}

// A conv block's change. Tasks are (channel block, group) pairs, channel block outermost so that the two
// threads share a block's weights (32 x Cin x K floats: 480 KB at DeepSEA's third block, L2-resident) and
// the group's columns stream past them. Per register block of x_block columns: the products Y over all
// taps and changed input columns (32 x K x U x x_block floats: 32 KB at DeepSEA's third block, in L1),
// then the gather into the changed conv positions (U taps per position, not K: only U input columns
// changed), then pool, activation and mask per column.
template <typename G> void schedule_seqcnn_incremental_conv_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = pecnn_cpu_block(target);
    Var nlo("nlo"), nli("nli"), task("task");
    g.delta_out.split(g.nl, nlo, nli, block.x_block, TailStrategy::ShiftInwards)
        .reorder(g.co_i, g.w, nli, nlo, g.g, g.co_o)
        .vectorize(g.co_i, block.vector)
        .fuse(g.g, g.co_o, task)
        .parallel(task);
    if (g.one_hot_input) {
        g.products.compute_inline();
    } else {
        // The sum of one (tap, changed column) pair over all input channels lives in registers (computed
        // in place in `products`, LLVM loaded and stored every accumulator at every step; perf showed a
        // load-FMA-store chain).
        // The columns transposed once per call, group by group (read along channels, written into
        // L1-resident lines). Once per task instead repeated it for every channel block: 11% of the time.
        g.delta_columns.compute_root().reorder(g.ci, g.nl, g.u, g.g).parallel(g.g);
        g.products.compute_at(g.delta_out, nlo)
            .reorder(g.co_i, g.nl, g.j, g.u)
            .vectorize(g.co_i, block.vector)
            .unroll(g.co_i)
            .unroll(g.nl);
        g.products_sum.compute_at(g.products, g.j)
            .vectorize(g.co_i, block.vector)
            .unroll(g.co_i)
            .unroll(g.nl);
        g.products_sum.update()
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
// window. Groups run in parallel, each thread its own group. Within a group, chunk by chunk (one
// position's channels: 960 at DeepSEA's size), one unit block's chunk of weights (123 KB) serves every
// register block of the group's columns (the chunk of all of them: 584 KB), each register block's partial
// sum in registers, then added into the group's accumulators (928 x 152 floats); all three in L2. (The
// whole window per register block instead, 1.35 MB of weights and 338 KB of columns per block, streamed
// from L3: a third of the convolutions' rate per FLOP in a perf profile at DeepSEA's size.) The transposed
// columns come first, once per group.
template <typename G> void schedule_seqcnn_incremental_dense_cpu(G &g, const Halide::Target &target) {
    using namespace Halide;
    const CpuBlock block = pecnn_cpu_block(target);
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
    if (target.has_gpu_feature()) throw Halide::CompileError("seqcnn_incremental_reference: no GPU schedule");
    schedule_seqcnn_incremental_reference_cpu(g, target);
}

template <typename G> void schedule_seqcnn_incremental_conv(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) throw Halide::CompileError("seqcnn_incremental_conv: no GPU schedule");
    schedule_seqcnn_incremental_conv_cpu(g, target);
}

template <typename G> void schedule_seqcnn_incremental_dense(G &g, const Halide::Target &target) {
    if (target.has_gpu_feature()) throw Halide::CompileError("seqcnn_incremental_dense: no GPU schedule");
    schedule_seqcnn_incremental_dense_cpu(g, target);
}

} // namespace causeway
