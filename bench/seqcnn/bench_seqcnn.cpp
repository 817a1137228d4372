// Throughput of the compiled sequence CNN's forward pass (sequences/s and GFLOP/s) at DeepSEA's size
// (L 1000; 320/480/960 channels, kernel 8, pools 4/4/none; dense 925 then 919) and at DeepSEA-small
// (L 400; 64/96/128 channels; dense 128 then 32), batch 64, dropout off and with per-sequence masks.
// Also the naive (full recomputation) mutant batch at DeepSEA-small: all 3L substitutions of one reference
// under 2 shared-mask MC samples, as (mutant, sample) evaluations per second.
// Saturation mutagenesis (BM_SeqcnnIsm): incremental and naive, 50 MC samples, at both sizes; run.sh
// alternates it with PyTorch's naive ISM (pytorch_ism.py).
// Quote GFLOP/s against bench/pecnn/fma_peak on the same machine.
#include <benchmark/benchmark.h>

#include "causeway/seqcnn_mutants.h"
#include "causeway/seqcnn_network.h"

namespace {

using namespace causeway;

SeqcnnConfig deepsea_small_config() {
    std::vector<std::string> tasks;
    for (int t = 0; t < 32; ++t) tasks.push_back("task" + std::to_string(t));
    SeqcnnConfig c = deepsea_config(tasks);
    c.sequence_length = 400;
    c.conv_channels = {64, 96, 128};
    c.dense_units = {128, 32};
    return c;
}

SeqcnnConfig deepsea_full_config() {
    std::vector<std::string> tasks;
    for (int t = 0; t < 919; ++t) tasks.push_back("task" + std::to_string(t));
    return deepsea_config(tasks);
}

struct Setup {
    SeqcnnModel model;
    std::vector<float> inputs;
    std::vector<std::vector<uint8_t>> keep;
    SeqcnnMasks masks;
    int batch = 64;
    explicit Setup(const SeqcnnConfig &config) : model(seqcnn_init(config, 1)) {
        const int length = config.sequence_length;
        inputs.assign(static_cast<size_t>(batch) * 4 * length, 0.f);
        const uint64_t key = seqcnn_stream_key(2, 0);
        for (int s = 0; s < batch; ++s)
            for (int x = 0; x < length; ++x)
                inputs[(static_cast<size_t>(s) * 4 +
                        static_cast<int>(4 * seqcnn_uniform(key, s * length + x))) *
                           length +
                       x] = 1.f;
        masks.batch = batch;
        keep.resize(config.dropout_sites());
        for (int site = 0; site < config.dropout_sites(); ++site) {
            if (config.site_dropout(site) == 0) {
                masks.keep.push_back(nullptr);
                continue;
            }
            keep[site].resize(batch * config.site_size(site));
            for (int s = 0; s < batch; ++s)
                seqcnn_dropout_keep(config, 3, s, site, keep[site].data() + s * config.site_size(site));
            masks.keep.push_back(keep[site].data());
        }
    }
};

void run(benchmark::State &state, Setup &s, bool masked) {
    SeqcnnNetwork network(s.model);
    std::vector<float> probabilities(static_cast<size_t>(s.batch) * s.model.config.num_tasks());
    for (auto _ : state) {
        network.forward(s.inputs.data(), s.batch, probabilities.data(), masked ? &s.masks : nullptr);
        benchmark::DoNotOptimize(probabilities.data());
    }
    const double iterations = static_cast<double>(state.iterations());
    state.counters["seq/s"] = benchmark::Counter(iterations * s.batch, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] =
        benchmark::Counter(iterations * SeqcnnNetwork::forward_flops(s.model.config, s.batch) / 1e9,
                           benchmark::Counter::kIsRate);
}

void BM_SeqcnnForwardDeepsea(benchmark::State &state) {
    static Setup s(deepsea_full_config());
    run(state, s, state.range(0) != 0);
}

void BM_SeqcnnForwardDeepseaSmall(benchmark::State &state) {
    static Setup s(deepsea_small_config());
    run(state, s, state.range(0) != 0);
}

BENCHMARK(BM_SeqcnnForwardDeepsea)
    ->ArgName("masked")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);
BENCHMARK(BM_SeqcnnForwardDeepseaSmall)
    ->ArgName("masked")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

void BM_SeqcnnMutantBatchDeepseaSmall(benchmark::State &state) {
    static Setup s(deepsea_small_config());
    SeqcnnNetwork network(s.model);
    MutantBatchOptions options;
    options.tasks = {0, 1};
    options.samples = 2;
    options.seed = 4;
    int64_t evaluations = 0;
    for (auto _ : state) {
        MutantEffects effects = seqcnn_mutant_batch(network, s.inputs.data(), options);
        evaluations += static_cast<int64_t>(effects.position.size() + 1) * options.samples;
        benchmark::DoNotOptimize(effects.beta.data());
    }
    state.counters["mutants/s"] =
        benchmark::Counter(static_cast<double>(evaluations), benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(
        SeqcnnNetwork::forward_flops(s.model.config, evaluations) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SeqcnnMutantBatchDeepseaSmall)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);

// Saturation mutagenesis of one region as `causeway ism` runs it: 50 shared-mask MC samples, all three
// substitutions at each position, incremental (the default) or naive (every mutant through the whole
// network). Arguments: model (0 DeepSEA-small, 1 DeepSEA), incremental (0, 1). Positions: a whole region
// where one takes seconds; otherwise a stretch of consecutive positions in the middle (the rate then
// carries the reference's 100 full passes over fewer mutants than a region's: slightly pessimistic).
// Counters: mutants/s (each under 50 samples), evaluations/s ((mutant, sample) pairs), GFLOP/s of the
// work done (incremental or full) and, for the incremental path, the full recomputation's equivalent.
void BM_SeqcnnIsm(benchmark::State &state) {
    static Setup small(deepsea_small_config()), full(deepsea_full_config());
    const bool deepsea = state.range(0) != 0, incremental = state.range(1) != 0;
    Setup &s = deepsea ? full : small;
    const SeqcnnConfig &c = s.model.config;
    SeqcnnNetwork network(s.model);
    MutantBatchOptions options;
    options.tasks = {0, 1};
    options.samples = 50;
    options.seed = 4;
    options.incremental = incremental;
    const int length = c.sequence_length;
    const int positions = !deepsea ? (incremental ? length : 100) : (incremental ? 64 : 8);
    std::vector<float> reference(s.inputs.begin(), s.inputs.begin() + 4 * length);
    for (int x = (length - positions) / 2; x < (length + positions) / 2; ++x)
        for (int b = 0; b < 4; ++b)
            if (reference[b * length + x] == 0.f)
                options.substitutions.push_back({x, static_cast<uint8_t>(b)});
    if (positions == length) options.substitutions.clear(); // saturation
    int64_t mutants = 0;
    for (auto _ : state) {
        MutantEffects effects = seqcnn_mutant_batch(network, reference.data(), options);
        mutants += static_cast<int64_t>(effects.position.size());
        benchmark::DoNotOptimize(effects.beta.data());
    }
    const double evaluations = static_cast<double>(mutants) * options.samples;
    state.counters["mutants/s"] =
        benchmark::Counter(static_cast<double>(mutants), benchmark::Counter::kIsRate);
    state.counters["evaluations/s"] = benchmark::Counter(evaluations, benchmark::Counter::kIsRate);
    const double full_flops = SeqcnnNetwork::forward_flops(c, 1) * evaluations;
    state.counters["GFLOP/s"] =
        benchmark::Counter((incremental ? seqcnn_incremental_flops(c, 1) * evaluations : full_flops) / 1e9,
                           benchmark::Counter::kIsRate);
    state.counters["full_equivalent_GFLOP/s"] =
        benchmark::Counter(full_flops / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SeqcnnIsm)
    ->ArgNames({"deepsea", "incremental"})
    ->Args({0, 1})
    ->Args({0, 0})
    ->Args({1, 1})
    ->Args({1, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

} // namespace

BENCHMARK_MAIN();
