// R's default random numbers (RNGkind "Mersenne-Twister", normal.kind "Inversion"), seeded exactly as
// set.seed(seed) seeds them, so a bootstrap here draws the same numbers as the same bootstrap in R and
// MendelianRandomization's seeded standard errors can be reproduced digit for digit.
#pragma once

#include <cstdint>

namespace causeway::solver {

class RRandom {
public:
    explicit RRandom(uint32_t seed);
    // unif_rand(): uniform on the open interval (0, 1).
    double uniform();
    // norm_rand(): a standard normal by inversion of a 2^27-refined uniform.
    double normal();

private:
    uint32_t next_word();
    uint32_t state_[624];
    int index_;
};

} // namespace causeway::solver
