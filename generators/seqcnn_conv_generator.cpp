// One conv block of the sequence CNN: Conv1d + bias, max-pool (kernel = stride = pool, floor), activation,
// and, in the masked variant, inverted dropout by a given multiplier mask. Pooling comes before the
// activation here: both activations are non-decreasing, so max(act(a), act(b)) = act(max(a, b)) exactly,
// and the activation runs on 1/pool of the values.
//
// Layouts (Halide order, innermost first):
//   input   (ci, x, b) causeway activations, channels innermost; or (x, ci, b) when one_hot_input, which
//           is the caller's one-hot [B, 4, L] read in place.
//   weight  (k, ci, co) PyTorch's Conv1d weight [co, ci, k]; co a multiple of 32 (the runtime pads).
//   mask    (co_i, co_o, xp, m) multipliers (0 or 1 / (1 - p)); m has extent 1 (one mask for the whole
//           batch, as in mutant batches under a shared MC-dropout sample) or the batch's.
//   output  (co_i, co_o, xp, b) channels innermost in blocks of 32 (co = 32 co_o + co_i): the same memory
//           as (co, xp, b), which is how the next layer reads it. The blocks let each block's weights be one
//           contiguous stream: laid out (co, ci, k), a block's weights at DeepSEA's third layer sat 3.8 KB
//           apart and each tile touched 3840 pages, thrashing the TLB (54 GFLOP/s, half the second layer's).
// The unpooled position x reads input positions x - pad_left + k; positions outside the input read 0.
#include "Halide.h"

#include "schedules/seqcnn_conv_schedule.h"

namespace {

using namespace Halide;

class SeqcnnConv : public Generator<SeqcnnConv> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule, and a
    // register block to try (0: the tuned or the hand one).
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    GeneratorParam<int> x_block{"x_block", 0};
    GeneratorParam<bool> one_hot_input{"one_hot_input", false};
    GeneratorParam<bool> masked{"masked", false};

    Input<Buffer<float, 3>> input{"input"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 1>> bias{"bias"};
    Input<int> pad_left{"pad_left", 0, 0, 4096};
    Input<int> pool{"pool", 1, 1, 4096};
    Input<int> activation{"activation", 0, 0, 1}; // 0 relu, 1 threshold (<= 0 becomes 1e-6)
    Input<Buffer<float, 4>> mask{"mask"};
    Output<Buffer<float, 4>> output{"output"};

    Var co_i{"co_i"}, co_o{"co_o"}, ci{"ci"}, x{"x"}, xp{"xp"}, b{"b"}, k{"k"};
    Func input_padded{"input_padded"}, weight_blocked{"weight_blocked"}, conv{"conv"}, pooled{"pooled"};
    RDom r, rp;

    void generate() {
        /* THE ALGORITHM */
        const int length_dim = one_hot_input ? 0 : 1;
        Expr length = input.dim(length_dim).extent();
        Expr channels_in = input.dim(1 - length_dim).extent();
        Expr kernel = weight.dim(0).extent();

        Expr xc = clamp(x, 0, length - 1);
        Expr value = one_hot_input ? input(xc, ci, b) : input(ci, xc, b);
        input_padded(ci, x, b) = select(x >= 0 && x < length, value, 0.f);
        // Output channel innermost so that a vector of output channels is one load; one block contiguous.
        const int block = 32;
        weight_blocked(co_i, ci, k, co_o) = weight(k, ci, co_o * block + co_i);

        r = RDom(0, channels_in, 0, kernel, "r");
        conv(co_i, co_o, x, b) = bias(co_o * block + co_i);
        conv(co_i, co_o, x, b) +=
            weight_blocked(co_i, r.x, r.y, co_o) * input_padded(r.x, x + r.y - pad_left, b);

        rp = RDom(1, pool - 1, "rp");
        pooled(co_i, co_o, xp, b) = conv(co_i, co_o, xp * pool, b);
        pooled(co_i, co_o, xp, b) = max(pooled(co_i, co_o, xp, b), conv(co_i, co_o, xp * pool + rp, b));

        Expr v = pooled(co_i, co_o, xp, b);
        Expr activated = select(activation == 0, max(v, 0.f), select(v > 0.f, v, 1e-6f));
        if (masked) {
            activated = activated * mask(co_i, co_o, xp, clamp(b, 0, mask.dim(3).max()));
        }
        output(co_i, co_o, xp, b) = activated;
        output.dim(0).set_bounds(0, block);
        if (masked) mask.dim(0).set_bounds(0, block);

        /* ESTIMATES: DeepSEA's first and second blocks, 64 sequences of 1000 bases */
        if (one_hot_input) {
            input.set_estimates({{0, 1000}, {0, 4}, {0, 64}});
            weight.set_estimates({{0, 8}, {0, 4}, {0, 320}});
            bias.set_estimates({{0, 320}});
            mask.set_estimates({{0, 32}, {0, 10}, {0, 248}, {0, 64}});
            output.set_estimates({{0, 32}, {0, 10}, {0, 248}, {0, 64}});
        } else {
            input.set_estimates({{0, 320}, {0, 248}, {0, 64}});
            weight.set_estimates({{0, 8}, {0, 320}, {0, 480}});
            bias.set_estimates({{0, 480}});
            mask.set_estimates({{0, 32}, {0, 15}, {0, 60}, {0, 64}});
            output.set_estimates({{0, 32}, {0, 15}, {0, 60}, {0, 64}});
        }
        pad_left.set_estimate(0);
        pool.set_estimate(4);
        activation.set_estimate(1);
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_conv(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnConv, seqcnn_conv)
