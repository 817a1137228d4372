// Backward pass of one PECNN convolution layer with respect to its weight and bias (the "backward
// filter" of cuDNN): a correlation of the layer's input with dL/d(pre-activation), summed over every row
// (gene x cell type) and bin of the batch. pooled_output (the invariant layer) forms dL/doutput from the
// pooling's per-gene gradient, as in pecnn_conv_grad_input_generator.cpp.
#include "Halide.h"

#include "schedules/pecnn_conv_grad_weight_schedule.h"

namespace {

using namespace Halide;

class PecnnConvGradWeight : public Generator<PecnnConvGradWeight> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> input_bins_inner{"input_bins_inner", false};
    GeneratorParam<bool> pooled_output{"pooled_output", false};

    Input<Buffer<float, 3>> input{"input"};             // (ci, x, n), or (x, ci, n) when input_bins_inner
    Input<Buffer<float, 3>> output{"output"};           // forward output, post-ReLU (co, x, n)
    Input<Buffer<float, 3>> output_grad{"output_grad"}; // dL/doutput (co, x, n)
    Input<int> kernel{"kernel", 11, 1, 4097};
    Input<int> dilation{"dilation", 1, 1, 4096};
    // Read only with pooled_output (see pecnn_conv_grad_input_generator.cpp).
    Input<Buffer<float, 3>> pool_grad{"pool_grad"};
    Input<Buffer<float, 3>> pooled{"pooled"};
    Input<int> pooling{"pooling", 0, 0, 1};
    Input<int> cells{"cells", 1, 1, 1 << 20};
    Output<Buffer<float, 3>> weight_grad{"weight_grad"}; // (k, ci, co), PyTorch's layout
    Output<Buffer<float, 1>> bias_grad{"bias_grad"};     // (co)

    Var co{"co"}, ci{"ci"}, x{"x"}, n{"n"}, k{"k"};
    Func pre_grad{"pre_grad"}, input_padded{"input_padded"}, row_grad{"row_grad"}, weight_sum{"weight_sum"},
        bias_sum{"bias_sum"};
    RDom rx, rn, rb;

    void generate() {
        /* THE ALGORITHM */
        const int bins_dim = input_bins_inner ? 0 : 1;
        Expr bins = input.dim(bins_dim).extent();
        Expr channels_in = input.dim(1 - bins_dim).extent();
        Expr rows = input.dim(2).extent();
        Expr pad = dilation * (kernel / 2);

        auto relu_grad = [&](Expr co, Expr x, Expr n) {
            Expr out = output(co, x, n), out_grad = output_grad(co, x, n);
            if (pooled_output) {
                Expr g = n / cells;
                out_grad = select(pooling == 0 || out == pooled(co, x, g), pool_grad(co, x, g), 0.f);
            }
            return select(out > 0.f, out_grad, 0.f);
        };
        pre_grad(co, x, n) = relu_grad(co, x, n);
        // Zero outside the bins and, so that schedules may round the channel count up, outside the
        // input channels.
        Expr xc = clamp(x, 0, bins - 1), cc = clamp(ci, 0, channels_in - 1);
        Expr value = input_bins_inner ? input(xc, cc, n) : input(cc, xc, n);
        input_padded(ci, x, n) = select(x >= 0 && x < bins && ci < channels_in, value, 0.f);

        // Per row first (a register-blocked product over the bins), then over rows.
        rx = RDom(0, bins, "rx");
        row_grad(co, ci, k, n) = 0.f;
        row_grad(co, ci, k, n) += pre_grad(co, rx, n) * input_padded(ci, rx + k * dilation - pad, n);
        rn = RDom(0, rows, "rn");
        weight_sum(co, ci, k) = 0.f;
        weight_sum(co, ci, k) += row_grad(co, ci, k, rn);
        weight_grad(k, ci, co) = weight_sum(co, ci, k);

        rb = RDom(0, bins, 0, rows, "rb");
        bias_sum(co) = 0.f;
        // Written out rather than calling pre_grad, which schedules compute per row of the weight sum.
        bias_sum(co) += relu_grad(co, rb.x, rb.y);
        bias_grad(co) = bias_sum(co);

        /* ESTIMATES */
        const int est_rows = 256 * 12;
        const int est_in = input_bins_inner ? 6 : 32;
        if (input_bins_inner) {
            input.set_estimates({{0, 200}, {0, est_in}, {0, est_rows}});
        } else {
            input.set_estimates({{0, est_in}, {0, 200}, {0, est_rows}});
        }
        output.set_estimates({{0, 32}, {0, 200}, {0, est_rows}});
        output_grad.set_estimates({{0, 32}, {0, 200}, {0, est_rows}});
        kernel.set_estimate(11);
        dilation.set_estimate(1);
        pool_grad.set_estimates({{0, 32}, {0, 200}, {0, 256}});
        pooled.set_estimates({{0, 32}, {0, 200}, {0, 256}});
        pooling.set_estimate(0);
        cells.set_estimate(12);
        weight_grad.set_estimates({{0, 11}, {0, est_in}, {0, 32}});
        bias_grad.set_estimates({{0, 32}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_conv_grad_weight(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnConvGradWeight, pecnn_conv_grad_weight)
