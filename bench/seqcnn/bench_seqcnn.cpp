// Throughput of the compiled sequence CNN's forward pass (sequences/s and GFLOP/s) at DeepSEA's size
// (L 1000; 320/480/960 channels, kernel 8, pools 4/4/none; dense 925 then 919) and at DeepSEA-small
// (L 400; 64/96/128 channels; dense 128 then 32), batch 64, dropout off and with per-sequence masks.
// Also the naive (full recomputation) mutant batch at DeepSEA-small: all 3L substitutions of one reference
// under 2 shared-mask MC samples, as (mutant, sample) evaluations per second.
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

} // namespace

BENCHMARK_MAIN();
