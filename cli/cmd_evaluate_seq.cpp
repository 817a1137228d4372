// causeway evaluate-seq: held-out AUROC and AUPRC per task of a sequence CNN on labelled regions
// (seqcnn_evaluate.h).
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "causeway/seqcnn_evaluate.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct EvaluateSeqCliOptions {
    SeqcnnEvaluateOptions evaluate;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<EvaluateSeqCliOptions>();
    SeqcnnEvaluateOptions &e = o->evaluate;
    app.add_option("-m,--model", e.model, "Model file (safetensors, architecture seqcnn)")->required();
    app.add_option("-f,--fasta", e.fasta, "Genome FASTA, plain or bgzip, indexed (samtools faidx)")
        ->required();
    app.add_option("-r,--regions", e.regions, "BED regions with a name column (as given to train-seq)")
        ->required();
    app.add_option("-l,--labels", e.labels,
                   "Label TSV: 'region', then a 0/1 column for each of the model's tasks")
        ->required();
    app.add_option(
        "--test-chroms", e.test_chroms,
        "Held-out chromosomes (as train-seq's --test-chroms; auto: the same 1 region in 10 by name)");
    app.add_option("-o,--out", e.out,
                   "Metrics TSV (task positives negatives auroc auprc, then mean); - for stdout");
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        const SeqcnnEvaluateSummary s = seqcnn_evaluate(o->evaluate);
        fmt::print(stderr,
                   "causeway evaluate-seq: {} test regions, {} tasks: mean AUROC {:.4f}, mean AUPRC {:.4f}\n",
                   s.regions, s.tasks.size(), s.mean_auroc, s.mean_auprc);
        return 0;
    };
}

const CommandRegistrar registrar{
    {"evaluate-seq", "Sequence models", 48, "Held-out AUROC and AUPRC per task of a sequence CNN", setup}};

} // namespace
} // namespace causeway::cli
