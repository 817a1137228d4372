// One dense layer of the sequence CNN: Linear + bias, then the activation (relu or threshold) or, on the
// last layer, a sigmoid per task; in the masked variant, inverted dropout by a given multiplier mask.
//
// Layouts (Halide order, innermost first); units come in blocks of 32 (oi), as the runtime packs them:
//   input   (i, b)       features of each sequence; for the first dense layer the last conv block's
//                        (co, x) activations viewed as one dimension (the runtime permutes the weight's
//                        columns from PyTorch's channel-major flatten to this order once, at load time);
//                        for the others the previous layer's (oi, ob) output viewed as one dimension.
//   weight  (oi, i, ob)  PyTorch's [out, in] regrouped so that each block's weights are one contiguous
//                        stream (a block's rows 3.7 KB apart crossed a page every few steps and left the
//                        hardware prefetcher idle: 36 GFLOP/s at DeepSEA's first dense layer). Units past
//                        the layer's have zero weights.
//   bias    (o)          o = ob * block + oi
//   mask    (oi, ob, m)  multipliers (0 or 1 / (1 - p)); m of extent 1 (shared by the batch) or the batch's.
//   output  (oi, ob, b)
#include "Halide.h"

#include "schedules/seqcnn_dense_schedule.h"

namespace {

using namespace Halide;

class SeqcnnDense : public Generator<SeqcnnDense> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> masked{"masked", false};

    Input<Buffer<float, 2>> input{"input"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 1>> bias{"bias"};
    Input<int> activation{"activation", 0, 0, 2}; // 0 relu, 1 threshold, 2 sigmoid
    Input<Buffer<float, 3>> mask{"mask"};
    Output<Buffer<float, 3>> output{"output"};

    Var oi{"oi"}, ob{"ob"}, b{"b"};
    Func dense{"dense"};
    RDom r;

    void generate() {
        /* THE ALGORITHM */
        Expr features = input.dim(0).extent();
        r = RDom(0, features, "r");
        // Fixed blocks let the schedule unroll a block's vectors.
        const int block = 32;
        weight.dim(0).set_bounds(0, block);
        if (masked) mask.dim(0).set_bounds(0, block);
        dense(oi, ob, b) = bias(ob * block + oi);
        // Clamped so that a register block of sequences may run past the batch's end (its extra columns
        // repeat the last sequence and are never stored).
        dense(oi, ob, b) += weight(oi, r, ob) * input(r, clamp(b, 0, input.dim(1).max()));

        Expr v = dense(oi, ob, b);
        Expr result = select(activation == 0, max(v, 0.f),               //
                             activation == 1, select(v > 0.f, v, 1e-6f), //
                             1.f / (1.f + exp(-v)));
        if (masked) result = result * mask(oi, ob, clamp(b, 0, mask.dim(2).max()));
        output(oi, ob, b) = result;
        output.dim(0).set_bounds(0, block);

        /* ESTIMATES: DeepSEA's first dense layer (960 x 53 features -> 925 units, padded to 928), 64
           sequences */
        input.set_estimates({{0, 50880}, {0, 64}});
        weight.set_estimates({{0, 32}, {0, 50880}, {0, 29}});
        bias.set_estimates({{0, 928}});
        activation.set_estimate(1);
        mask.set_estimates({{0, 32}, {0, 29}, {0, 64}});
        output.set_estimates({{0, 32}, {0, 29}, {0, 64}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_dense(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnDense, seqcnn_dense)
