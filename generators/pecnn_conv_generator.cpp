// One equivariant convolution layer of the PECNN: a (1 x K) convolution along the bins of every
// (gene, cell type) row, bias, ReLU. Kernel height 1 means rows never mix, so genes and cell types are one
// flattened row dimension n here; the cell-type structure only matters in the readout.
//
// Layouts (Halide order, innermost first):
//   input   (ci, x, n) causeway activations, channels innermost; or (x, ci, n) when input_bins_inner,
//           which is the dataset's [G, C, M, L] viewed as [N, M, L]: the first layer reads it in place.
//   weight  (k, ci, co) PyTorch's Conv2d weight [co, ci, 1, k] without the unit dimension.
//   output  (co, x, n)  channels innermost; co extent a multiple of 32 (the runtime pads channels).
#include "Halide.h"

#include "schedules/pecnn_conv_schedule.h"

namespace {

using namespace Halide;

class PecnnConv : public Generator<PecnnConv> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> input_bins_inner{"input_bins_inner", false};

    Input<Buffer<float, 3>> input{"input"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 1>> bias{"bias"};
    Input<int> dilation{"dilation", 1, 1, 4096};
    Output<Buffer<float, 3>> output{"output"};

    Var co{"co"}, ci{"ci"}, x{"x"}, n{"n"}, k{"k"};
    Func input_padded{"input_padded"}, weight_co_inner{"weight_co_inner"}, conv{"conv"};
    RDom r;

    void generate() {
        /* THE ALGORITHM */
        const int bins_dim = input_bins_inner ? 0 : 1;
        Expr bins = input.dim(bins_dim).extent();
        Expr channels_in = input.dim(1 - bins_dim).extent();
        Expr kernel = weight.dim(0).extent();
        Expr pad = dilation * (kernel / 2);

        // Zero padding along the bins, as PyTorch's padding=(0, d * (k // 2)).
        Expr xc = clamp(x, 0, bins - 1);
        Expr value = input_bins_inner ? input(xc, ci, n) : input(ci, xc, n);
        input_padded(ci, x, n) = select(x >= 0 && x < bins, value, 0.f);
        // Output channel innermost so that a vector of output channels is one load.
        weight_co_inner(co, ci, k) = weight(k, ci, co);

        r = RDom(0, channels_in, 0, kernel, "r");
        conv(co, x, n) = bias(co);
        conv(co, x, n) += weight_co_inner(co, r.x, r.y) * input_padded(r.x, x + r.y * dilation - pad, n);
        output(co, x, n) = max(conv(co, x, n), 0.f);

        /* ESTIMATES: the paper's shapes, batch 256 genes x 12 cell types, hidden 32, 200 bins */
        const int rows = 256 * 12;
        if (input_bins_inner) {
            input.set_estimates({{0, 200}, {0, 6}, {0, rows}});
            weight.set_estimates({{0, 11}, {0, 6}, {0, 32}});
        } else {
            input.set_estimates({{0, 32}, {0, 200}, {0, rows}});
            weight.set_estimates({{0, 11}, {0, 32}, {0, 32}});
        }
        bias.set_estimates({{0, 32}});
        dilation.set_estimate(1);
        output.set_estimates({{0, 32}, {0, 200}, {0, rows}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_conv(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnConv, pecnn_conv)
