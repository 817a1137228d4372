// causeway optimize (expression optimisation, the paper's Section 2.3 and Figure 2C): gradient descent on
// the input W from W0 so that the network's prediction reaches y_desired = log1p(fold x TPM), minimising
// sum over cell types of (f(W) - y_desired)^2 (the paper's Eq. 1) + l2 ||W - W0||^2 + l1 |W - W0|_1, with
// W >= 0 (the inputs are log1p of -log10 p). Many genes at once through the compiled passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace causeway {

class PecnnNetwork;

enum class InputOptimizer { Adam, GradientDescent };

struct InputOptimizerSettings {
    InputOptimizer method = InputOptimizer::Adam;
    int steps = 200;
    double lr = 0.05;
    double l2 = 0, l1 = 0;
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
    // One step on w (w0 the start) with gradient grad of the smooth objective.
    void step(float *w, const float *w0, const float *grad);

private:
    InputOptimizerSettings s_;
    size_t size_;
    std::vector<float> m_, v_; // Adam's moments
    int64_t t_ = 0;
};

struct OptimizeResult {
    std::vector<float> w;        // [genes, C, M, L] the optimised inputs
    std::vector<float> achieved; // [genes, C] f(W)
    // Per step 0..steps: the mean over optimised (gene, cell type) pairs of (f(W) - y)^2 (step 0 is W0).
    std::vector<double> mse;
};

// Optimises genes x [C, M, L] inputs toward targets [genes, C], `batch` genes per compiled call.
OptimizeResult optimize_inputs(PecnnNetwork &network, const float *w0, const float *targets, int64_t genes,
                               int cells, int marks, int bins, const InputOptimizerSettings &settings,
                               int batch);

struct OptimizeOptions {
    std::string model, dataset, out_dir;
    std::string genes = "all", cells; // "" = every cell type
    double fold = 100;
    std::string from = "predicted"; // the expression the fold multiplies: predicted (f(W0)) | observed
    std::string method = "adam";    // adam | gd
    InputOptimizerSettings settings;
    int batch = 64;
    int heatmaps = 12;
};

struct OptimizeSummary {
    // Genes whose every optimised cell type ends within 5% of its TPM target (a 1e-3 TPM floor for 0).
    int64_t genes = 0, within = 0;
    double final_mse = 0, seconds = 0;
};

// Computes, then writes into out_dir: achieved.tsv, edits.tsv (W - W0 per gene, mark and bin, a column
// per cell type), loss.tsv, edits_mean.png/.svg and heatmaps/<gene>.png/.svg.
OptimizeSummary optimize_expression(const OptimizeOptions &options);

} // namespace causeway
