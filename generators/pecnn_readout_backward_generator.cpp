// PECNN head, forward and backward in one pass: predictions, the masked mean-squared-error loss (NaN
// targets are unknown and ignored; the mean is over the known ones, as PyTorch's
// mse_loss(pred[mask], target[mask])), the readout's gradients, dL/dprediction (the readout's direct path
// into h, added by the invariant layer's input gradient), and the pooling's gradient in per-gene form:
// pool_grad and pooled, from which the invariant layer's backward pipelines form dL/d(invariant output)
// on the fly (dL/dpooled spread over cells) instead of reading a tensor as large as the activations.
#include "Halide.h"

#include "generators/pecnn_readout_algorithm.h"
#include "schedules/pecnn_readout_schedule.h"
#include "schedules/pecnn_target.h"

namespace {

using namespace Halide;

class PecnnReadoutBackward : public Generator<PecnnReadoutBackward> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule.
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    Input<Buffer<float, 4>> hidden{"hidden"};
    Input<Buffer<float, 4>> invariant{"invariant"};
    Input<Buffer<float, 2>> readout_weight{"readout_weight"};
    Input<Buffer<float, 1>> readout_bias{"readout_bias"};
    Input<int> pooling{"pooling", 0, 0, 1};
    Input<Buffer<float, 2>> observed{"observed"}; // (c, g), NaN where unknown
    Output<Buffer<float, 2>> prediction{"prediction"};
    Output<Buffer<float, 0>> loss{"loss"};
    Output<Buffer<float, 2>> prediction_grad{"prediction_grad"};         // (c, g)
    Output<Buffer<float, 2>> readout_weight_grad{"readout_weight_grad"}; // (x, ch)
    Output<Buffer<float, 1>> readout_bias_grad{"readout_bias_grad"};
    // dL/d(invariant output)(ch, x, c, g) = pool_grad(ch, x, g) where the cell shares in the pool: every
    // cell for mean pooling; cells equal to pooled(ch, x, g) for max pooling (ties split evenly, as
    // PyTorch's amax).
    Output<Buffer<float, 3>> pool_grad{"pool_grad"}; // (ch, x, g)
    Output<Buffer<float, 3>> pooled{"pooled"};       // (ch, x, g)

    causeway::PecnnReadoutAlgorithm a;
    Var ch{"ch"}, x{"x"}, c{"c"}, g{"g"};
    Func known{"known"}, residual{"residual"}, count{"count"}, squares{"squares"}, pred_grad{"pred_grad"},
        gene_grad{"gene_grad"}, weight_grad_cell{"weight_grad_cell"}, weight_grad_gene{"weight_grad_gene"},
        ties{"ties"}, bias_sum{"bias_sum"};
    RDom rt, rg;

    void generate() {
        /* THE ALGORITHM */
        a.define_pooling(invariant, pooling);
        a.define_readout(hidden, readout_weight, readout_bias);
        Expr cells = observed.dim(0).extent(), genes = observed.dim(1).extent();
        Expr hp = hidden.dim(0).extent();

        residual(c, g) = select(is_nan(observed(c, g)), 0.f, a.prediction(c, g) - observed(c, g));
        rt = RDom(0, cells, 0, genes, "rt");
        count() = 0;
        count() += select(is_nan(observed(rt.x, rt.y)), 0, 1);
        squares() = 0.f;
        squares() += residual(rt.x, rt.y) * residual(rt.x, rt.y);
        Expr denominator = cast<float>(max(count(), 1));
        pred_grad(c, g) = 2.f * residual(c, g) / denominator;

        prediction(c, g) = a.prediction(c, g);
        loss() = squares() / denominator;
        prediction_grad(c, g) = pred_grad(c, g);
        bias_sum() = 0.f;
        bias_sum() += pred_grad(rt.x, rt.y);
        readout_bias_grad(x) = bias_sum();

        // The pooled half reaches the loss through every cell type of its gene.
        gene_grad(g) = 0.f;
        gene_grad(g) += pred_grad(a.rc, g);
        weight_grad_cell(ch, x) = 0.f;
        weight_grad_cell(ch, x) += pred_grad(rt.x, rt.y) * hidden(ch, x, rt.x, rt.y);
        rg = RDom(0, genes, "rg");
        weight_grad_gene(ch, x) = 0.f;
        weight_grad_gene(ch, x) += gene_grad(rg) * a.pooled(ch, x, rg);
        readout_weight_grad(x, ch) =
            select(ch < hp, weight_grad_cell(min(ch, hp - 1), x), weight_grad_gene(max(ch - hp, 0), x));

        // Mean pooling spreads the gradient evenly over cell types; max pooling sends it to the maxima,
        // split evenly between ties as PyTorch's amax does.
        ties(ch, x, g) = 0;
        ties(ch, x, g) += select(invariant(ch, x, a.rc, g) == a.pooled(ch, x, g), 1, 0);
        Expr share =
            select(pooling == 0, 1.f / cast<float>(cells), 1.f / cast<float>(max(ties(ch, x, g), 1)));
        pool_grad(ch, x, g) = gene_grad(g) * readout_weight(x, hp + ch) * share;
        pooled(ch, x, g) = a.pooled(ch, x, g);

        /* ESTIMATES */
        hidden.set_estimates({{0, 32}, {0, 200}, {0, 12}, {0, 256}});
        invariant.set_estimates({{0, 32}, {0, 200}, {0, 12}, {0, 256}});
        readout_weight.set_estimates({{0, 200}, {0, 64}});
        readout_bias.set_estimates({{0, 1}});
        pooling.set_estimate(0);
        observed.set_estimates({{0, 12}, {0, 256}});
        prediction.set_estimates({{0, 12}, {0, 256}});
        prediction_grad.set_estimates({{0, 12}, {0, 256}});
        readout_weight_grad.set_estimates({{0, 200}, {0, 64}});
        readout_bias_grad.set_estimates({{0, 1}});
        pool_grad.set_estimates({{0, 32}, {0, 200}, {0, 256}});
        pooled.set_estimates({{0, 32}, {0, 200}, {0, 256}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_readout_backward(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnReadoutBackward, pecnn_readout_backward)
