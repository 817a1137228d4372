// The sequence CNN's last dense layer and its multi-task loss for training: logits z = W h + b, then
// PyTorch's BCEWithLogitsLoss (mean reduction over sequences x tasks) and its gradient:
//   loss(b)           = sum_t max(z, 0) - z y + log(1 + exp(-|z|))   (per sequence; the host sums in double
//                                                                    and divides by batch x tasks)
//   grad_logits(t, b) = (sigmoid(z) - y) * scale                      (scale = 1 / (batch x tasks))
//
// Layouts (Halide order, innermost first):
//   features  (i, b)       the layer's input (the previous dense layer's output, or the conv features).
//   weight    (ti, i, tb)  the forward dense pipeline's blocked buffer (t = 32 tb + ti), zero past the tasks.
//   bias      (t)          padded to a multiple of 32 with zeros.
//   labels, grad_logits (t, b), t over the tasks only.
#include "Halide.h"

#include "schedules/pecnn_target.h"
#include "schedules/seqcnn_loss_schedule.h"

namespace {

using namespace Halide;

class SeqcnnLoss : public Generator<SeqcnnLoss> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule.
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    Input<Buffer<float, 2>> features{"features"};
    Input<Buffer<float, 3>> weight{"weight"};
    Input<Buffer<float, 1>> bias{"bias"};
    Input<Buffer<float, 2>> labels{"labels"};
    Input<float> scale{"scale"};
    Output<Buffer<float, 2>> grad_logits{"grad_logits"};
    Output<Buffer<float, 1>> loss{"loss"};

    Var t{"t"}, b{"b"};
    Func logits{"logits"}, loss_sum{"loss_sum"};
    RDom r, rt;

    void generate() {
        /* THE ALGORITHM */
        const int block = 32;
        weight.dim(0).set_bounds(0, block);
        r = RDom(0, features.dim(0).extent(), "r");
        logits(t, b) = bias(t);
        logits(t, b) += weight(t % block, r, t / block) * features(r, b);

        Expr z = logits(t, b), y = labels(t, b);
        grad_logits(t, b) = (1.f / (1.f + exp(-z)) - y) * scale;

        rt = RDom(0, labels.dim(0).extent(), "rt");
        Expr zt = logits(rt, b), yt = labels(rt, b);
        loss_sum(b) = 0.f;
        loss_sum(b) += max(zt, 0.f) - zt * yt + log(1.f + exp(-abs(zt)));
        loss(b) = loss_sum(b);

        /* ESTIMATES: 13 tasks from 128 units, 64 sequences */
        features.set_estimates({{0, 128}, {0, 64}});
        weight.set_estimates({{0, 32}, {0, 128}, {0, 1}});
        bias.set_estimates({{0, 32}});
        labels.set_estimates({{0, 13}, {0, 64}});
        scale.set_estimate(1.f / (13 * 64));
        grad_logits.set_estimates({{0, 13}, {0, 64}});
        loss.set_estimates({{0, 64}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_seqcnn_loss(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(SeqcnnLoss, seqcnn_loss)
