// A simulated genome with planted causal effects of TF binding on chromatin accessibility (causeway
// simulate-genome), the ground truth that Deep MR is checked against.
//
// Each region is `length` bases of background sequence with its own GC content. Each TF's motif (a
// position weight matrix) is planted in some regions; a TF binds where its motif scores high. Accessibility
// (CA) depends on binding through planted causal effects (activators +, repressors -, several 0). GC
// content, read off the sequence, confounds: it raises binding of every TF and accessibility directly, so
// the naive correlation of binding and CA overstates activators and hides or reverses repressors.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace causeway::deepmr {

// One TF of the catalogue: a JASPAR family's consensus, written in IUPAC codes and turned into a PWM
// (deepmr_pwm), and its planted effect on CA (log-odds of accessibility when bound).
struct TfMotif {
    std::string name, family, jaspar, consensus;
    double effect = 0;
};

// The catalogue in the order TFs are taken (--tfs n takes the first n; at most its size).
const std::vector<TfMotif> &deepmr_motif_catalog();

// PWM [consensus length][4] (A, C, G, T probabilities) of an IUPAC consensus: a fixed base 0.85 (0.05
// each other), two-base codes 0.45 each, three-base codes 0.30 each, N 0.25.
std::vector<std::array<double, 4>> deepmr_pwm(const std::string &consensus);

struct SimulateGenomeOptions {
    std::string out;
    int regions = 20000;
    int length = 400;
    int tfs = 12;
    uint64_t seed = 1;
};

struct SimulateGenomeSummary {
    std::vector<std::string> tasks; // the TFs, then CA
    std::vector<int64_t> positives; // regions labelled 1, per task
    int chromosomes = 0;
};

// Writes genome.fa, genome.fa.fai, regions.bed, labels.tsv and truth.json into options.out (created if
// needed), each atomically. The same seed gives the same bytes.
SimulateGenomeSummary simulate_genome(const SimulateGenomeOptions &options);

} // namespace causeway::deepmr
