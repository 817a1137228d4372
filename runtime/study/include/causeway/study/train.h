// causeway train: Adam on the masked mean-squared error, mini-batches of genes from a by-chromosome split,
// early stopping on the validation chromosomes, a checkpoint after every epoch. Each step is the compiled
// forward + backward pass and the compiled Adam update; the host only gathers the batch's genes (one copy
// per gene) and keeps the books. Same settings and seed: same bytes, also across --resume.
#pragma once

#include <cstdint>
#include <string>

#include "causeway/pecnn_model.h"

namespace causeway {

enum class LrSchedule { Constant, Step, Cosine };
LrSchedule parse_lr_schedule(const std::string &text); // constant, step, cosine
std::string lr_schedule_name(LrSchedule schedule);

struct TrainOptions {
    std::string dataset, out;
    std::string init;       // start from this model instead of a new one ("" = pecnn_init)
    std::string checkpoint; // "" = <out stem>.checkpoint.safetensors
    std::string log;        // "" = <out stem>.log.tsv
    std::string train_chroms = "chr1-chr12", valid_chroms = "chr13"; // valid "" = no early stopping
    int epochs = 100;
    int batch = 64;
    double lr = 1e-3;
    LrSchedule schedule = LrSchedule::Constant;
    int lr_step = 30;         // Step: multiply by lr_gamma every lr_step epochs
    double lr_gamma = 0.5;    // Cosine anneals to 0 at the last epoch (CosineAnnealingLR, eta_min 0)
    int patience = 10;        // epochs without a better validation loss before stopping; 0 = never stop
    PecnnConfig architecture; // marks and bins come from the dataset
    uint64_t seed = 1;
    bool resume = false;
    bool quiet = false; // no progress bar even on a terminal
};

struct TrainSummary {
    int epochs_run = 0; // epochs completed, over all runs of a resumed training
    int best_epoch = 0; // 1-based epoch whose parameters were written (the last one without validation)
    double best_valid_loss = 0;
    bool stopped_early = false;
    int64_t train_genes = 0, valid_genes = 0;
};

// Checkpoint and log paths derived from --out when not given.
std::string default_checkpoint_path(const std::string &out);
std::string default_log_path(const std::string &out);

TrainSummary train_pecnn(const TrainOptions &options);

// The learning rate of a (0-based) epoch.
double scheduled_lr(const TrainOptions &options, int epoch);

} // namespace causeway
