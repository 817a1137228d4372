// One Adam step (torch.optim.Adam's update, no weight decay) over the network's parameters as one flat
// buffer, with its gradient and both moment buffers, updated in place:
//   m = beta1 m + (1 - beta1) g        v = beta2 v + (1 - beta2) g^2
//   p = p - step_size m / (sqrt(v) / bias2_sqrt + eps)
// where the host computes step_size = lr / (1 - beta1^t) and bias2_sqrt = sqrt(1 - beta2^t) in double,
// as PyTorch does. Zero-padded channels have zero gradients, so they stay exactly zero.
//
// The three outputs are one Tuple-valued Func computed in one loop, so element i reads its old
// parameter and moments before writing the new ones: the runtime passes the same memory as input and
// output.
#include "Halide.h"

#include "schedules/pecnn_adam_schedule.h"
#include "schedules/pecnn_target.h"

namespace {

using namespace Halide;

class PecnnAdam : public Generator<PecnnAdam> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule.
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    Input<Buffer<float, 1>> parameter{"parameter"};
    Input<Buffer<float, 1>> gradient{"gradient"};
    Input<Buffer<float, 1>> exp_avg{"exp_avg"};
    Input<Buffer<float, 1>> exp_avg_sq{"exp_avg_sq"};
    Input<float> beta1{"beta1"};
    Input<float> beta2{"beta2"};
    Input<float> one_minus_beta1{"one_minus_beta1"};
    Input<float> one_minus_beta2{"one_minus_beta2"};
    Input<float> step_size{"step_size"};
    Input<float> bias2_sqrt{"bias2_sqrt"};
    Input<float> eps{"eps"};
    Output<Func> updated{"updated", {Float(32), Float(32), Float(32)}, 1}; // parameter, exp_avg, exp_avg_sq

    Var i{"i"};

    void generate() {
        /* THE ALGORITHM */
        Expr g = gradient(i);
        // The operation order of PyTorch's single-tensor Adam (mul_ then add_, addcmul_, sqrt / bias2_sqrt
        // + eps, addcdiv_).
        Expr m = exp_avg(i) * beta1 + g * one_minus_beta1;
        Expr v = exp_avg_sq(i) * beta2 + g * g * one_minus_beta2;
        Expr denom = sqrt(v) / bias2_sqrt + eps;
        Expr p = parameter(i) - step_size * (m / denom);
        updated(i) = Tuple(p, m, v);

        /* ESTIMATES: the default network's 37,569 parameters, padded */
        parameter.set_estimates({{0, 37632}});
        gradient.set_estimates({{0, 37632}});
        exp_avg.set_estimates({{0, 37632}});
        exp_avg_sq.set_estimates({{0, 37632}});
        beta1.set_estimate(0.9f);
        beta2.set_estimate(0.999f);
        one_minus_beta1.set_estimate(0.1f);
        one_minus_beta2.set_estimate(0.001f);
        step_size.set_estimate(1e-3f);
        bias2_sqrt.set_estimate(1.f);
        eps.set_estimate(1e-8f);
        updated.set_estimates({{0, 37632}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_adam(*this, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnAdam, pecnn_adam)
