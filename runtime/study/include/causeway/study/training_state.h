// What `train` (equivariant CNN) and `train-seq` (sequence CNN) share: the state a run needs to continue
// after an interruption (epochs done, early stopping, the shuffling generator, the best parameters, the
// per-epoch log), its checkpoint file (safetensors: the model, Adam's moments and the best parameters in
// PyTorch's names, everything else as metadata), and the settings check that makes `--resume` refuse a
// checkpoint written by a different command.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "causeway/safetensors.h"
#include "causeway/study/adam.h"

namespace causeway {

struct TrainingLogRow {
    int epoch;
    double train_loss, valid_loss, lr, seconds; // valid_loss NaN without validation
};

// The log as TSV (epoch train_loss valid_loss lr seconds; NA for a missing validation loss).
std::string training_log_text(const std::vector<TrainingLogRow> &rows);

struct TrainingState {
    int epoch = 0; // epochs completed
    bool stopped = false;
    int best_epoch = 0, bad_epochs = 0;
    double best_valid_loss = std::numeric_limits<double>::infinity();
    std::mt19937_64 rng;
    std::vector<float> best_parameters; // the trainer's flat layout; empty without validation
    std::vector<TrainingLogRow> log;

    // Closes an epoch: counts it, keeps the best parameters (`count` floats) by validation loss and sets
    // `stopped` after `patience` epochs without improvement (0: never), and appends the log row. Without
    // validation (`validate` false, valid_loss NaN) the last epoch counts as the best.
    void end_epoch(bool validate, double train_loss, double valid_loss, double lr, double seconds,
                   const float *parameters, size_t count, int patience);
};

// Writes the log (training_log_text) atomically.
void write_training_log(const std::string &path, const std::vector<TrainingLogRow> &rows);

// The settings that decide a run's result, as the checkpoint stores them (one "key<TAB>value" per line).
std::string encode_training_settings(const std::vector<std::pair<std::string, std::string>> &settings);

// A value written so that it reads back bit-exactly.
std::string exact_number(double value);

// Uniform in [0, n) by rejection from 64 random bits: the same draws on every platform (std's
// distributions are not specified exactly); and a Fisher-Yates shuffle built on it.
uint64_t uniform_below(std::mt19937_64 &rng, uint64_t n);
void shuffle_in_place(std::vector<int64_t> &order, std::mt19937_64 &rng);

// The checkpoint and log paths beside --out unless given: OUT minus ".safetensors", plus the suffix.
std::string training_output_stem(const std::string &out);

struct TrainingCheckpointFormat {
    std::string architecture; // the checkpoint's "architecture" metadata, e.g. "seqcnn-training-checkpoint"
    std::string description;  // how an error names it, e.g. "train-seq checkpoint"
    // Adds the flat parameters `flat` as the model's tensors, each name prefixed (""/"exp_avg."/...).
    std::function<void(SafetensorsWriter &, const std::string &prefix, const float *flat)> save_parameters;
    // Reads the tensors with that prefix into `flat`.
    std::function<void(const SafetensorsFile &, const std::string &prefix, float *flat)> load_parameters;
    // A tensor name present only when best parameters were saved, e.g. "best.conv.0.weight".
    std::string best_probe;
};

// Writes the checkpoint atomically (SafetensorsWriter::write): `metadata` adds model-specific keys.
void write_training_checkpoint(const std::string &path, const TrainingCheckpointFormat &format,
                               const std::string &settings, const TrainingState &state,
                               const float *parameters, const Adam &adam,
                               const std::vector<std::pair<std::string, std::string>> &metadata = {});

// Restores the state, `parameters` (`count` floats) and Adam from a checkpoint written with the same
// settings; names the first setting that differs otherwise.
void read_training_checkpoint(const std::string &path, const TrainingCheckpointFormat &format,
                              const std::string &settings, TrainingState &state, float *parameters,
                              size_t count, Adam &adam);

} // namespace causeway
