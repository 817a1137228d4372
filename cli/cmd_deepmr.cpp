// causeway deepmr: Deep MR, the causal effect of each exposure's predicted binding on an outcome learned by
// a sequence model, from in-silico mutagenesis, per-region MR and a meta-analysis (deepmr.h).
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "causeway/deepmr/deepmr.h"
#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/pecnn_model.h" // split_list
#include "command.h"

namespace causeway::cli {
namespace {

struct DeepmrCliOptions {
    deepmr::DeepmrOptions run;
    std::string exposures, mr = "egger", meta = "reml", shard;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<DeepmrCliOptions>();
    app.add_option("-m,--model", o->run.model, "Model file (safetensors, architecture seqcnn)")->required();
    app.add_option("-f,--fasta", o->run.fasta, "Genome FASTA, indexed (.fai)")->required();
    app.add_option("-r,--regions", o->run.regions,
                   "BED regions (name column = the label table's region), each resized to the model's length")
        ->required();
    app.add_option(
           "-l,--labels", o->run.labels,
           "Label table: region, then one 0/1 column per task; an exposure's regions are those labelled 1")
        ->required();
    app.add_option("-e,--exposures", o->exposures, "Comma-separated exposure tasks (e.g. FOXA1,REST)")
        ->required();
    app.add_option("--outcome", o->run.outcome, "Outcome task")->capture_default_str();
    app.add_option("--regions-per-exposure", o->run.regions_per_exposure,
                   "Bound regions sampled per exposure")
        ->capture_default_str()
        ->check(CLI::Range(3, 1000000));
    app.add_option("-n,--samples", o->run.samples, "MC-dropout samples per region (shared masks)")
        ->capture_default_str()
        ->check(CLI::Range(2, 100000));
    app.add_option("--seed", o->run.seed, "Seed of the region sampling and the dropout masks")
        ->capture_default_str();
    app.add_option("--mr", o->mr, "Per-region MR method: egger, ivw, median or raps")->capture_default_str();
    app.add_option("--meta", o->meta, "tau^2 estimator of the meta-analysis: reml, dl, pm or ml")
        ->capture_default_str();
    app.add_option("--min-z", o->run.min_z,
                   "Instruments: mutations with |beta_exposure / se_exposure| >= this (0: all with se > 0)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e9));
    app.add_option("--min-beta-exposure", o->run.min_beta_exposure,
                   "Instruments: mutations that move P(bound) by at least this; a region with too few is a "
                   "weak instrument, left out of the meta-analysis (0: no strength rule)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app.add_flag("--reverse-complement", o->run.reverse_complement,
                 "Average each prediction with the reverse complement's (same mask on both strands)");
    app.add_option("--naive-regions", o->run.naive_regions,
                   "Regions predicted for the naive binding-outcome correlation")
        ->capture_default_str()
        ->check(CLI::Range(3, 100000000));
    app.add_option("--truth", o->run.truth,
                   "truth.json of causeway simulate-genome: compare with the planted effects in summary.md");
    app.add_option(
           "-o,--out", o->run.out,
           "Output folder: exposures.tsv, regions.tsv, effects.tsv.gz, naive.tsv, figures, summary.md; "
           "work/ keeps per-region results, so a rerun resumes")
        ->required();
    app.add_option("--shard", o->shard, kShardHelp);
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        o->run.exposures = split_list(o->exposures);
        if (!o->shard.empty()) o->run.shard = parse_shard(o->shard);
        const std::vector<solver::MrMethod> methods = solver::parse_mr_methods(o->mr);
        if (methods.size() != 1) fail("--mr takes one method, not '{}'", o->mr);
        o->run.method = methods[0];
        o->run.meta = solver::parse_tau_method(o->meta);
        const deepmr::DeepmrSummary s = deepmr::deepmr_run(o->run);
        ManifestInfo manifest;
        manifest.command = "deepmr";
        manifest.inputs = {{"model", o->run.model},
                           {"fasta", o->run.fasta},
                           {"regions", o->run.regions},
                           {"labels", o->run.labels}};
        if (!o->run.truth.empty()) manifest.inputs.push_back({"truth", o->run.truth});
        manifest.seeded = true;
        manifest.seed = o->run.seed;
        manifest.shard = o->run.shard;
        manifest.units = s.units;
        write_manifest(manifest_path(o->run.out, true), manifest);
        if (std::getenv("CAUSEWAY_QUIET") == nullptr) {
            const double accounted =
                std::max(s.seconds_mutants + s.seconds_mr + s.seconds_io + s.seconds_naive, 1e-9);
            fmt::print(
                stderr,
                "causeway deepmr: {} exposures, {} regions computed, {} resumed, {} mutations in {:.1f} s: "
                "mutant batch {:.1f} s ({:.0f}%), MR and meta-analysis {:.2f} s ({:.1f}%), I/O and figures "
                "{:.2f} s ({:.1f}%), naive predictions {:.2f} s ({:.1f}%) -> {}\n",
                s.exposures, s.regions_computed, s.regions_resumed, s.mutants, s.seconds_total,
                s.seconds_mutants, 100 * s.seconds_mutants / accounted, s.seconds_mr,
                100 * s.seconds_mr / accounted, s.seconds_io, 100 * s.seconds_io / accounted, s.seconds_naive,
                100 * s.seconds_naive / accounted, o->run.out);
        }
        return 0;
    };
}

const CommandRegistrar registrar{
    {"deepmr", "Sequence models", 52,
     "Deep MR: causal effects of predicted TF binding on an outcome (MR + meta-analysis)", setup}};

} // namespace
} // namespace causeway::cli
