// Training throughput of the compiled sequence CNN (sequences/s and GFLOP/s): one step = forward with
// per-sequence dropout masks, BCEWithLogits loss, backward and the compiled Adam update, at DeepSEA-small
// (L 400; 64/96/128 channels, kernel 8, pools 4/4/none; dense 128, 13 tasks; threshold; dropout 0.2/0.2/0.5),
// batch 64. The batch, labels and masks are made before the clock starts, as in pytorch_seqtrain.py.
// run.sh alternates it with PyTorch; quote GFLOP/s against bench/pecnn/fma_peak on the same machine.
#include <benchmark/benchmark.h>

#include "causeway/seqcnn_train.h"
#include "causeway/study/adam.h"

namespace {

using namespace causeway;

SeqcnnConfig deepsea_small_config() {
    SeqcnnConfig c;
    c.sequence_length = 400;
    c.activation = SeqcnnActivation::Threshold;
    c.conv_channels = {64, 96, 128};
    c.conv_kernels = {8, 8, 8};
    c.pools = {4, 4, 1};
    c.conv_dropout = {0.2, 0.2, 0.5};
    c.dense_units = {128, 13};
    c.dense_dropout = {0.0};
    for (int t = 0; t < 13; ++t) c.tasks.push_back("task" + std::to_string(t));
    return c;
}

void BM_SeqcnnTrainStep(benchmark::State &state) {
    const SeqcnnConfig config = deepsea_small_config();
    const int batch = static_cast<int>(state.range(0)), length = config.sequence_length;
    SeqcnnTrainer trainer(seqcnn_init(config, 1));
    Adam adam(trainer.parameter_count(), AdamSettings{1e-3});
    std::vector<float> one_hot(static_cast<size_t>(batch) * 4 * length, 0.f), labels;
    for (int s = 0; s < batch; ++s)
        for (int x = 0; x < length; ++x)
            one_hot[(static_cast<size_t>(s) * 4 +
                     static_cast<int>(4 * seqcnn_uniform(seqcnn_stream_key(2, 0), s * length + x))) *
                        length +
                    x] = 1.f;
    for (int i = 0; i < batch * config.num_tasks(); ++i)
        labels.push_back(seqcnn_uniform(seqcnn_stream_key(2, 1), i) < 0.3 ? 1.f : 0.f);
    std::vector<std::vector<uint8_t>> keep(config.dropout_sites());
    std::vector<const uint8_t *> pointers;
    for (int site = 0; site < config.dropout_sites(); ++site) {
        if (config.site_dropout(site) == 0) {
            pointers.push_back(nullptr);
            continue;
        }
        const int64_t size = config.site_size(site);
        keep[site].resize(batch * size);
        for (int s = 0; s < batch; ++s) seqcnn_dropout_keep(config, 3, s, site, keep[site].data() + s * size);
        pointers.push_back(keep[site].data());
    }
    for (auto _ : state) {
        trainer.compute_gradients(one_hot.data(), labels.data(), batch, &pointers);
        adam.step(trainer.parameters(), trainer.gradients(), 1e-3);
    }
    const double steps = static_cast<double>(state.iterations());
    state.counters["sequences/s"] = benchmark::Counter(steps * batch, benchmark::Counter::kIsRate);
    state.counters["GFLOP/s"] = benchmark::Counter(SeqcnnTrainer::training_flops(config, batch) * steps / 1e9,
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SeqcnnTrainStep)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

} // namespace

BENCHMARK_MAIN();
