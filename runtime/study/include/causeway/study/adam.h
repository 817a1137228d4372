// Adam (Kingma & Ba), exactly torch.optim.Adam's update without weight decay or amsgrad, over flat float
// buffers: one compiled call (generators/pecnn_adam_generator.cpp) updates every parameter and both moments
// in place. The host only computes the step's two bias corrections.
#pragma once

#include <cstdint>
#include <vector>

namespace causeway {

struct AdamSettings {
    double lr = 1e-3;
    double beta1 = 0.9, beta2 = 0.999;
    double eps = 1e-8;
};

class Adam {
public:
    Adam(int64_t size, AdamSettings settings);

    // One step: parameters -= the Adam update for `gradients` (both `size` floats), at learning rate `lr`
    // (a schedule may change it between steps).
    void step(float *parameters, const float *gradients, double lr);

    int64_t size() const { return static_cast<int64_t>(exp_avg_.size()); }
    int64_t steps() const { return steps_; }
    const AdamSettings &settings() const { return settings_; }
    // The moments, for checkpoints; restore() puts a saved state back.
    const std::vector<float> &exp_avg() const { return exp_avg_; }
    const std::vector<float> &exp_avg_sq() const { return exp_avg_sq_; }
    void restore(int64_t steps, std::vector<float> exp_avg, std::vector<float> exp_avg_sq);

private:
    AdamSettings settings_;
    int64_t steps_ = 0;
    std::vector<float> exp_avg_, exp_avg_sq_;
};

} // namespace causeway
