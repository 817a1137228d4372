// causeway simulate-genome: a genome with planted causal effects of TF binding on accessibility, the
// ground truth for causeway deepmr.
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "causeway/deepmr/simulate_genome.h"
#include "command.h"

namespace causeway::cli {
namespace {

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<deepmr::SimulateGenomeOptions>();
    app.add_option("-o,--out", o->out,
                   "Folder to write: genome.fa, genome.fa.fai, regions.bed, labels.tsv, truth.json")
        ->required();
    app.add_option("--regions", o->regions, "Regions (spread over up to 8 chromosomes)")
        ->check(CLI::Range(2, 10000000));
    app.add_option("--length", o->length, "Bases per region")->check(CLI::Range(50, 100000));
    app.add_option("--tfs", o->tfs,
                   fmt::format("TFs, taken in order from the motif catalogue (at most {})",
                               deepmr::deepmr_motif_catalog().size()))
        ->check(CLI::Range(1, static_cast<int>(deepmr::deepmr_motif_catalog().size())));
    app.add_option("--seed", o->seed, "Random seed (same seed, same bytes)");
    return [o]() {
        const deepmr::SimulateGenomeSummary summary = deepmr::simulate_genome(*o);
        if (std::getenv("CAUSEWAY_QUIET") == nullptr) {
            fmt::print(stderr, "causeway simulate-genome: {} regions of {} bases on {} chromosomes -> {}\n",
                       o->regions, o->length, summary.chromosomes, o->out);
            for (size_t k = 0; k < summary.tasks.size(); ++k)
                fmt::print(stderr, "  {:<8} {:>6} regions labelled 1 ({:.1f}%)\n", summary.tasks[k],
                           summary.positives[k], 100.0 * summary.positives[k] / o->regions);
        }
        return 0;
    };
}

const CommandRegistrar registrar{
    {"simulate-genome", "Sequence models", 48,
     "Simulate a genome, TF binding and accessibility with planted causal effects", setup}};

} // namespace
} // namespace causeway::cli
