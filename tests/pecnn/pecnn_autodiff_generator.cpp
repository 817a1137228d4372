// Test oracle: the PECNN forward pass written plainly in PyTorch's layouts, differentiated by Halide's
// own propagate_adjoints. The hand-written backward pipelines in generators/ must agree with it.
#include "Halide.h"

namespace {

using namespace Halide;

class PecnnAutodiff : public Generator<PecnnAutodiff> {
public:
    GeneratorParam<int> depth{"depth", 2, 1, 3};

    Input<Buffer<float, 4>> input{"input"};                           // (x, m, c, g): [G, C, M, L]
    Input<Buffer<float, 4>> equivariant_weight{"equivariant_weight"}; // (k, ci, co, layer), ci zero-padded
    Input<Buffer<float, 2>> equivariant_bias{"equivariant_bias"};     // (co, layer)
    // Scalars with declared ranges (not a buffer): autodiff needs bounded accesses. Layers past depth
    // ignore theirs.
    Input<int> dilation0{"dilation0", 1, 1, 8};
    Input<int> dilation1{"dilation1", 1, 1, 8};
    Input<int> dilation2{"dilation2", 1, 1, 8};
    Input<Buffer<float, 3>> invariant_weight{"invariant_weight"}; // (k, ci, co)
    Input<Buffer<float, 1>> invariant_bias{"invariant_bias"};
    Input<Buffer<float, 2>> readout_weight{"readout_weight"}; // (x, ch): [1, 2H, 1, L]
    Input<Buffer<float, 1>> readout_bias{"readout_bias"};
    Input<Buffer<float, 2>> observed{"observed"}; // (c, g)
    Output<Buffer<float, 0>> loss{"loss"};
    Output<Buffer<float, 4>> input_grad{"input_grad"};
    Output<Buffer<float, 4>> equivariant_weight_grad{"equivariant_weight_grad"};
    Output<Buffer<float, 2>> equivariant_bias_grad{"equivariant_bias_grad"};
    Output<Buffer<float, 3>> invariant_weight_grad{"invariant_weight_grad"};
    Output<Buffer<float, 1>> invariant_bias_grad{"invariant_bias_grad"};
    Output<Buffer<float, 2>> readout_weight_grad{"readout_weight_grad"};
    Output<Buffer<float, 1>> readout_bias_grad{"readout_bias_grad"};

    void generate() {
        Var ch("ch"), x("x"), c("c"), g("g");
        Expr bins = input.dim(0).extent(), marks = input.dim(1).extent(), cells = input.dim(2).extent();
        Expr genes = input.dim(3).extent();
        Expr hidden = equivariant_bias.dim(0).extent(), kernel = invariant_weight.dim(0).extent();
        std::vector<Func> forward;

        auto conv_relu = [&](Func in, Expr channels_in, Expr dilation, Func weight, Func bias,
                             const std::string &name) {
            Func padded(name + "_padded"), conv(name);
            padded(ch, x, c, g) = select(x >= 0 && x < bins, in(ch, clamp(x, 0, bins - 1), c, g), 0.f);
            RDom r(0, channels_in, 0, kernel);
            conv(ch, x, c, g) =
                bias(ch) +
                sum(weight(r.y, r.x, ch) * padded(r.x, x + r.y * dilation - dilation * (kernel / 2), c, g));
            Func out(name + "_relu");
            out(ch, x, c, g) = max(conv(ch, x, c, g), 0.f);
            forward.insert(forward.end(), {padded, conv, out});
            return out;
        };

        Func h("h0");
        h(ch, x, c, g) = input(x, ch, c, g);
        const Expr dilations[] = {dilation0, dilation1, dilation2};
        for (int i = 0; i < depth; ++i) {
            Func w("w" + std::to_string(i)), b("b" + std::to_string(i));
            Var k("k"), ci("ci"), co("co");
            w(k, ci, co) = equivariant_weight(k, ci, co, i);
            b(co) = equivariant_bias(co, i);
            forward.insert(forward.end(), {w, b});
            h = conv_relu(h, i == 0 ? marks : hidden, dilations[i], w, b, "layer" + std::to_string(i));
        }
        Func iw("iw"), ib("ib");
        Var k("k"), ci("ci"), co("co");
        iw(k, ci, co) = invariant_weight(k, ci, co);
        ib(co) = invariant_bias(co);
        Func inv = conv_relu(h, hidden, 1, iw, ib, "invariant");
        RDom rc(0, cells);
        Func pooled("pooled");
        // Mean pooling only: Halide 14's autodiff cannot differentiate maximum() (nor a running maximum
        // kept as a scan), so max pooling is checked against PyTorch and finite differences instead.
        pooled(ch, x, g) = sum(inv(ch, x, rc, g)) / cast<float>(cells);
        RDom rd(0, hidden, 0, bins);
        Func prediction("prediction");
        prediction(c, g) = readout_bias(0) + sum(readout_weight(rd.y, rd.x) * h(rd.x, rd.y, c, g)) +
                           sum(readout_weight(rd.y, hidden + rd.x) * pooled(rd.x, rd.y, g));
        RDom rt(0, cells, 0, genes);
        Expr known = !is_nan(observed(rt.x, rt.y));
        Func count("count"), squares("squares"), total("total");
        count() = sum(select(known, 1.f, 0.f));
        squares() = sum(select(known, pow(prediction(rt.x, rt.y) - observed(rt.x, rt.y), 2), 0.f));
        total() = squares() / count();
        forward.insert(forward.end(), {pooled, prediction, squares, total});
        count.compute_root();

        Derivative d = propagate_adjoints(total);
        loss() = total();
        Var a("a"), b2("b2"), c2("c2"), d2("d2");
        input_grad(a, b2, c2, d2) = d(input)(a, b2, c2, d2);
        equivariant_weight_grad(a, b2, c2, d2) = d(equivariant_weight)(a, b2, c2, d2);
        equivariant_bias_grad(a, b2) = d(equivariant_bias)(a, b2);
        invariant_weight_grad(a, b2, c2) = d(invariant_weight)(a, b2, c2);
        invariant_bias_grad(a) = d(invariant_bias)(a);
        readout_weight_grad(a, b2) = d(readout_weight)(a, b2);
        readout_bias_grad(a) = d(readout_bias)(a);

        // Small test shapes: everything at root keeps compile and run times short.
        for (Func f : forward) {
            f.compute_root();
            d(f).compute_root();
        }
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnAutodiff, pecnn_autodiff)
