// The PECNN's head, shared by the readout and readout-backward generators: pool the invariant branch over
// cell types (mean, or max as in the authors' code), tile it back, and apply the readout convolution,
// whose kernel spans all bins, to the concatenation [h, pooled]. Because the pooled half is the same for
// every cell type of a gene, its dot product is computed once per gene.
//
//   h, invariant   (ch, x, c, g)  channels padded to hidden_padded; pooled (ch, x, g)
//   readout_weight (x, ch)        PyTorch's [1, 2H, 1, L]; rows [0, Hp) act on h, [Hp, 2Hp) on the pool
#pragma once

#include "Halide.h"

namespace causeway {

struct PecnnReadoutAlgorithm {
    Halide::Var ch{"ch"}, x{"x"}, c{"c"}, g{"g"};
    Halide::Func pooled{"pooled"}, weight_ch_inner{"weight_ch_inner"}, per_cell{"per_cell"},
        per_gene{"per_gene"}, prediction{"prediction"};
    Halide::RDom rc, rd;
    Halide::Expr hidden_padded, cells;

    // Pools the invariant branch's per-cell activations (training, which needs them anyway).
    template <typename In4> void define_pooling(In4 &invariant, Halide::Expr pooling) {
        using namespace Halide;
        cells = invariant.dim(2).extent();
        rc = RDom(0, cells, "rc");
        Expr mean = sum(invariant(ch, x, rc, g)) / cast<float>(cells);
        Expr max = maximum(invariant(ch, x, rc, g));
        pooled(ch, x, g) = select(pooling == 0, mean, max);
    }

    // Takes the pooled branch as computed by pecnn_conv_pool (inference).
    template <typename In3> void define_pooled(In3 &pooled_input) {
        pooled(ch, x, g) = pooled_input(ch, x, g);
    }

    // The readout, once `pooled` is defined.
    template <typename In4, typename In2, typename In1>
    void define_readout(In4 &h, In2 &readout_weight, In1 &readout_bias) {
        using namespace Halide;
        hidden_padded = h.dim(0).extent();
        Expr bins = h.dim(1).extent();
        cells = h.dim(2).extent();
        weight_ch_inner(ch, x) = readout_weight(x, ch);
        rd = RDom(0, hidden_padded, 0, bins, "rd");
        per_cell(c, g) = 0.f;
        per_cell(c, g) += weight_ch_inner(rd.x, rd.y) * h(rd.x, rd.y, c, g);
        per_gene(g) = 0.f;
        per_gene(g) += weight_ch_inner(hidden_padded + rd.x, rd.y) * pooled(rd.x, rd.y, g);
        prediction(c, g) = readout_bias(0) + per_cell(c, g) + per_gene(g);
    }
};

} // namespace causeway
