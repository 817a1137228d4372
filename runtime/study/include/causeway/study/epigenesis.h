// causeway epigenesis (in-silico epigenesis, the paper's Figure 2B): for each gene and mark, the mark is
// ablated over the whole window (set to the no-peak background), then a 1 kb peak of p = 1e-20 slides across
// the window with a 1 kb stride; every cell type's prediction at each position is recorded against the
// ablated baseline. All perturbations of a batch of genes go through the compiled forward pass in one call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "causeway/shard.h"

namespace causeway {

class Dataset;

// Dataset rows of --genes: "all", a comma list, or @file (one id a line; '#' comments). Ids match with or
// without a version suffix (SIMG000001 = SIMG000001.7). Unknown ids are an error naming them.
std::vector<int64_t> select_genes(const Dataset &data, const std::string &spec);
// The dataset row of a gene id (with or without a version suffix), or -1.
int64_t find_gene(const Dataset &data, const std::string &id);
// Indices into `names` of a comma list ("" = all); unknown names are an error naming `option`.
std::vector<int> select_names(const std::vector<std::string> &names, const std::string &spec,
                              const std::string &option);

enum class PeakValue { Log1p20, Raw20 };             // log1p(20) on the model's input scale, or the raw 20
enum class PeakScope { AllCells, OneCell };          // perturb every cell type together, or one at a time
enum class AblationBackground { Zero, GeneMinimum }; // 0 = log1p(-log10 1), or the track's minimum

struct EpigenesisPlan {
    std::vector<int> marks, cells; // indices into the dataset's marks and cell types
    PeakValue peak_value = PeakValue::Log1p20;
    PeakScope scope = PeakScope::AllCells;
    AblationBackground background = AblationBackground::Zero;
    int peak_bins = 10, stride_bins = 10;
};

// Peak start bins: 0, stride, ... while the whole peak fits in the window.
std::vector<int> peak_starts(int bins, int peak_bins, int stride_bins);
float peak_input_value(PeakValue value);

// One gene's perturbations: per mark, per perturbed cell type (one only for AllCells), the ablated
// baseline then one input per peak start; each input is the gene's whole [C, M, L] block.
int64_t perturbations_per_gene(const EpigenesisPlan &plan, int bins);
// Writes perturbations_per_gene() blocks of C*M*L floats for gene block `gene` ([C, M, L]) into `out`.
void build_perturbations(const EpigenesisPlan &plan, const float *gene, int cells, int marks, int bins,
                         float *out);

// predicted and delta [genes, marks, cells, positions] for the plan's marks and cells; baseline
// [genes, marks, cells] (the ablated prediction).
struct EpigenesisResult {
    std::vector<int64_t> genes;
    std::vector<int> positions; // peak start, bp from the TSS (downstream positive)
    std::vector<float> predicted, delta, baseline;
};

class PecnnNetwork;
// Runs the plan for `genes`, `batch` genes per compiled forward call (with a progress bar unless the caller
// draws its own).
EpigenesisResult run_epigenesis(PecnnNetwork &network, const Dataset &data, const std::vector<int64_t> &genes,
                                const EpigenesisPlan &plan, int batch, bool progress = true);

struct EpigenesisOptions {
    std::string model, dataset, out_dir;
    std::string genes = "all", marks, cells; // "" = all marks / cell types
    std::string peak_value = "log1p20";      // log1p20 | raw20
    std::string scope = "all-cells";         // all-cells | one-cell
    std::string background = "zero";         // zero | gene-min
    int peak_bp = 1000, stride_bp = 1000;
    int batch = 8;     // genes per compiled call
    int heatmaps = 12; // per-gene figures for the first N selected genes
    std::string truth; // simulate-epigenome's truth.json: score the aggregate against its planted rules
    // Work units are batches of `batch` genes (a batch's results are the same bytes in every shard); a shard
    // writes its genes' work files only, causeway merge then runs the tables and figures.
    ShardSpec shard;
};

// A planted rule of truth.json against the aggregate (mean change over genes and cell types per position):
// recovered when the change of largest size has the rule's sign and the peak overlaps the rule's region.
// margin = the largest change of the right sign inside the region / the largest change anywhere else
// (outside it, or of the wrong sign); recovered exactly when margin > 1.
struct RuleRecovery {
    std::string mark, effect;
    int region_begin = 0, region_end = 0;
    int position = 0;  // the largest change's peak start, bp from the TSS
    double change = 0; // and its value
    bool sign_ok = false, place_ok = false;
    double margin = 0;
};
// The planted rules of truth.json (mark, effect, region only).
std::vector<RuleRecovery> read_planted_rules(const std::string &truth_path);
// Scores the rules of perturbed marks; mean[m][k]: the aggregate for marks[m] at positions[k]; peak_bp the
// peak's length.
std::vector<RuleRecovery> score_planted_rules(const std::vector<RuleRecovery> &planted,
                                              const std::vector<std::string> &marks,
                                              const std::vector<int> &positions, int peak_bp,
                                              const std::vector<std::vector<double>> &mean);

struct EpigenesisSummary {
    int64_t genes = 0, evaluations = 0;
    // Gene batches: of the whole run, and of this run's those read back from work/.
    int64_t units = 0, units_resumed = 0;
    double seconds = 0;              // the forward passes and perturbation building
    std::vector<RuleRecovery> rules; // with `truth`
};

// Computes into out_dir/work/ (one file of raw floats per gene; a rerun with the same settings resumes from
// them), then writes into out_dir: epigenesis.tsv (gene mark cell_type position predicted delta),
// aggregate.tsv (mark position mean sd q25 median q75 n) and aggregate.png/.svg, heatmaps/<gene>.png/.svg,
// and with `truth` rules.tsv (one RuleRecovery per planted rule of a perturbed mark).
EpigenesisSummary epigenesis(const EpigenesisOptions &options);

} // namespace causeway
