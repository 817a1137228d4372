// causeway optimize (expression optimisation, the paper's Section 2.3 and Figure 2C): gradient descent on
// the input W from W0 so that the network's prediction reaches y_desired = log1p(fold x TPM) (or a target
// per gene and cell type from a table), minimising sum over cell types of (f(W) - y_desired)^2 (the paper's
// Eq. 1) + l2 ||W - W0||^2 + l1 |W - W0|_1, with W >= 0 (the inputs are log1p of -log10 p). With `sparse`,
// two phases: the L1 phase selects the (mark, bin) entries to edit, then a refit without L1 on that support
// alone (in every cell type; every other entry frozen at W0) reaches the target. Many genes at once through
// the compiled passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "causeway/shard.h"

namespace causeway {

class Dataset;
class PecnnNetwork;
class Progress;

enum class InputOptimizer { Adam, GradientDescent };

struct InputOptimizerSettings {
    InputOptimizer method = InputOptimizer::Adam;
    int steps = 200;
    double lr = 0.05;
    double l2 = 0, l1 = 0;
    // Two phases: `steps` with l1 choose the support (the (mark, bin) entries edited in some cell type), then
    // `refit_steps` without l1 on that support only, in every cell type. Off: one phase of `steps`.
    bool sparse = false;
    int refit_steps = 200;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // Adam's
};

// The smooth part of the objective over `genes` genes: J = sum over known targets (NaN = free) of
// (f(W) - y)^2 + l2 ||W - W0||^2. Writes dJ/dW into grad and f(W) into predictions; returns
// (J, the sum of squares alone).
std::pair<double, double> smooth_objective(PecnnNetwork &network, const float *w, const float *w0,
                                           const float *targets, int64_t genes, int cells, size_t block,
                                           double l2, float *grad, float *predictions);

// Adam (or plain gradient descent) on W with a proximal L1 step toward W0 and a projection onto W >= 0
// after every step. Holds the moments of one batch of genes.
class InputOptimizerState {
public:
    InputOptimizerState(const InputOptimizerSettings &settings, size_t size);
    // One step on w (w0 the start) with gradient grad of the smooth objective. Where `support` is given,
    // only its non-zero elements move; the others stay at w0. Runs on the pipelines' thread pool.
    void step(float *w, const float *w0, const float *grad, const uint8_t *support = nullptr);

private:
    InputOptimizerSettings s_;
    size_t size_;
    std::vector<float> m_, v_; // Adam's moments
    int64_t t_ = 0;
};

struct OptimizeResult {
    std::vector<float> w;        // [genes, C, M, L] the optimised inputs
    std::vector<float> achieved; // [genes, C] f(W)
    // Per step 0..steps (+ refit_steps when sparse): the mean over optimised (gene, cell type) pairs of
    // (f(W) - y)^2 (step 0 is W0; with sparse, step `steps` ends the L1 phase and starts the refit).
    std::vector<double> mse;
    // [genes, steps + 1]: per gene, the sum over its optimised cell types of (f(W) - y)^2 at each step; mse
    // is their sum over genes, in gene order, over the count of optimised pairs (optimize_mse).
    std::vector<double> squares;
    double pass_seconds = 0, update_seconds = 0; // the compiled passes; the host's optimiser steps
};

// Optimises genes x [C, M, L] inputs toward targets [genes, C], `batch` genes per compiled call. Draws its
// own progress bar, or advances `progress` (counting gene x steps) from `progress_done`.
OptimizeResult optimize_inputs(PecnnNetwork &network, const float *w0, const float *targets, int64_t genes,
                               int cells, int marks, int bins, const InputOptimizerSettings &settings,
                               int batch, Progress *progress = nullptr, int64_t progress_done = 0);

// The mean squared error per step from per-gene sums of squares ([genes, steps], summed in gene order) and
// the count of optimised (gene, cell type) pairs (0: zeros).
std::vector<double> optimize_mse(const std::vector<double> &squares, int64_t genes, int64_t known);

// Targets per gene and cell type from a TSV with a header: `gene cell_type log1p_tpm` (the desired
// log1p(TPM), the network's output scale) or `gene cell_type fold` (a fold change of the --from TPM).
// Genes (ids with or without a version) follow the file's order of first appearance; cell types a gene
// does not list are left free.
struct TargetTable {
    enum class Scale { Log1pTpm, Fold } scale = Scale::Log1pTpm;
    std::vector<int64_t> genes;              // dataset rows
    std::vector<std::vector<double>> values; // per gene, per dataset cell type (NaN = free)
};
TargetTable read_target_table(const Dataset &data, const std::string &path);

struct OptimizeOptions {
    std::string model, dataset, out_dir;
    std::string genes = "all", cells; // "" = every cell type
    double fold = 100;
    std::string targets;            // a TargetTable file instead of --genes, --cells and --fold
    std::string from = "predicted"; // the expression the fold multiplies: predicted (f(W0)) | observed
    std::string method = "adam";    // adam | gd
    InputOptimizerSettings settings;
    int batch = 64;
    int heatmaps = 12;
    // Work units are batches of `batch` genes (a gene's result depends on its batch, which is the same in
    // every shard); a shard writes its genes' work files only, causeway merge then writes the rest.
    ShardSpec shard;
};

struct OptimizeSummary {
    // Genes whose every optimised cell type ends within 5% of its TPM target (a 1e-3 TPM floor for 0).
    int64_t genes = 0, within = 0;
    double final_mse = 0, seconds = 0;
    double pass_seconds = 0, update_seconds = 0; // of `seconds`: compiled passes, host optimiser steps
    double median_edited = 0; // median over genes of the (mark, bin) entries edited in any cell type
    // Gene batches of the whole run, and of this run's those read back from work/; genes optimised here.
    int64_t units = 0, units_resumed = 0, genes_computed = 0;
};

// Optimises each batch of genes into out_dir/work/ (one file per gene, written when its batch is done; a
// rerun with the same settings resumes from them; a shard stops there), then writes from every gene's work
// file into out_dir: achieved.tsv (per gene and cell type, with the (mark, bin) entries
// edited), genes.tsv (per gene: reached, edited entries), edits.tsv (W - W0 per gene, mark and bin, a column
// per cell type), loss.tsv, edits_mean.png/.svg and heatmaps/<gene>.png/.svg.
OptimizeSummary optimize_expression(const OptimizeOptions &options);

} // namespace causeway
