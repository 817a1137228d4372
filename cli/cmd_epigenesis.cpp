// causeway epigenesis: in-silico epigenesis (the paper's Figure 2B) per gene and mark, and its aggregate
// over genes, the rule the network learnt.
#include <memory>

#include <fmt/format.h>

#include "causeway/dataset.h"
#include "causeway/manifest.h"
#include "causeway/study/epigenesis.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct EpigenesisCliOptions {
    EpigenesisOptions epigenesis;
    std::string shard;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<EpigenesisCliOptions>();
    EpigenesisOptions &e = o->epigenesis;
    app.add_option("-m,--model", e.model, "Model file (safetensors, architecture pecnn)")->required();
    app.add_option("-d,--dataset", e.dataset, "Dataset file (safetensors; its .genes.tsv beside it)")
        ->required();
    app.add_option(
           "-o,--out", e.out_dir,
           "Output folder: epigenesis.tsv, aggregate.tsv, aggregate.png/.svg, heatmaps/, rules.tsv (--truth)")
        ->required();
    app.add_option("--genes", e.genes, "Genes: all, a comma list of ids, or @file (one id a line)");
    app.add_option("--marks", e.marks, "Marks to ablate and slide, a comma list ('' = all)");
    app.add_option("--cells", e.cells, "Cell types recorded (and perturbed with --scope one-cell; '' = all)");
    app.add_option("--peak-value", e.peak_value,
                   "The peak's input: log1p20 (log1p(-log10 1e-20), the model's scale) or raw20 (the "
                   "authors' code)")
        ->check(CLI::IsMember({"log1p20", "raw20"}));
    app.add_option("--scope", e.scope,
                   "Ablate and place the peak in every cell type at once, or in each cell type alone")
        ->check(CLI::IsMember({"all-cells", "one-cell"}));
    app.add_option("--background", e.background,
                   "The ablated mark's value: zero (no peak: p = 1) or gene-min (the track's own minimum)")
        ->check(CLI::IsMember({"zero", "gene-min"}));
    app.add_option("--peak-bp", e.peak_bp, "Peak length in bp (a multiple of the bin size)");
    app.add_option("--stride-bp", e.stride_bp,
                   "Stride of the sliding peak in bp (a multiple of the bin size)");
    app.add_option(
        "--truth", e.truth,
        "simulate-epigenome's truth.json: score the aggregate against its planted rules (rules.tsv)");
    app.add_option("--heatmaps", e.heatmaps, "Per-gene heatmaps for the first N genes")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--batch", e.batch, "Genes per compiled call (each with all its perturbations)")
        ->check(CLI::Range(1, 4096));
    app.add_option("--shard", o->shard, kShardHelp);
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        if (!o->shard.empty()) o->epigenesis.shard = parse_shard(o->shard);
        const EpigenesisSummary s = epigenesis(o->epigenesis);
        const EpigenesisOptions &e = o->epigenesis;
        ManifestInfo manifest;
        manifest.command = "epigenesis";
        manifest.inputs = {{"model", e.model}, {"dataset", e.dataset}, {"genes", gene_table_path(e.dataset)}};
        if (e.genes.rfind('@', 0) == 0) manifest.inputs.push_back({"gene_list", e.genes.substr(1)});
        if (!e.truth.empty()) manifest.inputs.push_back({"truth", e.truth});
        manifest.shard = e.shard;
        manifest.units = s.units;
        write_manifest(manifest_path(e.out_dir, true), manifest);
        fmt::print(stderr,
                   "causeway epigenesis: {} genes, {} forward evaluations in {:.2f} s ({:.1f} genes/s): {}\n",
                   s.genes, s.evaluations, s.seconds, s.seconds > 0 ? s.genes / s.seconds : 0.0,
                   o->epigenesis.out_dir);
        if (!s.rules.empty()) {
            int recovered = 0;
            std::string margins;
            for (const RuleRecovery &r : s.rules) {
                recovered += r.sign_ok && r.place_ok;
                margins += fmt::format("{}{} {:.2f}", margins.empty() ? "" : ", ", r.mark, r.margin);
            }
            fmt::print(stderr, "causeway epigenesis: {} of {} planted rules recovered (margins: {})\n",
                       recovered, s.rules.size(), margins);
        }
        return 0;
    };
}

const CommandRegistrar registrar{{"epigenesis", "Equivariant CNN", 16,
                                  "In-silico epigenesis: ablate a mark, slide a 1 kb peak, record the "
                                  "predictions (TSV, heatmaps, aggregate)",
                                  setup}};

} // namespace
} // namespace causeway::cli
