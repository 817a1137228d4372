// Input gradient of one dense layer of the sequence CNN, from the gradient of its pre-activation output:
//   grad_input(i, b) = sum_o weight(o, i) * grad_output(o, b)
// and, in the activation_backward variant (when the input is a hidden dense layer's output), that layer's
// activation and dropout backward fused in: times mask(i, b) where relu_output(i, b) > 0, else 0. Relu's
// and the threshold's derivatives are both 1 exactly where the pre-activation is > 0, which the relu
// output shows (the training forward keeps it; see seqcnn_pool_backward_generator.cpp).
//
// Layouts (Halide order, innermost first):
//   grad_output  (o, b)        o a multiple of 32, zero past the layer's units.
//   weight       (oi, i, ob)   the forward pipeline's own blocked buffer (o = 32 ob + oi), transposed here
//                              once per call to (i, o), input innermost.
//   relu_output, grad_input (i, b); mask (i, m) dropout multipliers, m of extent 1 or the batch's.
#include "Halide.h"

#include "schedules/seqcnn_dense_grad_input_schedule.h"

namespace {

using namespace Halide;

class SeqcnnDenseGradInput : public Generator<SeqcnnDenseGradInput> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> activation_backward{"activation_backward", false};

    Input<Buffer<float, 2>> grad_output{"grad_output"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 2>> relu_output{"relu_output"};
    Input<Buffer<float, 2>> mask{"mask"};
    Output<Buffer<float, 2>> grad_input{"grad_input"};

    Var i{"i"}, o{"o"}, b{"b"};
    Func weight_transposed{"weight_transposed"}, sum{"sum"};
    RDom r;

    void generate() {
        /* THE ALGORITHM */
        const int block = 32;
        weight.dim(0).set_bounds(0, block);
        weight_transposed(i, o) = weight(o % block, i, o / block);
        r = RDom(0, grad_output.dim(0).extent(), "r");
        sum(i, b) = 0.f;
        // Clamped so that a register block of sequences may run past the batch's end (never stored).
        sum(i, b) += weight_transposed(i, r) * grad_output(r, clamp(b, 0, grad_output.dim(1).max()));
        Expr result = sum(i, b);
        if (activation_backward) {
            result = select(relu_output(i, b) > 0.f, result * mask(i, clamp(b, 0, mask.dim(1).max())), 0.f);
        }
        grad_input(i, b) = result;

        /* ESTIMATES: DeepSEA-small's first dense layer (1920 features -> 128 units), 64 sequences */
        grad_output.set_estimates({{0, 128}, {0, 64}});
        weight.set_estimates({{0, 32}, {0, 1920}, {0, 4}});
        relu_output.set_estimates({{0, 1920}, {0, 64}});
        mask.set_estimates({{0, 1920}, {0, 64}});
        grad_input.set_estimates({{0, 1920}, {0, 64}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_dense_grad_input(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnDenseGradInput, seqcnn_dense_grad_input)
