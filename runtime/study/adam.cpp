#include "causeway/study/adam.h"

#include <cmath>
#include <utility>

#include <HalideBuffer.h>

#include "causeway/error.h"
#include "dispatch/pecnn_adam.h"
#include "halide_call.h"

namespace causeway {

using Halide::Runtime::Buffer;

Adam::Adam(int64_t size, AdamSettings settings)
    : settings_(settings), exp_avg_(static_cast<size_t>(size), 0.f),
      exp_avg_sq_(static_cast<size_t>(size), 0.f) {
    if (size <= 0 || size > INT32_MAX) fail("Adam: {} parameters is out of range", size);
    if (!(settings.beta1 >= 0 && settings.beta1 < 1) || !(settings.beta2 >= 0 && settings.beta2 < 1))
        fail("Adam: betas must lie in [0, 1), not {} and {}", settings.beta1, settings.beta2);
    if (!(settings.eps > 0)) fail("Adam: eps must be positive, not {}", settings.eps);
}

void Adam::step(float *parameters, const float *gradients, double lr) {
    ++steps_;
    // As torch.optim.Adam: the bias corrections in double, handed to the float update as scalars.
    const auto t = static_cast<double>(steps_);
    const double bias1 = 1 - std::pow(settings_.beta1, t), bias2 = 1 - std::pow(settings_.beta2, t);
    const double step_size = lr / bias1, bias2_sqrt = std::sqrt(bias2);
    const int n = static_cast<int>(size());
    Buffer<float> p(parameters, n), m(exp_avg_.data(), n), v(exp_avg_sq_.data(), n);
    Buffer<float> g(const_cast<float *>(gradients), n);
    // In place: the pipeline reads each element's old values before writing its new ones.
    detail::check_pipeline(
        pipeline::pecnn_adam(p, g, m, v, static_cast<float>(settings_.beta1),
                             static_cast<float>(settings_.beta2), static_cast<float>(1 - settings_.beta1),
                             static_cast<float>(1 - settings_.beta2), static_cast<float>(step_size),
                             static_cast<float>(bias2_sqrt), static_cast<float>(settings_.eps), p, m, v),
        "pecnn_adam");
}

void Adam::restore(int64_t steps, std::vector<float> exp_avg, std::vector<float> exp_avg_sq) {
    if (exp_avg.size() != exp_avg_.size() || exp_avg_sq.size() != exp_avg_sq_.size())
        fail("Adam: restored moments hold {} and {} values, expected {}", exp_avg.size(), exp_avg_sq.size(),
             exp_avg_.size());
    if (steps < 0) fail("Adam: a negative step count ({})", steps);
    steps_ = steps;
    exp_avg_ = std::move(exp_avg);
    exp_avg_sq_ = std::move(exp_avg_sq);
}

} // namespace causeway
