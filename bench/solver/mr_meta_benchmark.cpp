// Deep MR's last two steps at the paper's scale: per-region MR over 900 regions x 3,000 variants (all four
// methods), then 36 random-effects meta-analyses (one per exposure, 25 regions each).
//   build-solver/bench/solver/causeway_solver_bench
// The weighted median's bootstrap is measured apart: its cost is draws x variants x regions, whatever the
// fitting costs.
#include <random>
#include <thread>

#include <benchmark/benchmark.h>

#include "causeway/solver/meta.h"
#include "causeway/solver/mr.h"

namespace causeway::solver {
namespace {

constexpr int kRegions = 900, kVariants = 3000, kExposures = 36;

const std::vector<MrData> &deep_mr_regions() {
    static const std::vector<MrData> regions = [] {
        std::vector<MrData> all(kRegions);
        std::mt19937_64 random(2024);
        std::normal_distribution<double> normal;
        std::uniform_real_distribution<double> uniform(0.5, 2.0);
        for (int r = 0; r < kRegions; ++r) {
            MrData &d = all[r];
            double effect = 1.36 * uniform(random);
            for (int i = 0; i < kVariants; ++i) {
                double bx = 0.05 * normal(random), bx_se = 0.005 * uniform(random),
                       by_se = 0.01 * uniform(random);
                d.beta_exposure.push_back(bx + bx_se * normal(random));
                d.se_exposure.push_back(bx_se);
                d.beta_outcome.push_back(effect * bx + 0.002 * normal(random) + by_se * normal(random));
                d.se_outcome.push_back(by_se);
            }
        }
        return all;
    }();
    return regions;
}

// Runs every region on `threads` threads (regions are independent), as `causeway mr` does.
void run_regions(const MrSettings &settings, const std::vector<MrMethod> &methods, int threads,
                 std::vector<MrResult> &out) {
    const auto &regions = deep_mr_regions();
    out.assign(regions.size() * methods.size(), MrResult{});
    auto work = [&](int t) {
        for (size_t r = static_cast<size_t>(t); r < regions.size(); r += static_cast<size_t>(threads))
            for (size_t m = 0; m < methods.size(); ++m)
                out[r * methods.size() + m] = mr_run(methods[m], regions[r], settings);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto &thread : pool) thread.join();
}

void meta_step(const std::vector<MrResult> &ivw, std::vector<MetaResult> &out) {
    out.clear();
    for (int e = 0; e < kExposures; ++e) {
        std::vector<double> y, se;
        for (int r = e; r < kRegions; r += kExposures) y.push_back(ivw[r].estimate), se.push_back(ivw[r].se);
        out.push_back(meta_analyse(y, se, MetaSettings{}));
    }
}

// The whole of Deep MR's statistics: four methods per region (weighted median without its bootstrap),
// then the meta-analyses of the IVW estimates.
void BM_DeepMrStatistics(benchmark::State &state) {
    MrSettings settings;
    settings.bootstrap = 0;
    const std::vector<MrMethod> methods = {MrMethod::Ivw, MrMethod::Egger, MrMethod::WeightedMedian,
                                           MrMethod::Raps};
    std::vector<MrResult> results, ivw(kRegions);
    std::vector<MetaResult> meta;
    deep_mr_regions();
    for (auto _ : state) {
        run_regions(settings, methods, static_cast<int>(state.range(0)), results);
        for (int r = 0; r < kRegions; ++r) ivw[r] = results[r * methods.size()];
        meta_step(ivw, meta);
        benchmark::DoNotOptimize(meta.data());
    }
    for (const MrResult &result : results)
        if (result.status != MrStatus::Ok) state.SkipWithError("a region failed");
    state.counters["regions/s"] = benchmark::Counter(kRegions, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DeepMrStatistics)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// One method at a time, all 900 regions, one thread.
void BM_MrMethod(benchmark::State &state) {
    MrSettings settings;
    settings.bootstrap = 0;
    std::vector<MrResult> results;
    deep_mr_regions();
    auto method = static_cast<MrMethod>(state.range(0));
    state.SetLabel(mr_method_name(method));
    for (auto _ : state) run_regions(settings, {method}, 1, results);
    double iterations = 0;
    for (const MrResult &result : results) iterations += result.iterations;
    state.counters["ceres_iterations"] = iterations / static_cast<double>(results.size());
}
BENCHMARK(BM_MrMethod)->DenseRange(0, 3)->Unit(benchmark::kMillisecond)->UseRealTime();

// The 36 meta-analyses alone, each estimator.
void BM_Meta36(benchmark::State &state) {
    std::vector<MrResult> ivw;
    MrSettings settings;
    run_regions(settings, {MrMethod::Ivw}, 2, ivw);
    MetaSettings meta_settings;
    meta_settings.method = static_cast<TauMethod>(state.range(0));
    state.SetLabel(tau_method_name(meta_settings.method));
    for (auto _ : state) {
        for (int e = 0; e < kExposures; ++e) {
            std::vector<double> y, se;
            for (int r = e; r < kRegions; r += kExposures)
                y.push_back(ivw[r].estimate), se.push_back(ivw[r].se);
            benchmark::DoNotOptimize(meta_analyse(y, se, meta_settings));
        }
    }
}
BENCHMARK(BM_Meta36)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

// The weighted median's bootstrap standard error for one region of 3,000 variants with R's random
// numbers (1,000 draws, `causeway mr`'s default); multiply by 900 regions / threads for the full run.
void BM_WeightedMedianBootstrapOneRegion(benchmark::State &state) {
    MrSettings settings;
    settings.bootstrap = static_cast<int>(state.range(0));
    const MrData &region = deep_mr_regions()[0];
    for (auto _ : state) benchmark::DoNotOptimize(mr_weighted_median(region, settings));
}
BENCHMARK(BM_WeightedMedianBootstrapOneRegion)->Arg(1000)->Unit(benchmark::kMillisecond);

} // namespace
} // namespace causeway::solver

BENCHMARK_MAIN();
