// Deep MR (Malina et al., the second paper, section 3): for each exposure (a TF's binding task) sample
// regions bound by it, run saturation mutagenesis under shared-mask MC dropout once per region for the
// exposure and the outcome together (seqcnn_mutant_batch), fit Mendelian randomisation per region (MR-Egger
// by default) on the mutations as instruments, then a random-effects meta-analysis per exposure. The
// naive correlation of predicted binding and outcome across regions is reported beside it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "causeway/shard.h"
#include "causeway/solver/meta.h"
#include "causeway/solver/mr.h"

namespace causeway::deepmr {

struct DeepmrOptions {
    std::string model, fasta, regions, labels, out;
    std::vector<std::string> exposures;
    std::string outcome = "CA";
    int regions_per_exposure = 25;
    int samples = 50;
    uint64_t seed = 0;
    solver::MrMethod method = solver::MrMethod::Egger;
    solver::TauMethod meta = solver::TauMethod::REML;
    // Instruments: mutations with |beta_exposure / se_exposure| >= min_z (0 keeps all with se > 0).
    double min_z = 0;
    // Instrument strength: mutations must also move P(bound) by at least this (probability scale). A region
    // with fewer such mutations than the MR method needs is a weak-instrument region, left out of the
    // meta-analysis and counted in summary.md, as MR usually excludes weak instruments: there the ratio
    // estimates divide by near-zero exposure effects and swamp the meta-analysis. 0.01 lies above what one
    // base does through GC content alone in simulate-genome's world (< 0.005: 8 / 400 log-odds x 1/4).
    double min_beta_exposure = 0.01;
    bool reverse_complement = false;
    // Regions (a deterministic sample of the BED's) predicted for the naive correlation.
    int naive_regions = 5000;
    // Optional truth.json of causeway simulate-genome: planted effects compared in summary.md.
    std::string truth;
    // A shard computes its block of the (exposure, region) pairs, in exposure order, into work/ only; the
    // meta-analysis, tables and figures follow `causeway merge`.
    ShardSpec shard;
};

struct DeepmrSummary {
    int exposures = 0;
    int64_t regions_computed = 0, regions_resumed = 0, mutants = 0;
    int64_t units = 0; // (exposure, region) pairs of the whole run
    // Where the time went: the mutant batch (the network), the MR fits and meta-analyses, reading and
    // writing (FASTA, work files, tables, figures), the naive predictions.
    double seconds_mutants = 0, seconds_mr = 0, seconds_io = 0, seconds_naive = 0, seconds_total = 0;
};

// Runs Deep MR and writes DIR/effects.tsv.gz, regions.tsv, exposures.tsv, naive.tsv, the figures and
// summary.md. Per-region results go to DIR/work/<exposure>/<region>.tsv, each atomically; a rerun with the
// same settings reads them instead of recomputing.
DeepmrSummary deepmr_run(const DeepmrOptions &options);

// The regions sampled for one exposure: `count` of `bound` (all when fewer), chosen by a Fisher-Yates
// shuffle seeded by (seed, exposure name), returned in their order in `bound`.
std::vector<std::string> deepmr_sample_regions(const std::vector<std::string> &bound, int count,
                                               uint64_t seed, const std::string &exposure);

// Spearman's rank correlation (average ranks for ties); NaN when either side is constant.
double spearman_correlation(const std::vector<double> &x, const std::vector<double> &y);

} // namespace causeway::deepmr
