// Input gradient of one conv layer of the sequence CNN (blocks after the first; the one-hot input needs
// none), from the gradient of its unpooled output:
//   grad_input(ci, x, b) = sum_{co, k} weight(co, ci, k) * grad_output(co, x + pad_left - k, b)
// where output positions outside [0, positions) contribute 0.
//
// Layouts (Halide order, innermost first):
//   grad_output  (co, x, b)   channels innermost, co a multiple of 32.
//   weight       (k, ci, co)  the forward pipeline's own buffer (PyTorch's [co, ci, k], zero-padded);
//                             transposed here once per call to (ci, co, k), input channel innermost.
//   grad_input   (ci, x, b)   the previous block's activations' layout, ci a multiple of 32.
#include "Halide.h"

#include "schedules/seqcnn_conv_grad_input_schedule.h"

namespace {

using namespace Halide;

class SeqcnnConvGradInput : public Generator<SeqcnnConvGradInput> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    Input<Buffer<float, 3>> grad_output{"grad_output"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<int> pad_left{"pad_left", 0, 0, 4096};
    Output<Buffer<float, 3>> grad_input{"grad_input"};

    Var ci{"ci"}, co{"co"}, k{"k"}, x{"x"}, b{"b"};
    Func grad_padded{"grad_padded"}, weight_transposed{"weight_transposed"}, sum{"sum"};
    RDom r;

    void generate() {
        /* THE ALGORITHM */
        Expr positions = grad_output.dim(1).extent();
        Expr channels_out = grad_output.dim(0).extent();
        Expr kernel = weight.dim(0).extent();
        grad_padded(co, x, b) =
            select(x >= 0 && x < positions, grad_output(co, clamp(x, 0, positions - 1), b), 0.f);
        weight_transposed(ci, co, k) = weight(k, ci, co);

        r = RDom(0, channels_out, 0, kernel, "r");
        sum(ci, x, b) = 0.f;
        sum(ci, x, b) += weight_transposed(ci, r.x, r.y) * grad_padded(r.x, x + pad_left - r.y, b);
        grad_input(ci, x, b) = sum(ci, x, b);

        /* ESTIMATES: DeepSEA-small's second block (64 -> 96 channels, kernel 8), 64 sequences */
        grad_output.set_estimates({{0, 96}, {0, 91}, {0, 64}});
        weight.set_estimates({{0, 8}, {0, 64}, {0, 96}});
        grad_input.set_estimates({{0, 64}, {0, 98}, {0, 64}});
        pad_left.set_estimate(0);
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_conv_grad_input(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnConvGradInput, seqcnn_conv_grad_input)
