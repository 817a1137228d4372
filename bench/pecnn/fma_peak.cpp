// The machine's fp32 FMA peak, for quoting achieved GFLOP/s against it: independent FMA chains in
// registers (enough to cover the FMA latency on two ports), one thread per core.
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <immintrin.h>

namespace {

constexpr int kAccumulators = 12;

__attribute__((target("avx512f"))) double fma_avx512(long iterations) {
    __m512 acc[kAccumulators];
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    // Stored rather than _mm512_reduce_add_ps, whose GCC 12 header trips -Wuninitialized.
    float out[16], sink = 0;
    for (int i = 0; i < kAccumulators; ++i) {
        _mm512_storeu_ps(out, acc[i]);
        for (float v : out) sink += v;
    }
    return sink;
}

__attribute__((target("avx2,fma"))) double fma_avx2(long iterations) {
    __m256 acc[kAccumulators];
    for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (long it = 0; it < iterations; ++it)
        for (int i = 0; i < kAccumulators; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    float out[8], sink = 0;
    for (int i = 0; i < kAccumulators; ++i) {
        _mm256_storeu_ps(out, acc[i]);
        for (float v : out) sink += v;
    }
    return sink;
}

} // namespace

int main(int argc, char **argv) {
    const int threads = argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::thread::hardware_concurrency());
    const bool avx512 = __builtin_cpu_supports("avx512f");
    const int lanes = avx512 ? 16 : 8;
    const long iterations = 200000000L / kAccumulators;
    double best = 0;
    for (int rep = 0; rep < 5; ++rep) {
        std::vector<std::thread> pool;
        std::vector<double> sinks(threads);
        auto start = std::chrono::steady_clock::now();
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { sinks[t] = avx512 ? fma_avx512(iterations) : fma_avx2(iterations); });
        for (auto &th : pool) th.join();
        double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        double flops = 2.0 * lanes * kAccumulators * static_cast<double>(iterations) * threads;
        best = std::max(best, flops / seconds / 1e9);
        if (sinks[0] == 42) std::puts("");
    }
    std::printf("fp32 FMA peak: %.1f GFLOP/s on %d threads (%s)\n", best, threads,
                avx512 ? "AVX-512" : "AVX2");
}
