// Training the sequence CNN (causeway train-seq): the compiled backward pass (generators/seqcnn_*grad*,
// *backward*, *loss*), PyTorch's BCEWithLogitsLoss over tasks, torch.optim.Adam, shuffled mini-batches
// and dropout masks from the seed, early stopping on validation chromosomes, a checkpoint after every
// epoch. Same settings and seed: same bytes, also across --resume.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "causeway/seqcnn_labeled_regions.h"
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
