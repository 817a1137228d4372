// R's default random numbers (RNGkind "Mersenne-Twister", normal.kind "Inversion"), seeded exactly as
// set.seed(seed) seeds them, so a bootstrap here draws the same numbers as the same bootstrap in R and
// MendelianRandomization's seeded standard errors can be reproduced digit for digit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace causeway::solver {

class RRandom {
public:
    explicit RRandom(uint32_t seed);
    // unif_rand(): uniform on the open interval (0, 1).
    double uniform();
    // norm_rand(): a standard normal by inversion of a 2^27-refined uniform.
    double normal();
    // n successive norm_rand() values, as rnorm(n) draws them (the bootstrap's inner loop).
    void normals(double *out, size_t n);

private:
    void twist();
    uint32_t state_[624];
    int index_;
};

// R's qnorm(p) (Wichura's AS 241, as R's qnorm5 evaluates it, operation for operation) for 0 < p < 1,
// so that inversion gives R's normals bit for bit.
double r_qnorm(double p);

} // namespace causeway::solver
