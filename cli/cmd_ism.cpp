// causeway ism: in-silico saturation mutagenesis of genome regions with a sequence CNN, under shared-mask
// MC dropout (seqcnn_ism.h).
#include <algorithm>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "causeway/manifest.h"
#include "causeway/pecnn_model.h" // split_list
#include "causeway/seqcnn_ism.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct IsmCliOptions {
    IsmOptions ism;
    std::string tasks, shard;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<IsmCliOptions>();
    app.add_option("-m,--model", o->ism.model, "Model file (safetensors, architecture seqcnn)")->required();
    app.add_option("-f,--fasta", o->ism.fasta,
                   "Genome FASTA, plain or bgzip, indexed (.fai; .gzi for bgzip: samtools faidx)")
        ->required();
    app.add_option("-r,--regions", o->ism.regions,
                   "BED regions (plain or gzip), each resized to the model's sequence length around its "
                   "centre: start = floor((start + end) / 2) - floor(length / 2); chr1 and 1 match")
        ->required();
    app.add_option("--tasks", o->tasks, "Comma-separated task names, as in the model (e.g. HepG2|FOXA1)")
        ->required();
    app.add_option("-n,--samples", o->ism.samples,
                   "MC-dropout samples, one mask per sample shared by the reference and its mutants; 0: "
                   "dropout off, se = 0")
        ->check(CLI::Range(0, 100000));
    app.add_option("--seed", o->ism.seed, "Seed of the dropout masks");
    app.add_flag("--reverse-complement", o->ism.reverse_complement,
                 "Average each prediction with the reverse complement's (same mask on both strands)");
    app.add_option("-o,--out", o->ism.out,
                   "Effects TSV (region position ref alt task beta se; position 0-based); - for stdout");
    app.add_option("--shard", o->shard, kShardHelp);
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        o->ism.tasks = split_list(o->tasks);
        if (!o->shard.empty()) o->ism.shard = parse_shard(o->shard);
        const IsmSummary summary = seqcnn_ism(o->ism);
        // Beside every table written to a file (merge reads a shard's): to trace and replay the run.
        if (o->ism.out != "-") {
            ManifestInfo manifest;
            manifest.command = "ism";
            manifest.inputs = {{"model", o->ism.model}, {"fasta", o->ism.fasta}, {"regions", o->ism.regions}};
            manifest.seeded = true;
            manifest.seed = o->ism.seed;
            manifest.shard = o->ism.shard;
            manifest.units = summary.regions;
            write_manifest(manifest_path(o->ism.out, false), manifest);
        }
        if (std::getenv("CAUSEWAY_QUIET") == nullptr) {
            const double seconds = std::max(summary.seconds, 1e-9);
            fmt::print(stderr,
                       "causeway ism: {} sequences, {} mutants x {} samples in {:.3f} s: {:.2f} sequences/s, "
                       "{:.0f} mutants/s{}\n",
                       summary.sequences, summary.mutants, o->ism.samples, summary.seconds,
                       summary.sequences / seconds, summary.mutants / seconds,
                       o->ism.shard.enabled() ? fmt::format("; {} regions resumed from {}.work",
                                                            summary.regions_resumed, o->ism.out)
                                              : "");
        }
        return 0;
    };
}

const CommandRegistrar registrar{
    {"ism", "Sequence models", 50,
     "Saturation mutagenesis of genome regions: effect and MC-dropout se of every substitution", setup}};

} // namespace
} // namespace causeway::cli
