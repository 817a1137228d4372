#include "causeway/solver/r_random.h"

#include <algorithm>
#include <cmath>

namespace causeway::solver {

namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;
constexpr double k2To32Minus1Inverse = 2.328306437080797e-10;

// AS 241 with R's coefficients and evaluation order; any reordering would change the last bits. Split in
// its two regions so that the bulk draws can evaluate the central one (|p - 0.5| <= 0.425, 85% of draws)
// without branches, which lets it vectorise, and the tails apart.
inline bool qnorm_is_central(double p) {
    return std::fabs(p - 0.5) <= 0.425;
}

inline double qnorm_central(double p) {
    double q = p - 0.5, r;
    r = .180625 - q * q;
    return q *
           (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r +
                45921.953931549871457) *
                   r +
               13731.693765509461125) *
                  r +
              1971.5909503065514427) *
                 r +
             133.14166789178437745) *
                r +
            3.387132872796366608) /
           (((((((r * 5226.495278852854561 + 28729.085735721942674) * r + 39307.89580009271061) * r +
                21213.794301586595867) *
                   r +
               5394.1960214247511077) *
                  r +
              687.1870074920579083) *
                 r +
             42.313330701600911252) *
                r +
            1.);
}

inline double qnorm_tail(double p) {
    double q = p - 0.5, r, val;
    // R_DT_CIv(p) is (0.5 - p + 0.5); exact either way for p > 0.5.
    r = std::sqrt(-std::log(q > 0 ? (0.5 - p + 0.5) : p));
    if (r <= 5.) {
        r += -1.6;
        val =
            (((((((r * 7.7454501427834140764e-4 + .0227238449892691845833) * r + .24178072517745061177) * r +
                 1.27045825245236838258) *
                    r +
                3.64784832476320460504) *
                   r +
               5.7694972214606914055) *
                  r +
              4.6303378461565452959) *
                 r +
             1.42343711074968357734) /
            (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + .0151986665636164571966) *
                     r +
                 .14810397642748007459) *
                    r +
                .68976733498510000455) *
                   r +
               1.6763848301838038494) *
                  r +
              2.05319162663775882187) *
                 r +
             1.);
    } else {
        // r <= 816 for every p a double above 0 can hold, so R's asymptotic branch never applies.
        r += -5.;
        val =
            (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + .0012426609473880784386) *
                     r +
                 .026532189526576123093) *
                    r +
                .29656057182850489123) *
                   r +
               1.7848265399172913358) *
                  r +
              5.4637849111641143699) *
                 r +
             6.6579046435011037772) /
            (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r +
                  1.8463183175100546818e-5) *
                     r +
                 7.868691311456132591e-4) *
                    r +
                .0148753612908506148525) *
                   r +
               .13692988092273580531) *
                  r +
              .59983220655588793769) *
                 r +
             1.);
    }
    return q < 0.0 ? -val : val;
}

inline double qnorm_as241(double p) {
    return qnorm_is_central(p) ? qnorm_central(p) : qnorm_tail(p);
}
} // namespace

double r_qnorm(double p) {
    return qnorm_as241(p);
}

RRandom::RRandom(uint32_t seed) {
    // set.seed(): 50 rounds of the linear congruential scrambler, then one more value per seed word. R's
    // seed vector starts with the position word (reset to 624 afterwards), so that value is discarded.
    for (int j = 0; j < 50; ++j) seed = 69069 * seed + 1;
    seed = 69069 * seed + 1;
    for (uint32_t &word : state_) {
        seed = 69069 * seed + 1;
        word = seed;
    }
    index_ = kN;
}

void RRandom::twist() {
    int kk = 0;
    for (; kk < kN - kM; ++kk) {
        uint32_t y = (state_[kk] & kUpperMask) | (state_[kk + 1] & kLowerMask);
        state_[kk] = state_[kk + kM] ^ (y >> 1) ^ ((y & 0x1U) ? kMatrixA : 0U);
    }
    for (; kk < kN - 1; ++kk) {
        uint32_t y = (state_[kk] & kUpperMask) | (state_[kk + 1] & kLowerMask);
        state_[kk] = state_[kk + (kM - kN)] ^ (y >> 1) ^ ((y & 0x1U) ? kMatrixA : 0U);
    }
    uint32_t y = (state_[kN - 1] & kUpperMask) | (state_[0] & kLowerMask);
    state_[kN - 1] = state_[kM - 1] ^ (y >> 1) ^ ((y & 0x1U) ? kMatrixA : 0U);
    index_ = 0;
}

// The three generators below are written out inline (rather than calling each other through the
// out-of-line public functions) so that the bootstrap's bulk draws compile to one tight loop.
#define CAUSEWAY_MT_WORD(y)                                                                                  \
    do {                                                                                                     \
        if (index_ >= kN) twist();                                                                           \
        (y) = state_[index_++];                                                                              \
        (y) ^= (y) >> 11;                                                                                    \
        (y) ^= ((y) << 7) & 0x9d2c5680U;                                                                     \
        (y) ^= ((y) << 15) & 0xefc60000U;                                                                    \
        (y) ^= (y) >> 18;                                                                                    \
    } while (0)

namespace {
// R's fixup(): keep strictly inside (0, 1).
inline double fixup(double x) {
    if (x <= 0.0) return 0.5 * k2To32Minus1Inverse;
    if (1.0 - x <= 0.0) return 1.0 - 0.5 * k2To32Minus1Inverse;
    return x;
}
} // namespace

double RRandom::uniform() {
    uint32_t y;
    CAUSEWAY_MT_WORD(y);
    return fixup(static_cast<double>(y) * 2.3283064365386963e-10);
}

void RRandom::normals(double *out, size_t n) {
    constexpr double kBig = 134217728; // 2^27: one uniform alone is too coarse in the tails
    constexpr size_t kChunk = 256;
    uint32_t tails[kChunk];
    for (size_t start = 0; start < n; start += kChunk) {
        const size_t m = std::min(kChunk, n - start);
        double *p = out + start;
        for (size_t i = 0; i < m; ++i) {
            uint32_t y;
            CAUSEWAY_MT_WORD(y);
            double u = fixup(static_cast<double>(y) * 2.3283064365386963e-10);
            CAUSEWAY_MT_WORD(y);
            u = static_cast<int>(kBig * u) + fixup(static_cast<double>(y) * 2.3283064365386963e-10);
            p[i] = u / kBig;
        }
        // Tails first (their indices, without branches), then the central formula everywhere, then the
        // tails' own values over it.
        size_t n_tails = 0;
        for (size_t i = 0; i < m; ++i) {
            tails[n_tails] = static_cast<uint32_t>(i);
            n_tails += !qnorm_is_central(p[i]);
        }
        double tail_p[kChunk];
        for (size_t t = 0; t < n_tails; ++t) tail_p[t] = p[tails[t]];
        for (size_t i = 0; i < m; ++i) p[i] = qnorm_central(p[i]);
        for (size_t t = 0; t < n_tails; ++t) p[tails[t]] = qnorm_tail(tail_p[t]);
    }
}

#undef CAUSEWAY_MT_WORD

double RRandom::normal() {
    double x;
    normals(&x, 1);
    return x;
}

} // namespace causeway::solver
