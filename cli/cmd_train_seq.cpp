// causeway train-seq: train a sequence CNN (seqcnn contract) on labelled genome regions: Adam on the
// multi-task binary cross-entropy, shuffled mini-batches and dropout masks from the seed, early stopping on
// validation regions, checkpoints, --resume (seqcnn_train.h).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "causeway/error.h"
#include "causeway/pecnn_model.h" // split_list
#include "causeway/seqcnn_train.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct TrainSeqCliOptions {
    SeqcnnTrainOptions train;
    int length = 400;
    // The default learns simulate-genome's world in a few epochs: one wide convolution, a max over the
    // whole sequence per filter (motif presence), one hidden layer for the tasks' combinations.
    std::string channels = "128", kernels = "16", pools = "global", dense = "64";
    std::string conv_dropout = "0.2", dense_dropout = "0";
    std::string activation = "relu", padding = "valid";
    int threads = 0;
};

// --pools global: one window over the block's whole output (resolved once the lengths are known).
constexpr int kGlobalPool = -1;

// One value applies to every layer; otherwise one per layer.
template <typename T>
std::vector<T> per_layer(const std::string &text, const std::string &option, size_t layers) {
    std::vector<T> values;
    for (const std::string &item : split_list(text)) {
        if (option == "--pools" && (item == "none" || item == "global")) {
            values.push_back(T(item == "none" ? 1 : kGlobalPool));
            continue;
        }
        try {
            size_t used = 0;
            values.push_back(std::is_same_v<T, int> ? static_cast<T>(std::stoi(item, &used))
                                                    : static_cast<T>(std::stod(item, &used)));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception &) {
            fail("{} must be a comma list of numbers, got '{}'", option, text);
        }
    }
    if (values.size() == 1 && layers > 1) values.assign(layers, values[0]);
    if (values.size() != layers)
        fail("{} has {} values for {} layers ('{}'): give one value, or one per layer", option, values.size(),
             layers, text);
    return values;
}

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<TrainSeqCliOptions>();
    SeqcnnTrainOptions &t = o->train;
    app.add_option("-f,--fasta", t.fasta, "Genome FASTA, plain or bgzip, indexed (samtools faidx)")
        ->required();
    app.add_option("-r,--regions", t.regions,
                   "BED regions (plain or gzip) with a name column, each resized to --length bases around "
                   "its centre")
        ->required();
    app.add_option("-l,--labels", t.labels,
                   "Label TSV: 'region' (the BED name), then one 0/1 column per task")
        ->required();
    app.add_option("-o,--out", t.out, "Model file to write (seqcnn safetensors): the best validation epoch's")
        ->required();
    app.add_option("--length", o->length, "Sequence length L of the model")->check(CLI::Range(1, 1000000));
    app.add_option("--channels", o->channels, "Output channels per conv block, comma-separated");
    app.add_option("--kernel", o->kernels, "Kernel width per conv block (one value: every block)");
    app.add_option("--pools", o->pools,
                   "Max-pool per conv block (none or 1: no pooling; global: the whole output) [default for "
                   "several blocks: 4, none last]");
    app.add_option("--dense", o->dense, "Hidden dense units, comma-separated (the task layer is added)");
    app.add_option("--dropout", o->conv_dropout,
                   "Dropout probability per conv block, one value for all [default for several blocks: 0.2, "
                   "0.5 last]");
    app.add_option("--dense-dropout", o->dense_dropout, "Dropout probability per hidden dense layer");
    app.add_option("--activation", o->activation, "relu, or DeepSEA's threshold (<= 0 becomes 1e-6)")
        ->check(CLI::IsMember({"relu", "threshold"}));
    app.add_option("--padding", o->padding, "Convolution padding: valid or same")
        ->check(CLI::IsMember({"valid", "same"}));
    add_training_loop_options(app, t, "Sequences per mini-batch");
    app.add_option("--valid-chroms", t.valid_chroms,
                   "Validation chromosomes for early stopping (chr7,chr10-chr12); auto: 1 region in 10 by a "
                   "hash of its name; '': none (train every epoch, keep the last)");
    app.add_option("--test-chroms", t.test_chroms,
                   "Held-out chromosomes, never trained on (evaluate-seq's); auto: another 1 region in 10 by "
                   "name; '': none");
    app.add_option("--seed", t.seed,
                   "Random seed: initialisation, batch order, dropout (same seed, same bytes)");
    add_checkpoint_options(app, t);
    add_threads_option(app, o->threads);
    return [o, &app]() {
        apply_threads(o->threads);
        SeqcnnTrainOptions t = o->train;
        SeqcnnConfig &c = t.architecture;
        c.sequence_length = o->length;
        c.activation = o->activation == "relu" ? SeqcnnActivation::Relu : SeqcnnActivation::Threshold;
        c.padding = o->padding == "valid" ? SeqcnnPadding::Valid : SeqcnnPadding::Same;
        c.conv_channels = per_layer<int>(o->channels, "--channels", split_list(o->channels).size());
        const size_t blocks = c.conv_channels.size();
        c.conv_kernels = per_layer<int>(o->kernels, "--kernel", blocks);
        // Left at their defaults, pools and dropout follow DeepSEA's pattern for any depth: pool 4 and
        // dropout 0.2 in every block but the last, which has no pooling and dropout 0.5.
        const bool deepsea_pattern = blocks != 1;
        if (app.count("--pools") == 0 && deepsea_pattern) {
            c.pools.assign(blocks, 4);
            c.pools.back() = 1;
        } else {
            c.pools = per_layer<int>(o->pools, "--pools", blocks);
        }
        // In order: a block's output length depends on the pools before it, never on its own.
        for (int i = 0; i < static_cast<int>(blocks); ++i)
            if (c.pools[i] == kGlobalPool) {
                c.pools[i] = 1;
                c.pools[i] = std::max(1, c.conv_output_length(i));
            }
        if (app.count("--dropout") == 0 && deepsea_pattern) {
            c.conv_dropout.assign(blocks, 0.2);
            c.conv_dropout.back() = 0.5;
        } else {
            c.conv_dropout = per_layer<double>(o->conv_dropout, "--dropout", blocks);
        }
        c.dense_units = o->dense.empty() || o->dense == "none"
                            ? std::vector<int>{}
                            : per_layer<int>(o->dense, "--dense", split_list(o->dense).size());
        const size_t hidden = c.dense_units.size();
        c.dense_dropout = hidden == 0 ? std::vector<double>{}
                                      : per_layer<double>(o->dense_dropout, "--dense-dropout", hidden);
        c.dense_units.push_back(1); // the task layer: its width comes from the label table
        const SeqcnnTrainSummary s = seqcnn_train(t);
        if (std::isnan(s.best_valid_loss))
            fmt::print(
                stderr,
                "causeway train-seq: {} epochs on {} regions, no validation; wrote the last epoch: {}\n",
                s.epochs_run, s.train_regions, t.out);
        else
            fmt::print(
                stderr,
                "causeway train-seq: {} epochs on {} regions{}; best validation loss {:.4f} ({} regions) at "
                "epoch {}; {} test regions held out: {}\n",
                s.epochs_run, s.train_regions, s.stopped_early ? " (stopped early)" : "", s.best_valid_loss,
                s.valid_regions, s.best_epoch, s.test_regions, t.out);
        return 0;
    };
}

const CommandRegistrar registrar{{"train-seq", "Sequence models", 47,
                                  "Train a sequence CNN on labelled regions (Adam, dropout, early stopping)",
                                  setup}};

} // namespace
} // namespace causeway::cli
