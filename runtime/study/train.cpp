#include "causeway/study/train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <sstream>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/paths.h"
#include "causeway/pecnn_network.h"
#include "causeway/progress.h"
#include "causeway/safetensors.h"
#include "causeway/study/adam.h"
#include "causeway/study/split.h"
#include "causeway/study/training_state.h"

namespace causeway {

namespace {

constexpr const char *kCheckpointArchitecture = "pecnn-training-checkpoint";

// The settings that decide the result, in a fixed order: a resumed run must match them all.
std::vector<std::pair<std::string, std::string>> settings_of(const TrainOptions &o, const Dataset &data,
                                                             const PecnnConfig &c) {
    std::vector<std::string> dilations;
    for (int d : c.dilations) dilations.push_back(std::to_string(d));
    std::vector<std::pair<std::string, std::string>> s = {
        {"--dataset", fmt::format("{} genes x {} cell types x {} marks x {} bins", data.genes(), data.cells(),
                                  data.marks(), data.bins())},
        {"--train-chroms", o.train_chroms},
        {"--valid-chroms", o.valid_chroms},
        {"--batch", std::to_string(o.batch)},
        {"--lr", exact_number(o.lr)},
        {"--lr-schedule", lr_schedule_name(o.schedule)},
        {"--patience", std::to_string(o.patience)},
        {"--seed", std::to_string(o.seed)},
        {"--init", o.init},
        {"--hidden", std::to_string(c.hidden)},
        {"--depth", std::to_string(c.depth)},
        {"--kernel", std::to_string(c.kernel)},
        {"--dilations", join_list(dilations)},
        {"--pooling", pooling_name(c.pooling)},
    };
    if (o.schedule == LrSchedule::Step) {
        s.emplace_back("--lr-step", std::to_string(o.lr_step));
        s.emplace_back("--lr-gamma", exact_number(o.lr_gamma));
    }
    // A cosine schedule spans the run, so only there does the epoch count change earlier epochs.
    if (o.schedule == LrSchedule::Cosine) s.emplace_back("--epochs", std::to_string(o.epochs));
    return s;
}

// The checkpoint in PyTorch's names and layouts (the network's packed buffers unpacked per tensor).
TrainingCheckpointFormat checkpoint_format(PecnnNetwork &network) {
    TrainingCheckpointFormat format;
    format.architecture = kCheckpointArchitecture;
    format.description = "causeway training checkpoint";
    format.best_probe = "best.readout.bias";
    format.save_parameters = [&network](SafetensorsWriter &writer, const std::string &prefix,
                                        const float *packed) {
        PecnnModel values(network.config());
        network.unpack(packed, values);
        for (auto &[name, tensor] : values.parameters())
            writer.add_f32(prefix + name, tensor->shape, tensor->data.data());
    };
    format.load_parameters = [&network](const SafetensorsFile &file, const std::string &prefix,
                                        float *packed) {
        PecnnModel values(network.config());
        for (auto &[name, tensor] : values.parameters()) {
            const float *data = file.f32(prefix + name, tensor->shape);
            std::copy(data, data + tensor->size(), tensor->data.begin());
        }
        network.pack(values, packed);
    };
    return format;
}

// Copies the genes `ids[first, first + count)` into contiguous batch buffers (whole-gene copies).
void gather(const Dataset &data, const std::vector<int64_t> &ids, size_t first, size_t count,
            std::vector<float> &inputs, std::vector<float> &targets) {
    const size_t gene_inputs = static_cast<size_t>(data.cells()) * data.marks() * data.bins();
    inputs.resize(count * gene_inputs);
    targets.resize(count * data.cells());
    for (size_t i = 0; i < count; ++i) {
        std::memcpy(inputs.data() + i * gene_inputs, data.inputs(ids[first + i]),
                    gene_inputs * sizeof(float));
        std::memcpy(targets.data() + i * data.cells(), data.targets(ids[first + i]),
                    data.cells() * sizeof(float));
    }
}

// Masked mean-squared error over `ids`, the compiled forward pass in batches.
double evaluation_loss(PecnnNetwork &network, const Dataset &data, const std::vector<int64_t> &ids, int batch,
                       std::vector<float> &inputs, std::vector<float> &targets) {
    std::vector<float> predictions;
    double squares = 0;
    int64_t known = 0;
    for (size_t start = 0; start < ids.size(); start += batch) {
        const size_t count = std::min<size_t>(batch, ids.size() - start);
        gather(data, ids, start, count, inputs, targets);
        predictions.resize(count * data.cells());
        network.forward(inputs.data(), static_cast<int64_t>(count), data.cells(), predictions.data());
        for (size_t i = 0; i < predictions.size(); ++i) {
            if (std::isnan(targets[i])) continue;
            const double r = static_cast<double>(predictions[i]) - targets[i];
            squares += r * r;
            ++known;
        }
    }
    return known ? squares / static_cast<double>(known) : std::nan("");
}

} // namespace

LrSchedule parse_lr_schedule(const std::string &text) {
    if (text == "constant") return LrSchedule::Constant;
    if (text == "step") return LrSchedule::Step;
    if (text == "cosine") return LrSchedule::Cosine;
    fail("--lr-schedule must be constant, step or cosine, not '{}'", text);
}

std::string lr_schedule_name(LrSchedule schedule) {
    switch (schedule) {
    case LrSchedule::Step:
        return "step";
    case LrSchedule::Cosine:
        return "cosine";
    default:
        return "constant";
    }
}

std::string default_checkpoint_path(const std::string &out) {
    return training_output_stem(out) + ".checkpoint.safetensors";
}

std::string default_log_path(const std::string &out) {
    return training_output_stem(out) + ".log.tsv";
}

double scheduled_lr(const TrainOptions &o, int epoch) {
    switch (o.schedule) {
    case LrSchedule::Step:
        return o.lr * std::pow(o.lr_gamma, epoch / std::max(1, o.lr_step));
    case LrSchedule::Cosine:
        return o.lr * 0.5 * (1 + std::cos(M_PI * epoch / std::max(1, o.epochs)));
    default:
        return o.lr;
    }
}

TrainSummary train_pecnn(const TrainOptions &o) {
    if (o.epochs < 1) fail("--epochs must be at least 1, not {}", o.epochs);
    if (o.batch < 1) fail("--batch must be at least 1, not {}", o.batch);
    if (!(o.lr > 0) || !std::isfinite(o.lr)) fail("--lr must be a positive number, not {}", o.lr);
    const std::string checkpoint = o.checkpoint.empty() ? default_checkpoint_path(o.out) : o.checkpoint;
    const std::string log_path = o.log.empty() ? default_log_path(o.out) : o.log;
    if (checkpoint == o.out || log_path == o.out || checkpoint == log_path)
        fail("--out, --checkpoint and --log must be different files ({}, {}, {})", o.out, checkpoint,
             log_path);

    Dataset data(o.dataset);
    const ChromSet train_set(o.train_chroms, "--train-chroms"), valid_set(o.valid_chroms, "--valid-chroms");
    const GeneSplit split = split_genes(data, train_set, valid_set, ChromSet(), false);
    if (!valid_set.empty() && split.valid.empty())
        fail("--valid-chroms {}: no gene with a known target on these chromosomes: {}", o.valid_chroms,
             o.dataset);

    PecnnModel initial;
    if (o.init.empty()) {
        PecnnConfig config = o.architecture;
        config.marks = data.mark_names();
        config.bins = data.bins();
        config.validate();
        initial = pecnn_init(config, o.seed);
    } else {
        initial = pecnn_load(o.init);
    }
    const PecnnConfig &config = initial.config;
    check_model_fits_dataset(config, data, o.init);

    PecnnNetwork network(initial);
    Adam adam(network.packed_size(), AdamSettings{o.lr});
    const std::string settings = encode_training_settings(settings_of(o, data, config));
    const TrainingCheckpointFormat format = checkpoint_format(network);
    const auto parameter_count = static_cast<size_t>(network.packed_size());
    TrainingState state;
    state.rng.seed(o.seed);
    if (o.resume) {
        if (!file_exists(checkpoint)) fail("--resume: no checkpoint to resume from: {}", checkpoint);
        read_training_checkpoint(checkpoint, format, settings, state, network.packed_parameters(),
                                 parameter_count, adam);
    }

    const bool validate = !split.valid.empty();
    const int cells = data.cells();
    const size_t batches = (split.train.size() + o.batch - 1) / o.batch;
    std::vector<float> inputs, targets;
    const int first_epoch = state.epoch;
    Progress progress("train", static_cast<int64_t>(std::max(0, o.epochs - first_epoch)) * batches);
    int64_t steps_done = 0;
    std::string last_detail;
    while (state.epoch < o.epochs && !state.stopped) {
        const auto start = std::chrono::steady_clock::now();
        const double lr = scheduled_lr(o, state.epoch);
        std::vector<int64_t> order = split.train;
        shuffle_in_place(order, state.rng);
        double loss_sum = 0;
        for (size_t b = 0; b < batches; ++b) {
            const size_t first = b * o.batch, count = std::min<size_t>(o.batch, order.size() - first);
            gather(data, order, first, count, inputs, targets);
            loss_sum +=
                network.compute_gradients(inputs.data(), targets.data(), static_cast<int64_t>(count), cells);
            adam.step(network.packed_parameters(), network.packed_gradients(), lr);
            ++steps_done;
            if (!o.quiet)
                progress.update(steps_done,
                                fmt::format("epoch {}/{} loss {:.4f} {}", state.epoch + 1, o.epochs,
                                            loss_sum / static_cast<double>(b + 1), last_detail));
        }
        const double train_loss = loss_sum / static_cast<double>(batches);
        const double valid_loss =
            validate ? evaluation_loss(network, data, split.valid, 256, inputs, targets) : std::nan("");
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state.end_epoch(validate, train_loss, valid_loss, lr, seconds, network.packed_parameters(),
                        parameter_count, o.patience);
        if (validate)
            last_detail = fmt::format("| epoch {} valid {:.4f}, best {:.4f} at epoch {}", state.epoch,
                                      valid_loss, state.best_valid_loss, state.best_epoch);
        write_training_checkpoint(
            checkpoint, format, settings, state, network.packed_parameters(), adam,
            {{"marks", join_list(config.marks)}, {"bins", std::to_string(config.bins)}});
        write_training_log(log_path, state.log);
    }
    progress.finish();

    // The parameters of the best validation epoch (early stopping), or the last ones without validation.
    PecnnModel result(config);
    network.unpack(validate && !state.best_parameters.empty() ? state.best_parameters.data()
                                                              : network.packed_parameters(),
                   result);
    pecnn_save(result, o.out);

    TrainSummary summary;
    summary.epochs_run = state.epoch;
    summary.best_epoch = state.best_epoch;
    summary.best_valid_loss = validate ? state.best_valid_loss : std::nan("");
    summary.stopped_early = state.stopped;
    summary.train_genes = static_cast<int64_t>(split.train.size());
    summary.valid_genes = static_cast<int64_t>(split.valid.size());
    return summary;
}

} // namespace causeway
