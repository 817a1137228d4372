// Schedules for the PECNN head (generators/pecnn_readout_generator.cpp and
// pecnn_readout_backward_generator.cpp), per target family. The head reads each activation once and does
// about 1% of the network's arithmetic, so these schedules aim at streaming memory in parallel: one gene
// per task, dot products in vector lanes (rfactor) reduced once at the end.
#pragma once

#include "Halide.h"
#include "generators/pecnn_readout_algorithm.h"
#include "schedules/cuda/pecnn_cuda_schedule.h"
#include "schedules/pecnn_target.h"

namespace causeway {

inline void schedule_pecnn_readout_head(PecnnReadoutAlgorithm &a, Halide::Func consumer, Halide::Var g,
                                        const Halide::Target &target) {
    using namespace Halide;
    const int vector = target.natural_vector_size<float>();
    Var lane("lane");
    RVar cho("cho"), chi("chi");
    a.per_cell.compute_at(consumer, g);
    a.per_cell.update().split(a.rd.x, cho, chi, vector);
    Func cell_lanes = a.per_cell.update().rfactor(chi, lane);
    cell_lanes.compute_at(consumer, g).vectorize(lane);
    cell_lanes.update().reorder(lane, cho, a.rd.y, a.c).vectorize(lane);

    RVar gho("gho"), ghi("ghi");
    a.per_gene.compute_at(consumer, g);
    a.per_gene.update().split(a.rd.x, gho, ghi, vector);
    Func gene_lanes = a.per_gene.update().rfactor(ghi, lane);
    gene_lanes.compute_at(consumer, g).vectorize(lane);
    gene_lanes.update().reorder(lane, gho, a.rd.y).vectorize(lane);
    a.weight_ch_inner.compute_root();
}

template <typename Out>
void schedule_pecnn_readout(PecnnReadoutAlgorithm &a, Out &prediction, const Halide::Target &target) {
    if (target.has_gpu_feature()) {
        schedule_pecnn_readout_cuda(a, prediction);
        return;
    }
    // ARM (NEON): channels in 4-lane vectors, genes in parallel, as on x86 (the parallel grain does not
    // depend on the vector ISA).
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_readout");
    const int vector = target.natural_vector_size<float>();
    (void)vector;
    prediction.parallel(a.g);
    schedule_pecnn_readout_head(a, prediction, a.g, target);
}

template <typename G> void schedule_pecnn_readout_backward(G &gen, const Halide::Target &target) {
    using namespace Halide;
    if (target.has_gpu_feature()) {
        schedule_pecnn_readout_backward_cuda(gen);
        return;
    }
    // ARM (NEON): channels in 4-lane vectors; the gene sum in 16 parallel parts, as on x86.
    // Derived from the NEON register budget, untimed: qemu checks correctness only (pecnn_arm_block).
    if (is_arm_target(target)) pecnn_arm_block(target, "pecnn_readout_backward");
    const int vector = target.natural_vector_size<float>();
    auto &a = gen.a;
    a.prediction.compute_root().parallel(a.g);
    schedule_pecnn_readout_head(a, a.prediction, a.g, target);
    a.pooled.compute_root().vectorize(a.ch, vector).parallel(a.g);

    gen.count.compute_root();
    gen.squares.compute_root();
    gen.bias_sum.compute_root();
    gen.pred_grad.compute_root();
    gen.gene_grad.compute_root();

    // The sum over every (cell, gene) of the hidden activations: in parallel parts, added at the end.
    const int parts = 16;
    Var u("u");
    RVar rgo("rgo"), rgi("rgi");
    Expr genes = gen.observed.dim(1).extent();
    gen.weight_grad_cell.compute_root().vectorize(gen.ch, vector);
    gen.weight_grad_cell.update().split(gen.rt.y, rgo, rgi, (genes + parts - 1) / parts);
    Func cell_part = gen.weight_grad_cell.update().rfactor(rgo, u);
    cell_part.compute_root().vectorize(gen.ch, vector).parallel(u);
    cell_part.update().reorder(gen.ch, gen.x, gen.rt.x, rgi, u).vectorize(gen.ch, vector).parallel(u);
    gen.weight_grad_cell.update().vectorize(gen.ch, vector);
    gen.weight_grad_gene.compute_root().vectorize(gen.ch, vector);
    gen.weight_grad_gene.update().reorder(gen.ch, gen.x, gen.rg).vectorize(gen.ch, vector);

    // Ties are counted only for max pooling.
    gen.ties.compute_at(gen.pool_grad, gen.g).vectorize(gen.ch, vector);
    gen.ties.update().vectorize(gen.ch, vector); // the count over cells, a vector of channels at a time
    gen.pool_grad.vectorize(gen.ch, vector).parallel(gen.g).specialize(gen.pooling == 0);
    gen.pooled.vectorize(gen.ch, vector).parallel(gen.g);
}

} // namespace causeway
