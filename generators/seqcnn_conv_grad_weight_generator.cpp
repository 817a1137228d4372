// Weight and bias gradients of one conv layer of the sequence CNN, from the gradient of its unpooled
// output (after the pooling and activation backward, generators/seqcnn_pool_backward_generator.cpp):
//   grad_weight(co, ci, k) = sum_{b, x} grad_output(co, x, b) * input(ci, x + k - pad_left, b)
//   grad_bias(co)          = sum_{b, x} grad_output(co, x, b)
// Input positions outside the input read 0, as in the forward pass.
//
// Layouts (Halide order, innermost first):
//   grad_output  (co, x, b)   channels innermost, co a multiple of 32 (the runtime pads), x the unpooled
//                             conv output positions.
//   input        (ci, x, b)   the previous block's (pooled, dropped-out) activations; or (x, ci, b) when
//                             one_hot_input, the caller's one-hot [B, 4, L] read in place.
//   grad_weight  (co, ci, k)  output channel innermost, so that 32 of them are two vectors; the runtime
//                             transposes it to PyTorch's [co, ci, k].
#include "Halide.h"

#include "schedules/seqcnn_conv_grad_weight_schedule.h"

namespace {

using namespace Halide;

class SeqcnnConvGradWeight : public Generator<SeqcnnConvGradWeight> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> one_hot_input{"one_hot_input", false};

    Input<Buffer<float, 3>> grad_output{"grad_output"};
    Input<Buffer<float, 3>> input{"input"};
    Input<int> pad_left{"pad_left", 0, 0, 4096};
    Output<Buffer<float, 3>> grad_weight{"grad_weight"};
    Output<Buffer<float, 1>> grad_bias{"grad_bias"};

    Var co{"co"}, ci{"ci"}, k{"k"}, x{"x"}, b{"b"};
    Func input_padded{"input_padded"}, weight_sum{"weight_sum"}, bias_sum{"bias_sum"};
    RDom r, rb;

    void generate() {
        /* THE ALGORITHM */
        const int length_dim = one_hot_input ? 0 : 1;
        Expr length = input.dim(length_dim).extent();
        Expr xc = clamp(x, 0, length - 1);
        Expr value = one_hot_input ? input(xc, ci, b) : input(ci, xc, b);
        input_padded(ci, x, b) = select(x >= 0 && x < length, value, 0.f);

        Expr positions = grad_output.dim(1).extent(), batch = grad_output.dim(2).extent();
        r = RDom(0, positions, 0, batch, "r");
        weight_sum(co, ci, k) = 0.f;
        weight_sum(co, ci, k) += grad_output(co, r.x, r.y) * input_padded(ci, r.x + k - pad_left, r.y);
        grad_weight(co, ci, k) = weight_sum(co, ci, k);

        rb = RDom(0, positions, 0, batch, "rb");
        bias_sum(co) = 0.f;
        bias_sum(co) += grad_output(co, rb.x, rb.y);
        grad_bias(co) = bias_sum(co);

        /* ESTIMATES: DeepSEA-small's second block (64 -> 96 channels, kernel 8, 91 positions), 64
           sequences of 400 bases */
        if (one_hot_input) {
            grad_output.set_estimates({{0, 64}, {0, 393}, {0, 64}});
            input.set_estimates({{0, 400}, {0, 4}, {0, 64}});
            grad_weight.set_estimates({{0, 64}, {0, 4}, {0, 8}});
            grad_bias.set_estimates({{0, 64}});
        } else {
            grad_output.set_estimates({{0, 96}, {0, 91}, {0, 64}});
            input.set_estimates({{0, 64}, {0, 98}, {0, 64}});
            grad_weight.set_estimates({{0, 96}, {0, 64}, {0, 8}});
            grad_bias.set_estimates({{0, 96}});
        }
        pad_left.set_estimate(0);
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_conv_grad_weight(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnConvGradWeight, seqcnn_conv_grad_weight)
