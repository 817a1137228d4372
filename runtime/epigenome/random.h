// Seeded random numbers whose sequences are the same on every platform: std::mt19937_64 is specified
// exactly, the std distributions are not, so the transforms are our own. Internal to causeway_epigenome.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace causeway::epigenome {

// splitmix64 over (seed, stream): independent generators for independent parts of a simulation, so that
// results do not depend on the order threads run in.
inline uint64_t stream_seed(uint64_t seed, uint64_t stream) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

class Random {
public:
    explicit Random(uint64_t seed) : engine_(seed) {}
    // [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    // An integer in [low, high].
    int64_t integer(int64_t low, int64_t high) {
        return low + static_cast<int64_t>(uniform() * static_cast<double>(high - low + 1));
    }
    bool bernoulli(double p) { return uniform() < p; }
    // Marsaglia's polar method.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u, v, s;
        do {
            u = 2 * uniform() - 1;
            v = 2 * uniform() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double factor = std::sqrt(-2 * std::log(s) / s);
        spare_ = v * factor;
        has_spare_ = true;
        return u * factor;
    }
    double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }
    double exponential(double mean) { return -mean * std::log(1 - uniform()); }

private:
    std::mt19937_64 engine_;
    double spare_ = 0;
    bool has_spare_ = false;
};

} // namespace causeway::epigenome
