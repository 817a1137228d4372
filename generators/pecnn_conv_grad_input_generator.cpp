// Backward pass of one PECNN convolution layer with respect to its input (the "backward data" of
// cuDNN): dL/dinput = transposed convolution of dL/d(pre-activation). Used for every layer but the first
// during training, and for the first too when the input gradient is wanted (expression optimisation,
// saliency).
//
// Layouts as in pecnn_conv_generator.cpp. output_bins_inner writes the gradient in the dataset's layout
// (x, ci, n). add_readout adds the readout's direct contribution dL/dpred(n) * readout_weight(x, ci): the
// invariant layer's input h also feeds the readout, so its gradient is the sum of both paths.
// pooled_output (the invariant layer) forms dL/doutput from the pooling's per-gene gradient instead of
// reading output_grad (see pecnn_readout_backward_generator.cpp).
#include "Halide.h"

#include "schedules/pecnn_conv_grad_input_schedule.h"

namespace {

using namespace Halide;

class PecnnConvGradInput : public Generator<PecnnConvGradInput> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> output_bins_inner{"output_bins_inner", false};
    GeneratorParam<bool> add_readout{"add_readout", false};
    GeneratorParam<bool> pooled_output{"pooled_output", false};

    Input<Buffer<float, 3>> output{"output"};           // the layer's forward output, post-ReLU (co, x, n)
    Input<Buffer<float, 3>> output_grad{"output_grad"}; // dL/doutput (co, x, n)
    Input<Buffer<float, 3>> weight{"weight"};           // (k, ci, co)
    Input<int> dilation{"dilation", 1, 1, 4096};
    // Read only with add_readout: dL/dprediction per row, and the readout weight (x, ch).
    Input<Buffer<float, 1>> prediction_grad{"prediction_grad"};
    Input<Buffer<float, 2>> readout_weight{"readout_weight"};
    // Read only with pooled_output: the pooling's gradient and result per gene (co, x, g), the pooling
    // (0 mean, 1 max), and the cell types per gene (rows n = c + cells * g).
    Input<Buffer<float, 3>> pool_grad{"pool_grad"};
    Input<Buffer<float, 3>> pooled{"pooled"};
    Input<int> pooling{"pooling", 0, 0, 1};
    Input<int> cells{"cells", 1, 1, 1 << 20};
    Output<Buffer<float, 3>> input_grad{"input_grad"};

    Var co{"co"}, ci{"ci"}, x{"x"}, n{"n"}, k{"k"};
    Func pre_grad{"pre_grad"}, weight_ci_inner{"weight_ci_inner"}, grad{"grad"};
    RDom r;

    void generate() {
        /* THE ALGORITHM */
        Expr bins = output.dim(1).extent();
        Expr channels_out = output.dim(0).extent();
        Expr kernel = weight.dim(0).extent();
        Expr pad = dilation * (kernel / 2);

        // dL/d(pre-activation): ReLU passes the gradient where its output is positive (PyTorch's
        // convention at 0), and it is zero outside the bins (the forward pass's zero padding).
        // Rows and input channels are clamped as well as bins: a schedule may compute register tiles
        // rounded up past the last row or channel (values never stored), and those must read in bounds.
        Expr row_count = output.dim(2).extent();
        Expr input_channels = weight.dim(1).extent();
        Expr xc = clamp(x, 0, bins - 1);
        Expr nc = clamp(n, 0, row_count - 1);
        Expr out = output(co, xc, nc);
        Expr out_grad = output_grad(co, xc, nc);
        if (pooled_output) {
            Expr g = nc / cells;
            out_grad = select(pooling == 0 || out == pooled(co, xc, g), pool_grad(co, xc, g), 0.f);
        }
        pre_grad(co, x, n) = select(x >= 0 && x < bins && out > 0.f, out_grad, 0.f);
        weight_ci_inner(ci, co, k) = weight(k, clamp(ci, 0, input_channels - 1), co);

        r = RDom(0, channels_out, 0, kernel, "r");
        if (add_readout) {
            grad(ci, x, n) = prediction_grad(nc) * readout_weight(xc, clamp(ci, 0, input_channels - 1));
        } else {
            grad(ci, x, n) = 0.f;
        }
        grad(ci, x, n) += weight_ci_inner(ci, r.x, r.y) * pre_grad(r.x, x - r.y * dilation + pad, n);
        if (output_bins_inner) {
            input_grad(x, ci, n) = grad(ci, x, n);
        } else {
            input_grad(ci, x, n) = grad(ci, x, n);
        }

        /* ESTIMATES */
        const int rows = 256 * 12;
        const int channels_in = output_bins_inner ? 6 : 32;
        output.set_estimates({{0, 32}, {0, 200}, {0, rows}});
        output_grad.set_estimates({{0, 32}, {0, 200}, {0, rows}});
        weight.set_estimates({{0, 11}, {0, channels_in}, {0, 32}});
        dilation.set_estimate(1);
        prediction_grad.set_estimates({{0, rows}});
        readout_weight.set_estimates({{0, 200}, {0, 64}});
        pool_grad.set_estimates({{0, 32}, {0, 200}, {0, 256}});
        pooled.set_estimates({{0, 32}, {0, 200}, {0, 256}});
        pooling.set_estimate(0);
        cells.set_estimate(12);
        if (output_bins_inner) {
            input_grad.set_estimates({{0, 200}, {0, channels_in}, {0, rows}});
        } else {
            input_grad.set_estimates({{0, channels_in}, {0, 200}, {0, rows}});
        }
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_conv_grad_input(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnConvGradInput, pecnn_conv_grad_input)
