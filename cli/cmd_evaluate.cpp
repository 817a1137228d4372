// causeway evaluate: held-out Pearson and Spearman per cell type, beside a ridge baseline, as a TSV and a
// bar chart like the paper's Figure 2A.
#include <memory>

#include <fmt/format.h>

#include "causeway/study/evaluate.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct EvaluateCliOptions {
    EvaluateOptions evaluate;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<EvaluateCliOptions>();
    EvaluateOptions &e = o->evaluate;
    app.add_option("-m,--model", e.model, "Model file (safetensors, architecture pecnn)")->required();
    app.add_option("-d,--dataset", e.dataset, "Dataset file (safetensors; its .genes.tsv beside it)")
        ->required();
    app.add_option("-o,--out", e.out_dir,
                   "Output folder: correlations.tsv, predictions.tsv, ridge.tsv, correlations.png/.svg")
        ->required();
    app.add_option("--train-chroms", e.train_chroms,
                   "Chromosomes the ridge baseline is fitted on (as in train)");
    app.add_option("--valid-chroms", e.valid_chroms, "Chromosomes the ridge penalty is chosen on");
    app.add_option("--test-chroms", e.test_chroms,
                   "Held-out chromosomes scored ('' = all in neither --train-chroms nor --valid-chroms)");
    app.add_option("--batch", e.batch, "Genes per compiled call")->check(CLI::Range(1, 65536));
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        const EvaluateResult r = evaluate_pecnn(o->evaluate);
        fmt::print(
            stderr,
            "causeway evaluate: {} held-out genes; mean Pearson {:.3f} (ridge {:.3f}), mean Spearman {:.3f} "
            "(ridge {:.3f}); ridge lambda {:g}: {}\n",
            r.test_genes, r.mean.network_pearson, r.mean.ridge_pearson, r.mean.network_spearman,
            r.mean.ridge_spearman, r.lambda, o->evaluate.out_dir);
        return 0;
    };
}

const CommandRegistrar registrar{
    {"evaluate", "Equivariant CNN", 14,
     "Held-out Pearson and Spearman per cell type, against a ridge baseline (TSV and figure)", setup}};

} // namespace
} // namespace causeway::cli
