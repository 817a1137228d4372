// causeway simulate-epigenome: a synthetic world with planted, known regulatory rules, written in the
// formats causeway prepare reads, so that every later analysis can be checked against the truth.
//
// A genome of chr1..chr22 and chrX at GRCh38's lengths scaled by `genome_scale`; genes on both strands with
// gene bodies; cell types in three programs (pluripotent, somatic, blood) whose rules and chromatin
// backgrounds differ. Each gene is off everywhere, active everywhere (housekeeping) or specific to one or
// two programs; its chromatin in each cell type follows from that state (active promoters, polycomb,
// heterochromatin, unmarked), and its expression follows from its chromatin by the planted rule:
//
//   log1p(TPM) = max(0, scale * gate * elongation * repression + noise)
//   gate       = sigmoid(slope * (w_K4me3 u_K4me3 + w_K27ac u_K27ac - threshold))
//   elongation = 1 + w_K36me3 u_K36me3
//   repression = exp(-(w_K27me3 u_K27me3 + w_K9me3 u_K9me3 + w_K4me1 u_K4me1))
//
// where u_mark = log1p(the planted height of that mark's feature in -log10 p units) and the weights belong
// to each cell type (its program's, jittered). truth.json records all of it.
#pragma once

#include <cstdint>
#include <string>

namespace causeway::epigenome {

struct SimulateOptions {
    std::string out_dir;
    int genes = 4000;
    int cells = 12;
    uint64_t seed = 1;
    double genome_scale = 0; // fraction of GRCh38's chromosome lengths; 0: about 40 kb per gene
    int threads = 0;         // 0: one per core
    bool progress = true;
};

struct SimulateSummary {
    double genome_scale = 0;
    int64_t genome_length = 0;
    int tracks = 0;
    int64_t intervals = 0; // bigWig intervals written, over all tracks
    double rule_r2 = 0;    // variance of log1p(TPM) explained by the noiseless rule
};

// Writes into out_dir (created if needed): genes.gtf, tpm.tsv, tracks.tsv, tracks/<cell>.<mark>.bigWig,
// genome.chrom.sizes and truth.json. Same options and seed, same bytes.
SimulateSummary simulate_epigenome(const SimulateOptions &options);

} // namespace causeway::epigenome
