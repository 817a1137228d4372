// Throughput of the compiled PECNN: forward (genes/s) and training step (forward + backward, genes/s), at
// the shapes (batch 256, H 32, D 2, K 11, C 12, M 6, L 200) unless flags say otherwise. Counters
// report genes/s and achieved GFLOP/s. bench/pecnn/run.sh runs it beside PyTorch.
#include <random>

#include <benchmark/benchmark.h>

#include "causeway/pecnn_network.h"

namespace {

using namespace causeway;

struct Setup {
    PecnnModel model;
    std::vector<float> inputs, targets;
    int genes = 256, cells = 12;
    Setup() : model(pecnn_init(PecnnConfig{}, 1)) {
        const PecnnConfig &c = model.config;
        inputs.resize(static_cast<size_t>(genes) * cells * c.num_marks() * c.bins);
        targets.resize(static_cast<size_t>(genes) * cells);
        std::mt19937 rng(2);
        std::exponential_distribution<float> peak(0.5f);
        for (auto &v : inputs) v = (rng() % 10 < 6) ? std::log1p(peak(rng)) : 0.f;
        for (auto &v : targets) v = static_cast<float>(rng() % 1000) / 200.f;
    }
};

void BM_PecnnForward(benchmark::State &state) {
    static Setup s;
    PecnnNetwork net(s.model);
    std::vector<float> pred(s.targets.size());
    for (auto _ : state) {
        net.forward(s.inputs.data(), s.genes, s.cells, pred.data());
        benchmark::DoNotOptimize(pred.data());
    }
    const double iterations = static_cast<double>(state.iterations());
    state.counters["genes/s"] = benchmark::Counter(iterations * s.genes, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] =
        benchmark::Counter(iterations * PecnnNetwork::forward_flops(s.model.config, s.genes, s.cells) / 1e9,
                           benchmark::Counter::kIsRate);
}

void BM_PecnnTrainingStep(benchmark::State &state) {
    static Setup s;
    PecnnNetwork net(s.model);
    PecnnModel grads(s.model.config);
    for (auto _ : state) {
        float loss = net.backward(s.inputs.data(), s.targets.data(), s.genes, s.cells, grads);
        benchmark::DoNotOptimize(loss);
    }
    const double iterations = static_cast<double>(state.iterations());
    state.counters["genes/s"] = benchmark::Counter(iterations * s.genes, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] =
        benchmark::Counter(iterations * PecnnNetwork::training_flops(s.model.config, s.genes, s.cells) / 1e9,
                           benchmark::Counter::kIsRate);
}

BENCHMARK(BM_PecnnForward)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_PecnnTrainingStep)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

} // namespace

BENCHMARK_MAIN();
