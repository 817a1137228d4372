// Training the sequence CNN (causeway train-seq): the compiled backward pass (generators/seqcnn_*grad*,
// *backward*, *loss*), PyTorch's BCEWithLogitsLoss over tasks, torch.optim.Adam, shuffled mini-batches
// and dropout masks from the seed, early stopping on validation chromosomes, a checkpoint after every
// epoch. Same settings and seed: same bytes, also across --resume.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "causeway/seqcnn_model.h"

namespace causeway {

// Forward and backward passes over mini-batches. Holds the parameters as one flat float vector in the
// model's parameters() order and PyTorch layouts (what Adam updates), and repacks them into the compiled
// pipelines' layouts before each pass.
class SeqcnnTrainer {
public:
    explicit SeqcnnTrainer(const SeqcnnModel &model);
    ~SeqcnnTrainer();
    SeqcnnTrainer(const SeqcnnTrainer &) = delete;
    SeqcnnTrainer &operator=(const SeqcnnTrainer &) = delete;

    const SeqcnnConfig &config() const;
    int64_t parameter_count() const;
    float *parameters();
    const float *parameters() const;
    // d(loss)/d(parameters) of the last compute_gradients call, same layout as parameters().
    const float *gradients() const;
    // The current parameters as a model, or `flat` (parameter_count() floats in the same layout).
    SeqcnnModel model() const;
    SeqcnnModel model(const float *flat) const;

    // One forward and backward pass: one_hot [batch, 4, L], labels [batch, tasks] (0 or 1). keep: nullptr
    // for no dropout, else one keep mask per dropout site (nullptr entries for sites left alone), each
    // [batch, site_size] as SeqcnnMasks. Returns the mean binary cross-entropy over sequences and tasks
    // (BCEWithLogitsLoss); gradients() then holds its gradient.
    double compute_gradients(const float *one_hot, const float *labels, int64_t batch,
                             const std::vector<const uint8_t *> *keep = nullptr);
    // The same loss without dropout and without the backward pass (validation).
    double loss(const float *one_hot, const float *labels, int64_t batch);

    // Floating-point operations of one training step (forward and backward) over `batch` sequences.
    static double training_flops(const SeqcnnConfig &config, int64_t batch);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Regions of a BED file with their labels and sequences, held as base codes (0-3 for A, C, G, T; 4 for
// anything else) for one-hot batches.
struct SeqcnnLabeledRegions {
    int length = 0;
    std::vector<std::string> tasks;
    std::vector<std::string> names, chroms; // per region
    std::vector<uint8_t> bases;             // [regions, length]
    std::vector<float> labels;              // [regions, tasks]

    int64_t size() const { return static_cast<int64_t>(names.size()); }
    // One-hot [count, 4, length] of regions ids[first, first + count).
    void one_hot(const std::vector<int64_t> &ids, size_t first, size_t count, std::vector<float> &out) const;
    // Labels [count, tasks] of the same regions.
    void gather_labels(const std::vector<int64_t> &ids, size_t first, size_t count,
                       std::vector<float> &out) const;
};

// Reads the regions (seqcnn_ism_regions: windows of `length` bases around each BED region's centre) and
// the label table (`region`, then one 0/1 column per task), joined by the BED name column. Errors name the
// file and line: a region without labels, a repeated region, a label other than 0 or 1, an unknown
// chromosome. `tasks` empty takes every label column; otherwise those columns in that order.
SeqcnnLabeledRegions seqcnn_read_labeled_regions(const std::string &fasta, const std::string &regions,
                                                 const std::string &labels, int length,
                                                 const std::vector<std::string> &tasks = {});

// Which regions train, validate and test. A spec is a chromosome list with ranges (chr1-chr5,chrX), ""
// for none, or "auto": a fixed hash of the region name puts 1 in 10 regions in the validation set and
// another 1 in 10 in the test set, whatever the chromosomes (a simulated genome may have only one).
struct SeqcnnSplit {
    std::vector<int64_t> train, valid, test;
};
SeqcnnSplit seqcnn_split_regions(const SeqcnnLabeledRegions &data, const std::string &valid_chroms,
                                 const std::string &test_chroms);

struct SeqcnnTrainOptions {
    std::string fasta, regions, labels, out;
    std::string checkpoint; // "" = <out stem>.checkpoint.safetensors
    std::string log;        // "" = <out stem>.log.tsv
    std::string valid_chroms = "auto", test_chroms = "auto";
    // The tasks, and the last dense layer's width, come from the label table.
    SeqcnnConfig architecture;
    int epochs = 6;
    int batch = 64;
    double lr = 3e-3;
    int patience = 2; // epochs without a better validation loss before stopping; 0 = never stop
    uint64_t seed = 1;
    bool resume = false;
    bool quiet = false;
};

struct SeqcnnTrainSummary {
    int epochs_run = 0;
    int best_epoch = 0;
    double best_valid_loss = 0; // NaN without validation
    bool stopped_early = false;
    int64_t train_regions = 0, valid_regions = 0, test_regions = 0;
};

SeqcnnTrainSummary seqcnn_train(const SeqcnnTrainOptions &options);

} // namespace causeway
