// causeway evaluate: the network's held-out accuracy per cell type (Pearson and Spearman on the test
// chromosomes, and their means over cell types), beside a ridge-regression baseline on the binned marks
// fitted on the same training chromosomes with lambda chosen on the validation ones.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace causeway {

struct EvaluateOptions {
    std::string model, dataset, out_dir;
    std::string train_chroms = "chr1-chr12", valid_chroms = "chr13";
    std::string test_chroms; // "" = every chromosome in neither train nor valid
    int batch = 256;
};

struct CellScores {
    std::string cell_type;
    int64_t n = 0; // held-out genes with a known target in this cell type
    double network_pearson = 0, network_spearman = 0, ridge_pearson = 0, ridge_spearman = 0;
};

struct EvaluateResult {
    std::vector<CellScores> cells;
    CellScores mean; // means over cell types (those with a defined correlation)
    double lambda = 0;
    std::vector<std::pair<double, double>> lambda_path; // (lambda, validation MSE)
    int64_t train_genes = 0, valid_genes = 0, test_genes = 0;
};

// The ridge penalties tried: 10^-2 ... 10^6 in half decades.
std::vector<double> ridge_lambda_grid();

// Computes everything, then writes into out_dir (created if missing; each file atomically):
// correlations.tsv, predictions.tsv, ridge.tsv, correlations.png, correlations.svg.
EvaluateResult evaluate_pecnn(const EvaluateOptions &options);

} // namespace causeway
