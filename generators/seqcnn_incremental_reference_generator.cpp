// The reference's side of the incremental mutant evaluation (runtime/seqcnn_mutants.cpp): one conv block
// of the sequence CNN over a batch of reference slots (MC sample x strand), returning what the mutants'
// updates need, both the pre-activations and the block's output:
//   pre(co, x, s)  = bias(co) + sum_{ci, j} weight(co, ci, j) * input(ci, x - pad_left + j, s)   (every conv
//                    position; positions outside the input read 0)
//   out(co, xp, s) = act(max_{q < pool} pre(co, xp * pool + q, s)) * mask(co, xp, s)
// Pooling before the activation, as in seqcnn_conv: both activations are non-decreasing.
//
// Layouts (Halide order, innermost first), channels in blocks of 32 (co = 32 co_o + co_i):
//   input   (ci, x, s)          channels innermost (the previous block's out viewed as (ci, x, s))
//   weight  (co_i, ci, j, co_o) output channel innermost, one block's weights contiguous
//   bias    (co)
//   mask    (co_i, co_o, xp, s) multipliers, 0 or 1 / (1 - p) (all 1 without dropout)
//   pre     (co_i, co_o, x, s), out (co_i, co_o, xp, s)
#include "Halide.h"

#include "schedules/seqcnn_incremental_schedule.h"

namespace {

using namespace Halide;

class SeqcnnIncrementalReference : public Generator<SeqcnnIncrementalReference> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    Input<Buffer<float, 3>> input{"input"};
    Input<Buffer<float, 4>> weight{"weight"};
    Input<Buffer<float, 1>> bias{"bias"};
    Input<Buffer<float, 4>> mask{"mask"};
    Input<int> pad_left{"pad_left", 0, 0, 4096};
    Input<int> pool{"pool", 1, 1, 4096};
    Input<int> activation{"activation", 0, 0, 1}; // 0 relu, 1 threshold (<= 0 becomes 1e-6)
    Input<int> chunk{"chunk", 16, 1, 4096};       // input channels per partial sum; divides input's
    Output<Buffer<float, 4>> pre{"pre"};
    Output<Buffer<float, 4>> out{"out"};

    Var co_i{"co_i"}, co_o{"co_o"}, x{"x"}, xp{"xp"}, s{"s"}, ci{"ci"};
    Var c{"c"};
    Func input_padded{"input_padded"}, conv{"conv"}, conv_chunk{"conv_chunk"}, pooled{"pooled"};
    RDom r, rc, rp;

    void generate() {
        /* THE ALGORITHM */
        const int block = 32;
        Expr length = input.dim(1).extent();
        input_padded(ci, x, s) = select(x >= 0 && x < length, input(ci, clamp(x, 0, length - 1), s), 0.f);
        conv(co_i, co_o, x, s) = bias(co_o * block + co_i);
        if (get_target().has_gpu_feature()) {
            // One thread per sum (schedules/cuda): no chunks to keep in cache.
            r = RDom(0, input.dim(0).extent(), 0, weight.dim(2).extent(), "r");
            conv(co_i, co_o, x, s) += weight(co_i, r.x, r.y, co_o) * input_padded(r.x, x - pad_left + r.y, s);
        } else {
            // Summed chunk by chunk of input channels, each chunk's sum apart so that the schedule can keep
            // it in registers while the chunk's weights and input rows stay in L1.
            r = RDom(0, chunk, 0, weight.dim(2).extent(), "r");
            rc = RDom(0, input.dim(0).extent() / chunk, "rc");
            conv_chunk(co_i, co_o, x, c, s) = 0.f;
            conv_chunk(co_i, co_o, x, c, s) += weight(co_i, c * chunk + r.x, r.y, co_o) *
                                               input_padded(c * chunk + r.x, x - pad_left + r.y, s);
            conv(co_i, co_o, x, s) += conv_chunk(co_i, co_o, x, rc, s);
        }
        pre(co_i, co_o, x, s) = conv(co_i, co_o, x, s);

        rp = RDom(1, pool - 1, "rp");
        pooled(co_i, co_o, xp, s) = pre(co_i, co_o, xp * pool, s);
        pooled(co_i, co_o, xp, s) = max(pooled(co_i, co_o, xp, s), pre(co_i, co_o, xp * pool + rp, s));
        Expr v = pooled(co_i, co_o, xp, s);
        Expr activated = select(activation == 0, max(v, 0.f), select(v > 0.f, v, 1e-6f));
        out(co_i, co_o, xp, s) = activated * mask(co_i, co_o, xp, s);

        weight.dim(0).set_bounds(0, block);
        mask.dim(0).set_bounds(0, block);
        pre.dim(0).set_bounds(0, block);
        out.dim(0).set_bounds(0, block);

        /* ESTIMATES: DeepSEA's second block, 50 MC samples x 2 strands */
        input.set_estimates({{0, 320}, {0, 248}, {0, 100}});
        weight.set_estimates({{0, 32}, {0, 320}, {0, 8}, {0, 15}});
        bias.set_estimates({{0, 480}});
        mask.set_estimates({{0, 32}, {0, 15}, {0, 60}, {0, 100}});
        pre.set_estimates({{0, 32}, {0, 15}, {0, 241}, {0, 100}});
        out.set_estimates({{0, 32}, {0, 15}, {0, 60}, {0, 100}});
        pad_left.set_estimate(0);
        pool.set_estimate(4);
        activation.set_estimate(1);
        chunk.set_estimate(16);
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_incremental_reference(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnIncrementalReference, seqcnn_incremental_reference)
