// GPU throughput of the CUDA variants beside the CPU path, in one run (issue 8): the incremental mutant
// batch at DeepSEA's size (mutants/s, each under 50 shared-mask MC samples, as `causeway ism` runs it) and
// the equivariant CNN's training step at the paper's shapes (genes/s, batch 256, H 32, D 2, K 11, C 12,
// M 6, L 200). Argument device: 0 the CPU, 1 CUDA. Without CUDA pipelines or a usable GPU the CUDA runs
// are reported as skipped (with the reason) and the CPU ones still run, so the figures of the next session
// that has a GPU come from this one binary: bench/cuda/run.sh.
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "causeway/device.h"
#include "causeway/pecnn_network.h"
#include "causeway/seqcnn_mutants.h"
#include "causeway/seqcnn_network.h"

namespace {

using namespace causeway;

// Selects the benchmark's device; false (and the benchmark skipped with the reason) when it cannot run.
bool use_device(benchmark::State &state) {
    const Device device = state.range(0) != 0 ? Device::Cuda : Device::Cpu;
    if (device == Device::Cuda) {
        std::string reason =
            "this build has no CUDA pipelines (configure with -DCAUSEWAY_TARGETS=\"x86;cuda\")";
        if (!cuda_compiled() || !cuda_usable(&reason)) {
            state.SkipWithError(("[SKIP] no GPU run: " + reason).c_str());
            return false;
        }
    }
    select_device(device_name(device));
    state.SetLabel(device_name(device));
    return true;
}

SeqcnnConfig deepsea_full_config() {
    std::vector<std::string> tasks;
    for (int t = 0; t < 919; ++t) tasks.push_back("task" + std::to_string(t));
    return deepsea_config(tasks);
}

// 64 consecutive positions in the middle of one random DeepSEA reference: 192 substitutions, 50 samples
// (bench/seqcnn's BM_SeqcnnIsm at deepsea=1, incremental=1, so the CPU figures compare directly).
void BM_CudaMutantsDeepsea(benchmark::State &state) {
    if (!use_device(state)) return;
    static const SeqcnnModel model = seqcnn_init(deepsea_full_config(), 1);
    const SeqcnnConfig &c = model.config;
    const int length = c.sequence_length;
    std::vector<float> reference(static_cast<size_t>(4) * length, 0.f);
    const uint64_t key = seqcnn_stream_key(2, 0);
    for (int x = 0; x < length; ++x)
        reference[static_cast<size_t>(4 * seqcnn_uniform(key, x)) * length + x] = 1.f;
    SeqcnnNetwork network(model);
    MutantBatchOptions options;
    options.tasks = {0, 1};
    options.samples = 50;
    options.seed = 4;
    options.incremental = true;
    const int positions = 64;
    for (int x = (length - positions) / 2; x < (length + positions) / 2; ++x)
        for (int b = 0; b < 4; ++b)
            if (reference[static_cast<size_t>(b) * length + x] == 0.f)
                options.substitutions.push_back({x, static_cast<uint8_t>(b)});
    int64_t mutants = 0;
    for (auto _ : state) {
        MutantEffects effects = seqcnn_mutant_batch(network, reference.data(), options);
        mutants += static_cast<int64_t>(effects.position.size());
        benchmark::DoNotOptimize(effects.beta.data());
    }
    state.counters["mutants/s"] =
        benchmark::Counter(static_cast<double>(mutants), benchmark::Counter::kIsRate);
    select_device("cpu");
}
BENCHMARK(BM_CudaMutantsDeepsea)
    ->ArgName("device")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

void BM_CudaPecnnTrainingStep(benchmark::State &state) {
    if (!use_device(state)) return;
    static const PecnnModel model = pecnn_init(PecnnConfig{}, 1);
    const PecnnConfig &c = model.config;
    const int genes = 256, cells = 12;
    std::vector<float> inputs(static_cast<size_t>(genes) * cells * c.num_marks() * c.bins);
    std::vector<float> targets(static_cast<size_t>(genes) * cells);
    std::mt19937 rng(2);
    std::exponential_distribution<float> peak(0.5f);
    for (auto &v : inputs) v = (rng() % 10 < 6) ? std::log1p(peak(rng)) : 0.f;
    for (auto &v : targets) v = static_cast<float>(rng() % 1000) / 200.f;
    PecnnNetwork net(model);
    PecnnModel grads(c);
    for (auto _ : state) {
        float loss = net.backward(inputs.data(), targets.data(), genes, cells, grads);
        benchmark::DoNotOptimize(loss);
    }
    const double iterations = static_cast<double>(state.iterations());
    state.counters["genes/s"] = benchmark::Counter(iterations * genes, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(
        iterations * PecnnNetwork::training_flops(c, genes, cells) / 1e9, benchmark::Counter::kIsRate);
    select_device("cpu");
}
BENCHMARK(BM_CudaPecnnTrainingStep)
    ->ArgName("device")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

} // namespace

BENCHMARK_MAIN();
