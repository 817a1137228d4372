// causeway optimize: expression optimisation (the paper's Section 2.3 and Figure 2C), gradient descent on
// the input marks toward a fold change in expression.
#include <memory>

#include <fmt/format.h>

#include "causeway/dataset.h"
#include "causeway/manifest.h"
#include "causeway/study/optimize.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct OptimizeCliOptions {
    OptimizeOptions optimize;
    std::string shard;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<OptimizeCliOptions>();
    OptimizeOptions &p = o->optimize;
    app.add_option("-m,--model", p.model, "Model file (safetensors, architecture pecnn)")->required();
    app.add_option("-d,--dataset", p.dataset, "Dataset file (safetensors; its .genes.tsv beside it)")
        ->required();
    app.add_option(
           "-o,--out", p.out_dir,
           "Output folder: achieved.tsv, genes.tsv, edits.tsv, loss.tsv, edits_mean.png/.svg, heatmaps/, "
           "work/ (one file per gene: a rerun resumes)")
        ->required();
    auto *genes =
        app.add_option("--genes", p.genes, "Genes: all, a comma list of ids, or @file (one id a line)");
    auto *cells =
        app.add_option("--cells", p.cells, "Cell types given a target ('' = all; the others are left free)");
    auto *fold = app.add_option("--fold", p.fold, "Target: log1p(fold x TPM)")->check(CLI::PositiveNumber);
    app.add_option("--targets", p.targets,
                   "Targets per gene and cell type instead of --genes/--cells/--fold: a TSV with the header "
                   "'gene cell_type log1p_tpm' (the desired log1p(TPM)) or 'gene cell_type fold'; cell types "
                   "a gene does not list are left free")
        ->excludes(genes)
        ->excludes(cells)
        ->excludes(fold);
    app.add_option("--from", p.from, "The TPM the fold multiplies: the prediction f(W0) or the observed one")
        ->check(CLI::IsMember({"predicted", "observed"}));
    app.add_option("--method", p.method, "Adam or plain gradient descent")
        ->check(CLI::IsMember({"adam", "gd"}));
    app.add_option("--steps", p.settings.steps, "Gradient steps")->check(CLI::Range(1, 1000000));
    app.add_option("--lr", p.settings.lr, "Step size")->check(CLI::PositiveNumber);
    app.add_option("--l2", p.settings.l2, "Weight of l2 ||W - W0||^2")->check(CLI::NonNegativeNumber);
    auto *l1 = app.add_option("--l1", p.settings.l1, "Weight of l1 |W - W0|_1 (a proximal step)")
                   ->check(CLI::NonNegativeNumber);
    app.add_flag(
        "--sparse", p.settings.sparse,
        "Two phases: --steps with the L1 pull (--l1, 0.1 unless given) choose the (mark, bin) entries "
        "to edit, then --refit-steps without it on those entries alone, in every cell type (the rest stay at "
        "W0)");
    app.add_option("--refit-steps", p.settings.refit_steps, "Steps of the refit phase of --sparse")
        ->check(CLI::Range(1, 1000000));
    app.add_option("--heatmaps", p.heatmaps, "Per-gene heatmaps of W - W0 for the first N genes")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--batch", p.batch, "Genes per compiled call (and per work unit of --shard)")
        ->check(CLI::Range(1, 65536));
    app.add_option("--shard", o->shard, kShardHelp);
    add_threads_option(app, o->threads);
    return [o, l1]() {
        apply_threads(o->threads);
        OptimizeOptions &p = o->optimize;
        if (!o->shard.empty()) p.shard = parse_shard(o->shard);
        // The sparse mode's L1 phase needs a pull: on the default data 0.1 reaches the target for 30 of 30
        // genes with a median 22% of the (mark, bin) entries edited (0.05: 27 of 30, 29%).
        if (p.settings.sparse && l1->count() == 0) p.settings.l1 = 0.1;
        const OptimizeSummary s = optimize_expression(p);
        ManifestInfo manifest;
        manifest.command = "optimize";
        manifest.inputs = {{"model", p.model}, {"dataset", p.dataset}, {"genes", gene_table_path(p.dataset)}};
        if (p.genes.rfind('@', 0) == 0) manifest.inputs.push_back({"gene_list", p.genes.substr(1)});
        if (!p.targets.empty()) manifest.inputs.push_back({"targets", p.targets});
        manifest.shard = p.shard;
        manifest.units = s.units;
        write_manifest(manifest_path(p.out_dir, true), manifest);
        fmt::print(stderr, "causeway optimize: {} genes computed, {} gene batches resumed from {}/work\n",
                   s.genes_computed, s.units_resumed, p.out_dir);
        if (p.shard.enabled()) {
            fmt::print(stderr,
                       "causeway optimize: shard {}: {} genes in {:.2f} s (causeway merge writes the tables "
                       "and figures): {}\n",
                       p.shard.text(), s.genes, s.seconds, p.out_dir);
            return 0;
        }
        fmt::print(
            stderr,
            "causeway optimize: {} genes, {} within 5% of the TPM target ({:.1f}%); final MSE {:.3g}; "
            "median {:g} (mark, bin) entries edited per gene; {:.2f} s ({:.2f} genes/s; compiled passes "
            "{:.2f} s, optimiser steps {:.2f} s): {}\n",
            s.genes, s.within, s.genes ? 100.0 * s.within / s.genes : 0.0, s.final_mse, s.median_edited,
            s.seconds, s.seconds > 0 ? s.genes / s.seconds : 0.0, s.pass_seconds, s.update_seconds,
            o->optimize.out_dir);
        return 0;
    };
}

const CommandRegistrar registrar{{"optimize", "Equivariant CNN", 18,
                                  "Expression optimisation: edit the marks by gradient descent toward a fold "
                                  "change (TSV, Figure 2C heatmaps, loss)",
                                  setup}};

} // namespace
} // namespace causeway::cli
