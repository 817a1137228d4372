// causeway optimize: expression optimisation (the paper's Section 2.3 and Figure 2C), gradient descent on
// the input marks toward a fold change in expression.
#include <memory>

#include <fmt/format.h>

#include "causeway/study/optimize.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct OptimizeCliOptions {
    OptimizeOptions optimize;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<OptimizeCliOptions>();
    OptimizeOptions &p = o->optimize;
    app.add_option("-m,--model", p.model, "Model file (safetensors, architecture pecnn)")->required();
    app.add_option("-d,--dataset", p.dataset, "Dataset file (safetensors; its .genes.tsv beside it)")
        ->required();
    app.add_option("-o,--out", p.out_dir,
                   "Output folder: achieved.tsv, edits.tsv, loss.tsv, edits_mean.png/.svg, heatmaps/")
        ->required();
    app.add_option("--genes", p.genes, "Genes: all, a comma list of ids, or @file (one id a line)");
    app.add_option("--cells", p.cells, "Cell types given a target ('' = all; the others are left free)");
    app.add_option("--fold", p.fold, "Target: log1p(fold x TPM)")->check(CLI::PositiveNumber);
    app.add_option("--from", p.from, "The TPM the fold multiplies: the prediction f(W0) or the observed one")
        ->check(CLI::IsMember({"predicted", "observed"}));
    app.add_option("--method", p.method, "Adam or plain gradient descent")
        ->check(CLI::IsMember({"adam", "gd"}));
    app.add_option("--steps", p.settings.steps, "Gradient steps")->check(CLI::Range(1, 1000000));
    app.add_option("--lr", p.settings.lr, "Step size")->check(CLI::PositiveNumber);
    app.add_option("--l2", p.settings.l2, "Weight of l2 ||W - W0||^2")->check(CLI::NonNegativeNumber);
    app.add_option("--l1", p.settings.l1, "Weight of l1 |W - W0|_1 (a proximal step)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--heatmaps", p.heatmaps, "Per-gene heatmaps of W - W0 for the first N genes")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--batch", p.batch, "Genes per compiled call")->check(CLI::Range(1, 65536));
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        const OptimizeSummary s = optimize_expression(o->optimize);
        fmt::print(stderr,
                   "causeway optimize: {} genes, {} within 5% of the TPM target ({:.1f}%); final MSE {:.3g}; "
                   "{:.2f} s ({:.2f} genes/s): {}\n",
                   s.genes, s.within, s.genes ? 100.0 * s.within / s.genes : 0.0, s.final_mse, s.seconds,
                   s.seconds > 0 ? s.genes / s.seconds : 0.0, o->optimize.out_dir);
        return 0;
    };
}

const CommandRegistrar registrar{{"optimize", "Equivariant CNN", 18,
                                  "Expression optimisation: edit the marks by gradient descent toward a fold "
                                  "change (TSV, Figure 2C heatmaps, loss)",
                                  setup}};

} // namespace
} // namespace causeway::cli
