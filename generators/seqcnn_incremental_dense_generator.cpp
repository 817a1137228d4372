// The first dense layer of the incremental mutant evaluation (runtime/seqcnn_mutants.cpp): a mutant's
// pre-activation differs from the reference's only through the features of the last conv block's changed
// window, so
//   out(o, n) = f(base(o, s) + sum_r weight(o, offset(g) + r) * delta(r, n)) [* mask(o, s)]
// with s = column(0, nl, g) the column's reference slot (MC sample x strand), base the reference's
// pre-activations there, delta the change of the window's features and offset(g) the window's first feature.
// f: 0 relu, 1 threshold (masked), 2 sigmoid (the network's last layer; no mask), 3 identity (masked; the
// reference's own pre-activations: base = bias, delta = all the features, offset 0).
//
// Layouts (Halide order, innermost first), units in blocks of 32 (o = 32 ob + oi):
//   delta   (r, nl, g)     the last block's delta_out viewed as (window features, nl, g): position-major,
//                          channels innermost, as the first dense layer's packed weight columns
//   weight  (oi, i, ob)    SeqcnnNetwork's packed first dense layer (each block's weights contiguous)
//   base    (oi, ob, s), mask (oi, ob, s)
//   column  (field, nl, g) 0: slot
//   offset  (g)
//   out     (oi, ob, nl, g)
#include "Halide.h"

#include "schedules/seqcnn_incremental_schedule.h"

namespace {

using namespace Halide;

class SeqcnnIncrementalDense : public Generator<SeqcnnIncrementalDense> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    Input<Buffer<float, 3>> delta{"delta"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 3>> base{"base"};
    Input<Buffer<float, 3>> mask{"mask"};
    Input<Buffer<int32_t, 3>> column{"column"};
    Input<Buffer<int32_t, 1>> offset{"offset"};
    Input<int> activation{"activation", 0, 0, 3};
    Input<int> chunk{"chunk", 32, 1, 1 << 24}; // features per partial sum; divides delta's
    Output<Buffer<float, 4>> out{"out"};

    Var oi{"oi"}, ob{"ob"}, nl{"nl"}, g{"g"}, i{"i"}, c{"c"};
    Func delta_columns{"delta_columns"}, partial{"partial"}, dense{"dense"};
    RDom ri, rc;

    void generate() {
        /* THE ALGORITHM */
        const int block = 32;
        // Clamped so that a register block of columns may run past the group's end (never stored).
        Expr n = clamp(nl, 0, delta.dim(1).max());
        Expr slot = clamp(column(0, n, g), 0, base.dim(2).max());
        // The runtime keeps windows in range; the clamp only bounds the accesses.
        Expr first = clamp(offset(g), 0, weight.dim(1).extent() - delta.dim(0).extent());
        // Columns innermost, so that a register block's broadcasts sit at constant offsets.
        delta_columns(nl, i, g) = delta(i, n, g);
        // Summed chunk by chunk (the runtime's chunk: one position's channels), each chunk's sum in
        // registers, so that a chunk of weights and of the group's columns stay in L2 meanwhile.
        ri = RDom(0, chunk, "ri");
        rc = RDom(0, delta.dim(0).extent() / chunk, "rc");
        partial(oi, ob, nl, c, g) = 0.f;
        partial(oi, ob, nl, c, g) +=
            weight(oi, first + c * chunk + ri, ob) * delta_columns(nl, c * chunk + ri, g);
        dense(oi, ob, nl, g) = base(oi, ob, slot);
        dense(oi, ob, nl, g) += partial(oi, ob, nl, rc, g);

        Expr v = dense(oi, ob, nl, g), m = mask(oi, ob, clamp(slot, 0, mask.dim(2).max()));
        out(oi, ob, nl, g) = select(activation == 0, max(v, 0.f) * m,               //
                                    activation == 1, select(v > 0.f, v, 1e-6f) * m, //
                                    activation == 2, 1.f / (1.f + exp(-v)),         //
                                    v * m);

        weight.dim(0).set_bounds(0, block);
        base.dim(0).set_bounds(0, block);
        mask.dim(0).set_bounds(0, block);
        out.dim(0).set_bounds(0, block);

        /* ESTIMATES: DeepSEA's first dense layer (11 of 53 positions x 960 channels -> 925 units), 4
           groups of 152 columns */
        delta.set_estimates({{0, 10560}, {0, 152}, {0, 4}});
        weight.set_estimates({{0, 32}, {0, 50880}, {0, 29}});
        base.set_estimates({{0, 32}, {0, 29}, {0, 100}});
        mask.set_estimates({{0, 32}, {0, 29}, {0, 100}});
        column.set_estimates({{0, 3}, {0, 152}, {0, 4}});
        offset.set_estimates({{0, 4}});
        activation.set_estimate(1);
        chunk.set_estimate(960);
        out.set_estimates({{0, 32}, {0, 29}, {0, 152}, {0, 4}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_incremental_dense(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnIncrementalDense, seqcnn_incremental_dense)
