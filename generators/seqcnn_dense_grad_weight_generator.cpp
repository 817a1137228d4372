// Weight and bias gradients of one dense layer of the sequence CNN, from the gradient of its
// pre-activation output (the logits' for the last layer):
//   grad_weight(o, i) = sum_b grad_output(o, b) * input(i, b)      grad_bias(o) = sum_b grad_output(o, b)
//
// Layouts (Halide order, innermost first):
//   grad_output  (o, b)  units innermost, o a multiple of 32 (the runtime pads with zero rows).
//   input        (i, b)  the layer's input as the forward pipelines hold it (for the first dense layer the
//                        last conv block's activations in (channel, position) order, which the runtime
//                        permutes back to PyTorch's channel-major columns).
//   grad_weight  (o, i)  unit innermost: 32 units are two vectors.
#include "Halide.h"

#include "schedules/seqcnn_dense_grad_weight_schedule.h"

namespace {

using namespace Halide;

class SeqcnnDenseGradWeight : public Generator<SeqcnnDenseGradWeight> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    Input<Buffer<float, 2>> grad_output{"grad_output"};
    Input<Buffer<float, 2>> input{"input"};
    Output<Buffer<float, 2>> grad_weight{"grad_weight"};
    Output<Buffer<float, 1>> grad_bias{"grad_bias"};

    Var o{"o"}, i{"i"};
    Func weight_sum{"weight_sum"}, bias_sum{"bias_sum"};
    RDom r, rb;

    void generate() {
        /* THE ALGORITHM */
        Expr batch = grad_output.dim(1).extent();
        r = RDom(0, batch, "r");
        weight_sum(o, i) = 0.f;
        weight_sum(o, i) += grad_output(o, r) * input(i, r);
        grad_weight(o, i) = weight_sum(o, i);
        rb = RDom(0, batch, "rb");
        bias_sum(o) = 0.f;
        bias_sum(o) += grad_output(o, rb);
        grad_bias(o) = bias_sum(o);

        /* ESTIMATES: DeepSEA-small's first dense layer (128 x 15 features -> 128 units), 64 sequences */
        grad_output.set_estimates({{0, 128}, {0, 64}});
        input.set_estimates({{0, 1920}, {0, 64}});
        grad_weight.set_estimates({{0, 128}, {0, 1920}});
        grad_bias.set_estimates({{0, 128}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_dense_grad_weight(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnDenseGradWeight, seqcnn_dense_grad_weight)
