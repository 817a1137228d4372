// One conv block of the incremental mutant evaluation (runtime/seqcnn_mutants.cpp): carries a batch of
// mutants' *changes* through the block, exact under a shared dropout mask.
//
// The batch is groups g of columns nl. A group is one substituted position on one strand; its columns are
// the (alternative base, MC sample) pairs there. Every column of a group shares the group's windows: the
// change of the block's input is confined to input positions [a, a + U) (U = delta_in's extent; one
// position for the one-hot first block) and the change of the block's output to pooled positions
// [ws, ws + W) (W = delta_out's extent). window(0, g) = shift = a + pad_left - ws * pool, window(1, g) = ws.
//
//   Y(co, j, u, n)     = sum_ci weight(co, ci, j) * delta_in(ci, u, n)       the change's only products: a
//                        matrix product over the U changed columns, all taps at once ((co, j) x ci x (u, n))
//                        (one_hot_input: Y(co, j, 0, n) = weight(co, alt, j) - weight(co, ref, j), a lookup)
//   dpre(co, xw, n)    = sum_{u < U} Y(co, j = u + shift - xw, u, n), taps j outside [0, k) skipped: the
//                        change of the conv output at position ws * pool + xw (Y gathered, not recomputed)
//   delta_out(co, w, n) = act(max_q (pre + dpre)(co, (ws + w) * pool + q)) * mask(co, ws + w)
//                         - act(max_q pre(co, (ws + w) * pool + q)) * mask(co, ws + w)
// where pre and mask are the reference's pre-activations and the dropout multipliers of the column's slot
// (MC sample x strand), column(0, nl, g). Positions of the window the change does not reach get dpre = 0
// exactly, hence delta_out = 0 exactly.
//
// Layouts (Halide order, innermost first), channels in blocks of 32 (co = 32 co_o + co_i):
//   delta_in  (ci, u, nl, g)          the previous block's delta_out viewed with channels flattened (a
//                                     multiple of 32 channels)
//   weight    (co_i, ci, j, co_o)     output channel innermost, one block's weights contiguous
//   reference (co_i, co_o, x, s)      pre-activations at every conv position (seqcnn_incremental_reference)
//   mask      (co_i, co_o, xp, s)
//   column    (field, nl, g)          0: reference slot s; one_hot_input: 1 reference base, 2 alternative
//   window    (field, g)              0: shift, 1: ws
//   delta_out (co_i, co_o, w, nl, g)
#include "Halide.h"

#include "schedules/seqcnn_incremental_schedule.h"

namespace {

using namespace Halide;

class SeqcnnIncrementalConv : public Generator<SeqcnnIncrementalConv> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> one_hot_input{"one_hot_input", false};

    Input<Buffer<float, 4>> delta_in{"delta_in"}; // ignored with one_hot_input
    Input<Buffer<float, 4>> weight{"weight"};
    Input<Buffer<float, 4>> reference{"reference"};
    Input<Buffer<float, 4>> mask{"mask"};
    Input<Buffer<int32_t, 3>> column{"column"};
    Input<Buffer<int32_t, 2>> window{"window"};
    Input<int> pool{"pool", 1, 1, 4096};
    Input<int> activation{"activation", 0, 0, 1}; // 0 relu, 1 threshold (<= 0 becomes 1e-6)
    Output<Buffer<float, 5>> delta_out{"delta_out"};

    Var ci{"ci"}, co_i{"co_i"}, co_o{"co_o"}, j{"j"}, u{"u"}, xw{"xw"}, w{"w"}, nl{"nl"}, g{"g"}, c{"c"};
    Func delta_columns{"delta_columns"}, products{"products"}, products_chunk{"products_chunk"},
        products_sum{"products_sum"}, delta_pre{"delta_pre"}, mutant_pooled{"mutant_pooled"},
        reference_pooled{"reference_pooled"};
    RDom r, rc, ru, rp;
    // Input channels per partial sum; delta_in's channel count is a multiple of it.
    static constexpr int chunk = 32;

    void generate() {
        /* THE ALGORITHM */
        const int block = 32;
        Expr kernel = weight.dim(2).extent();
        Expr changed = one_hot_input ? Expr(1) : delta_in.dim(1).extent();
        if (one_hot_input) {
            Expr ref = clamp(column(1, nl, g), 0, 3), alt = clamp(column(2, nl, g), 0, 3);
            products(co_i, co_o, j, u, nl, g) = weight(co_i, alt, j, co_o) - weight(co_i, ref, j, co_o);
        } else {
            // Summed chunk by chunk of input channels (the runtime pads channels to a multiple of the
            // chunk), each chunk's sum apart so that the schedule can keep it in registers while a chunk of
            // weights and of the group's columns stays in L1.
            r = RDom(0, chunk, "r");
            rc = RDom(0, delta_in.dim(0).extent() / chunk, "rc");
            // Columns innermost, so that a register block's broadcasts sit at constant offsets (read from
            // delta_in, LLVM computed their addresses in vectors and extracted them: a quarter of the time).
            // Clamped so that a register block of columns may run past the group's end (never stored).
            delta_columns(nl, ci, u, g) = delta_in(ci, u, clamp(nl, 0, delta_in.dim(2).max()), g);
            products_sum(co_i, co_o, j, u, nl, g) = 0.f;
            if (get_target().has_gpu_feature()) {
                // One thread per sum (schedules/cuda): no chunks to keep in cache.
                RDom rall(0, delta_in.dim(0).extent(), "rall");
                products_sum(co_i, co_o, j, u, nl, g) +=
                    weight(co_i, rall, j, co_o) * delta_columns(nl, rall, u, g);
            } else {
                products_chunk(co_i, co_o, j, u, nl, c, g) = 0.f;
                products_chunk(co_i, co_o, j, u, nl, c, g) +=
                    weight(co_i, c * chunk + r, j, co_o) * delta_columns(nl, c * chunk + r, u, g);
                products_sum(co_i, co_o, j, u, nl, g) += products_chunk(co_i, co_o, j, u, nl, rc, g);
            }
            products(co_i, co_o, j, u, nl, g) = products_sum(co_i, co_o, j, u, nl, g);
        }

        ru = RDom(0, changed, "ru");
        Expr shift = window(0, g), ws = window(1, g);
        Expr tap = ru + shift - xw;
        delta_pre(co_i, co_o, xw, nl, g) = 0.f;
        delta_pre(co_i, co_o, xw, nl, g) +=
            select(tap >= 0 && tap < kernel, products(co_i, co_o, clamp(tap, 0, kernel - 1), ru, nl, g), 0.f);

        // The runtime keeps windows and slots in range; the clamps only bound the accesses.
        Expr slot = clamp(column(0, nl, g), 0, reference.dim(3).max());
        Expr xp = clamp(ws + w, 0, mask.dim(2).max());
        auto pre = [&](Expr q) {
            return reference(co_i, co_o, clamp(xp * pool + q, 0, reference.dim(2).max()), slot);
        };
        rp = RDom(1, pool - 1, "rp");
        reference_pooled(co_i, co_o, w, nl, g) = pre(0);
        reference_pooled(co_i, co_o, w, nl, g) = max(reference_pooled(co_i, co_o, w, nl, g), pre(rp));
        mutant_pooled(co_i, co_o, w, nl, g) = pre(0) + delta_pre(co_i, co_o, w * pool, nl, g);
        mutant_pooled(co_i, co_o, w, nl, g) =
            max(mutant_pooled(co_i, co_o, w, nl, g), pre(rp) + delta_pre(co_i, co_o, w * pool + rp, nl, g));

        auto activate = [&](Expr v) {
            return select(activation == 0, max(v, 0.f), select(v > 0.f, v, 1e-6f));
        };
        Expr m = mask(co_i, co_o, xp, clamp(slot, 0, mask.dim(3).max()));
        delta_out(co_i, co_o, w, nl, g) = activate(mutant_pooled(co_i, co_o, w, nl, g)) * m -
                                          activate(reference_pooled(co_i, co_o, w, nl, g)) * m;

        weight.dim(0).set_bounds(0, block);
        reference.dim(0).set_bounds(0, block);
        mask.dim(0).set_bounds(0, block);
        delta_out.dim(0).set_bounds(0, block);

        /* ESTIMATES: DeepSEA's third block (480 -> 960 channels, 4 changed input columns, 11 changed
           outputs), 4 groups of 152 columns (3 alternatives x 50 samples, padded) */
        if (one_hot_input) {
            delta_in.set_estimates({{0, 1}, {0, 1}, {0, 1}, {0, 1}});
            weight.set_estimates({{0, 32}, {0, 4}, {0, 8}, {0, 10}});
            reference.set_estimates({{0, 32}, {0, 10}, {0, 993}, {0, 100}});
            mask.set_estimates({{0, 32}, {0, 10}, {0, 248}, {0, 100}});
            delta_out.set_estimates({{0, 32}, {0, 10}, {0, 3}, {0, 152}, {0, 4}});
        } else {
            delta_in.set_estimates({{0, 480}, {0, 4}, {0, 152}, {0, 4}});
            weight.set_estimates({{0, 32}, {0, 480}, {0, 8}, {0, 30}});
            reference.set_estimates({{0, 32}, {0, 30}, {0, 53}, {0, 100}});
            mask.set_estimates({{0, 32}, {0, 30}, {0, 53}, {0, 100}});
            delta_out.set_estimates({{0, 32}, {0, 30}, {0, 11}, {0, 152}, {0, 4}});
        }
        column.set_estimates({{0, 3}, {0, 152}, {0, 4}});
        window.set_estimates({{0, 2}, {0, 4}});
        pool.set_estimate(1);
        activation.set_estimate(1);
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_incremental_conv(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnIncrementalConv, seqcnn_incremental_conv)
