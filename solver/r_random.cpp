#include "causeway/solver/r_random.h"

#include "causeway/solver/distributions.h"

namespace causeway::solver {

namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;
constexpr double k2To32Minus1Inverse = 2.328306437080797e-10;
} // namespace

RRandom::RRandom(uint32_t seed) {
    // set.seed(): 50 rounds of the linear congruential scrambler, then one more value per seed word. R's
    // seed vector starts with the position word (reset to 624 afterwards), so that value is discarded.
    for (int j = 0; j < 50; ++j) seed = 69069 * seed + 1;
    seed = 69069 * seed + 1;
    for (int j = 0; j < kN; ++j) {
        seed = 69069 * seed + 1;
        state_[j] = seed;
    }
    index_ = kN;
}

uint32_t RRandom::next_word() {
    static const uint32_t mag01[2] = {0x0U, kMatrixA};
    if (index_ >= kN) {
        int kk = 0;
        for (; kk < kN - kM; ++kk) {
            uint32_t y = (state_[kk] & kUpperMask) | (state_[kk + 1] & kLowerMask);
            state_[kk] = state_[kk + kM] ^ (y >> 1) ^ mag01[y & 0x1U];
        }
        for (; kk < kN - 1; ++kk) {
            uint32_t y = (state_[kk] & kUpperMask) | (state_[kk + 1] & kLowerMask);
            state_[kk] = state_[kk + (kM - kN)] ^ (y >> 1) ^ mag01[y & 0x1U];
        }
        uint32_t y = (state_[kN - 1] & kUpperMask) | (state_[0] & kLowerMask);
        state_[kN - 1] = state_[kM - 1] ^ (y >> 1) ^ mag01[y & 0x1U];
        index_ = 0;
    }
    uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

double RRandom::uniform() {
    double x = static_cast<double>(next_word()) * 2.3283064365386963e-10;
    // R's fixup(): keep strictly inside (0, 1).
    if (x <= 0.0) return 0.5 * k2To32Minus1Inverse;
    if (1.0 - x <= 0.0) return 1.0 - 0.5 * k2To32Minus1Inverse;
    return x;
}

double RRandom::normal() {
    constexpr double kBig = 134217728; // 2^27: one uniform alone is too coarse in the tails
    double u = uniform();
    u = static_cast<int>(kBig * u) + uniform();
    return normal_quantile(u / kBig);
}

} // namespace causeway::solver
