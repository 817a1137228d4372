// causeway simulate-epigenome: a synthetic epigenome with planted rules, in the formats prepare reads.
#include <cstdlib>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "causeway/epigenome/simulate.h"
#include "command.h"

namespace causeway::cli {
namespace {

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<epigenome::SimulateOptions>();
    app.add_option(
           "-o,--out", o->out_dir,
           "Folder to write: genes.gtf, tpm.tsv, tracks.tsv, tracks/*.bigWig, genome.chrom.sizes, truth.json")
        ->required();
    app.add_option("--genes", o->genes, "Genes")->check(CLI::Range(1, 1000000));
    app.add_option("--cells", o->cells,
                   "Cell types (assigned in turn to the pluripotent, somatic and blood programs)")
        ->check(CLI::Range(1, 1000));
    app.add_option("--seed", o->seed, "Random seed (same seed, same bytes)");
    app.add_option("--genome-scale", o->genome_scale,
                   "Chromosome lengths as a fraction of GRCh38's (1: full size; 0: about 40 kb per gene)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("-t,--threads", o->threads, "Threads writing tracks (0: one per core)")
        ->check(CLI::Range(0, 1024));
    return [o]() {
        // A failed run (a full disk) must not leave a half-written folder that looks like a world; one that
        // existed before is left to its owner (its files are each written atomically).
        std::error_code ignored;
        const bool created = !std::filesystem::exists(o->out_dir, ignored);
        epigenome::SimulateSummary summary;
        try {
            summary = epigenome::simulate_epigenome(*o);
        } catch (...) {
            if (created) std::filesystem::remove_all(o->out_dir, ignored);
            throw;
        }
        if (std::getenv("CAUSEWAY_QUIET") == nullptr)
            fmt::print(
                stderr,
                "causeway simulate-epigenome: {} genes, {} cell types, {} tracks ({} intervals) over a "
                "{:.1f} Mb "
                "genome (scale {:.4g}); the rule explains {:.3f} of the variance of log1p(TPM) -> {}\n",
                o->genes, o->cells, summary.tracks, summary.intervals, summary.genome_length / 1e6,
                summary.genome_scale, summary.rule_r2, o->out_dir);
        return 0;
    };
}

const CommandRegistrar registrar{{"simulate-epigenome", "Epigenome data", 31,
                                  "Simulate tracks, genes and expression with known, planted rules", setup}};

} // namespace
} // namespace causeway::cli
