// Backward of one conv block's max-pool, activation and dropout: the gradient of the block's pooled,
// activated, dropped-out output -> the gradient of its unpooled convolution output.
//   grad_conv(c, x, b) = grad_pooled(c, xp, b) * mask(c, xp, b)   if x is the first position of its pool
//                                                                    window xp = x / pool holding the
//                                                                    window's maximum and that maximum > 0
//                      = 0                                         otherwise (and past the last window)
// `activation` is the forward's convolution output through relu (the training forward runs the conv
// pipeline with relu and pool 1 and pools on the host). Both activations share this derivative: relu's and
// the threshold's (<= 0 becomes 1e-6) is 1 exactly where the convolution is > 0, which relu keeps visible.
// Both are non-decreasing, so the window's first maximum of relu(conv) is PyTorch's max_pool1d index
// whenever the gradient through it is not 0.
//
// Layouts (Halide order, innermost first): activation and grad_conv (c, x, b); grad_pooled (c, xp, b);
// mask (c, xp, m) dropout multipliers (0 or 1 / (1 - p); all ones without dropout), m of extent 1 (shared
// by the batch) or the batch's.
#include "Halide.h"

#include "schedules/pecnn_target.h"
#include "schedules/seqcnn_pool_backward_schedule.h"

namespace {

using namespace Halide;

class SeqcnnPoolBackward : public Generator<SeqcnnPoolBackward> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule.
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    Input<Buffer<float, 3>> activation{"activation"};
    Input<Buffer<float, 3>> grad_pooled{"grad_pooled"};
    Input<Buffer<float, 3>> mask{"mask"};
    Input<int> pool{"pool", 1, 1, 4096};
    Output<Buffer<float, 3>> grad_conv{"grad_conv"};

    Var c{"c"}, x{"x"}, xp{"xp"}, b{"b"};
    Func first_max{"first_max"};
    RDom rp;

    void generate() {
        /* THE ALGORITHM */
        Expr pooled_length = grad_pooled.dim(1).extent();
        rp = RDom(0, pool, "rp");
        // Halide's argmax keeps the first of equal values, as PyTorch's max_pool1d does.
        first_max(c, xp, b) = argmax(rp, activation(c, xp * pool + rp, b));

        Expr window = min(x / pool, pooled_length - 1);
        Expr m = mask(c, window, clamp(b, 0, mask.dim(2).max()));
        Expr chosen = x < pooled_length * pool && x - window * pool == first_max(c, window, b)[0] &&
                      activation(c, x, b) > 0.f;
        grad_conv(c, x, b) = select(chosen, grad_pooled(c, window, b) * m, 0.f);

        /* ESTIMATES: DeepSEA-small's first block (64 channels, 393 positions, pool 4), 64 sequences */
        activation.set_estimates({{0, 64}, {0, 393}, {0, 64}});
        grad_pooled.set_estimates({{0, 64}, {0, 98}, {0, 64}});
        mask.set_estimates({{0, 64}, {0, 98}, {0, 64}});
        grad_conv.set_estimates({{0, 64}, {0, 393}, {0, 64}});
        pool.set_estimate(4);
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_pool_backward(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnPoolBackward, seqcnn_pool_backward)
