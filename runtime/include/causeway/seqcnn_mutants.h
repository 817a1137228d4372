// In-silico saturation mutagenesis under shared-mask MC dropout (Deep MR, section 3.2): for a reference
// sequence, every single-nucleotide substitution, and for each requested task
//   beta = mean_n [f(m, theta_n) - f(r, theta_n)]
//   se   = sqrt(mean_n [f(m, theta_n) - f(r, theta_n)]^2 - beta^2)     (the paper's formula)
// where sample n draws one dropout mask per layer (seqcnn_dropout_keep(config, seed, n, site)) and uses it
// for the reference and for every mutant, so the covariance between them is kept. With samples = 0,
// dropout is off: beta = f(m) - f(r), se = 0.
//
// Two evaluations, equal up to rounding:
// - incremental (the default): the reference's activations are computed once per MC sample and strand;
//   each mutant's *change* is carried through the network, exact under the shared masks. A substitution
//   at p changes only a window of each conv block's output (widened by the kernels, rounded out to whole
//   pools, clipped at the sequence's ends). The first block's change is a lookup (W[:, alt, k] -
//   W[:, ref, k] over the kernel's taps); a later block's change of pre-activation is its weights applied
//   to the few changed input columns only (one matrix product over mutants x samples x changed columns,
//   all taps at once, then gathered into the changed positions); activation, max-pool and dropout mask are
//   applied on the window only (act(ref_pre + delta) - act(ref_pre)); the first dense layer changes only
//   through the window's features (W_dense[:, window] * delta); later dense layers run in full on the
//   batch. The reverse strand's mutant is the substitution at L-1-p with complemented bases, evaluated
//   the same way against the reverse strand's reference activations under the same masks.
// - naive: every mutant through the whole network (SeqcnnNetwork::forward), batched; kept for tests and
//   as the benchmark's baseline.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "causeway/seqcnn_network.h"

namespace causeway {

// One single-nucleotide substitution of a reference window.
struct Substitution {
    int position = 0; // 0-based in the window
    uint8_t alt = 0;  // base index 0..3 = A, C, G, T; must differ from the reference base there
};

struct MutantEffects {
    // One entry per substitution: by default (saturation) by position then alternative base (A, C, G, T
    // order, the reference base skipped), positions whose reference is N (an all-zero one-hot column) never
    // mutated; with MutantBatchOptions::substitutions, those substitutions in the order given.
    std::vector<int> position;
    std::vector<uint8_t> ref, alt; // base indices 0..3 = A, C, G, T
    int tasks = 0;                 // requested tasks, in the order asked
    // [substitutions, tasks] row-major.
    std::vector<double> beta, se;
    // Mean over MC samples of the predicted probability: the reference's [tasks] and each mutant's
    // [substitutions, tasks] (strand-averaged with reverse_complement). beta = mutant_mean - reference_mean
    // up to rounding.
    std::vector<double> reference_mean, mutant_mean;
};

struct MutantBatchOptions {
    std::vector<int> tasks; // task indices into the model's tasks
    int samples = 50;       // MC-dropout samples; 0 = dropout off
    uint64_t seed = 0;
    // Average each prediction over the sequence and its reverse complement, the same mask on both strands
    // (as Kipoi's DeepSEA port averages them).
    bool reverse_complement = false;
    // Empty: saturation mutagenesis (every substitution at every non-N position). Otherwise only these
    // (e.g. the variants of a VCF that fall in one window); a substitution at an N position, to the
    // reference base, or outside the window is an error.
    std::vector<Substitution> substitutions;
    // false: every mutant through the whole network (the naive evaluation).
    bool incremental = true;
    // Work per chain of pipeline calls; 0 picks a default. Naive: mutants per forward call; incremental:
    // columns (substitution x MC sample x strand) per call, at least one position's. Results do not depend
    // on it.
    int batch = 0;
};

// Indices of task names in the model's tasks; an unknown name is an error naming it.
std::vector<int> seqcnn_task_indices(const SeqcnnConfig &config, const std::vector<std::string> &names);

// Floating-point operations (multiply and add counted apart, unpadded channels) of `evaluations`
// incremental (mutant, MC sample, strand) evaluations of a saturation run: the products over the changed
// columns of every conv block after the first, the first dense layer's window and the later dense layers.
// Compare SeqcnnNetwork::forward_flops, the full recomputation's count.
double seqcnn_incremental_flops(const SeqcnnConfig &config, int64_t evaluations);

// reference: one-hot [4, sequence_length] (A, C, G, T; a column of zeros is N).
MutantEffects seqcnn_mutant_batch(SeqcnnNetwork &network, const float *reference,
                                  const MutantBatchOptions &options);

// One reference window of a multi-window batch and its substitutions (empty: saturation).
struct MutantWindow {
    const float *reference = nullptr; // one-hot [4, sequence_length]
    std::vector<Substitution> substitutions;
};

// Several windows under the same options (options.substitutions must be empty unless there is one
// window): each window's effects exactly as seqcnn_mutant_batch gives them, but the incremental
// evaluation runs the windows' reference passes together in batches (as many windows as fit a memory
// budget), so the weights stream once per batch rather than once per window. This is what makes scoring
// scattered variants (one per window, where the reference pass is most of the work) fast.
std::vector<MutantEffects> seqcnn_mutant_batches(SeqcnnNetwork &network, const std::vector<MutantWindow> &windows,
                                                 const MutantBatchOptions &options);

// seqcnn_mutant_batches called again and again under one network and one set of options (score-variants'
// chunks of windows): the incremental evaluation's working memory (the reference activations of a batch of
// windows, up to ~128 MB), its packed weights and its dropout masks are made on the first call and kept.
// Made afresh per call, they cost score-variants 17% of its CPU time in page faults on scattered variants
// with a small model. Each run() returns exactly what seqcnn_mutant_batches returns for its windows.
class MutantBatchSession {
public:
    MutantBatchSession(SeqcnnNetwork &network, MutantBatchOptions options);
    ~MutantBatchSession();
    MutantBatchSession(const MutantBatchSession &) = delete;
    MutantBatchSession &operator=(const MutantBatchSession &) = delete;

    std::vector<MutantEffects> run(const std::vector<MutantWindow> &windows);

private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace causeway
