// The invariant branch for inference: convolution + bias + ReLU, then mean (or max) over the cell types
// of each gene, in one pass. The per-cell activations live only in registers, so the forward pass never
// writes and re-reads the largest tensor of the network (training keeps them: see pecnn_conv).
//
//   input   (ci, x, c, g)  the last equivariant layer, channels innermost
//   weight  (k, ci, co)    PyTorch's Conv2d weight without the unit dimension
//   pooled  (co, x, g)
#include "Halide.h"

#include "schedules/pecnn_conv_pool_schedule.h"

namespace {

using namespace Halide;

class PecnnConvPool : public Generator<PecnnConvPool> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    Input<Buffer<float, 4>> input{"input"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 1>> bias{"bias"};
    Input<int> dilation{"dilation", 1, 1, 4096};
    Input<int> pooling{"pooling", 0, 0, 1}; // 0 mean, 1 max
    Output<Buffer<float, 3>> pooled{"pooled"};

    Var co{"co"}, ci{"ci"}, x{"x"}, c{"c"}, g{"g"}, k{"k"};
    Func input_padded{"input_padded"}, weight_co_inner{"weight_co_inner"}, conv{"conv"}, pool{"pool"};
    RDom r, rc;

    void generate() {
        /* THE ALGORITHM */
        Expr bins = input.dim(1).extent(), channels_in = input.dim(0).extent(), cells = input.dim(2).extent();
        Expr kernel = weight.dim(0).extent();
        Expr pad = dilation * (kernel / 2);
        input_padded(ci, x, c, g) = select(x >= 0 && x < bins, input(ci, clamp(x, 0, bins - 1), c, g), 0.f);
        weight_co_inner(co, ci, k) = weight(k, ci, co);
        r = RDom(0, channels_in, 0, kernel, "r");
        conv(co, x, c, g) = bias(co);
        conv(co, x, c, g) +=
            weight_co_inner(co, r.x, r.y) * input_padded(r.x, x + r.y * dilation - pad, c, g);
        // ReLU outputs are >= 0, so 0 is an exact starting point for the maximum as well as the sum.
        rc = RDom(0, cells, "rc");
        Expr activation = max(conv(co, x, rc, g), 0.f);
        pool(co, x, g) = 0.f;
        pool(co, x, g) = select(pooling == 0, pool(co, x, g) + activation / cast<float>(cells),
                                max(pool(co, x, g), activation));
        pooled(co, x, g) = pool(co, x, g);

        /* ESTIMATES */
        input.set_estimates({{0, 32}, {0, 200}, {0, 12}, {0, 256}});
        weight.set_estimates({{0, 11}, {0, 32}, {0, 32}});
        bias.set_estimates({{0, 32}});
        dilation.set_estimate(1);
        pooling.set_estimate(0);
        pooled.set_estimates({{0, 32}, {0, 200}, {0, 256}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_conv_pool(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnConvPool, pecnn_conv_pool)
