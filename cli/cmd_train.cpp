// causeway train: fit the equivariant CNN to a dataset (Adam, masked MSE, by-chromosome split, early
// stopping, checkpoints, --resume).
#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/study/train.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct TrainCliOptions {
    TrainOptions train;
    int hidden = 32, depth = 2, kernel = 11;
    std::string dilations = "1,1", pooling = "mean", schedule = "constant";
    int threads = 0;
};

std::vector<int> parse_dilations(const std::string &text, int depth) {
    std::vector<int> dilations;
    for (auto &d : split_list(text)) {
        try {
            size_t used = 0;
            dilations.push_back(std::stoi(d, &used));
            if (used != d.size()) throw std::invalid_argument(d);
        } catch (const std::exception &) {
            fail("--dilations must be a comma list of integers, got '{}'", text);
        }
    }
    // One value applies to every layer; a longer list is cut to the depth, as the module's dilations[:depth].
    if (dilations.size() == 1) dilations.assign(static_cast<size_t>(depth), dilations[0]);
    if (static_cast<int>(dilations.size()) > depth) dilations.resize(depth);
    return dilations;
}

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<TrainCliOptions>();
    TrainOptions &t = o->train;
    app.add_option("-d,--dataset", t.dataset, "Dataset file (safetensors; its .genes.tsv beside it)")
        ->required();
    app.add_option("-o,--out", t.out, "Model file to write: the best validation epoch's parameters")
        ->required();
    app.add_option("--train-chroms", t.train_chroms,
                   "Training chromosomes: a comma list with ranges (chr1-chr12,chrX)");
    app.add_option("--valid-chroms", t.valid_chroms,
                   "Validation chromosomes for early stopping ('' = none: train all epochs, keep the last)");
    add_training_loop_options(app, t, "Genes per mini-batch");
    app.add_option("--lr-schedule", o->schedule,
                   "Learning rate by epoch: constant, step (x lr-gamma every lr-step epochs) or cosine "
                   "(annealed to 0 at --epochs)")
        ->check(CLI::IsMember({"constant", "step", "cosine"}));
    app.add_option("--lr-step", t.lr_step, "Epochs between steps of the step schedule")
        ->check(CLI::Range(1, 1000000));
    app.add_option("--lr-gamma", t.lr_gamma, "Factor per step of the step schedule")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--hidden", o->hidden, "Hidden channels H (new model)")->check(CLI::Range(1, 4096));
    app.add_option("--depth", o->depth, "Equivariant layers D (new model)")->check(CLI::Range(1, 64));
    app.add_option("--kernel", o->kernel, "Kernel width K along the bins, odd (new model)")
        ->check(CLI::Range(1, 4097));
    app.add_option("--dilations", o->dilations,
                   "Dilation per equivariant layer, comma-separated (new model)");
    app.add_option("--pooling", o->pooling, "Invariant pooling over cell types: mean or max (new model)")
        ->check(CLI::IsMember({"mean", "max"}));
    app.add_option("--init", t.init, "Start from this model instead of a new one (its architecture applies)");
    app.add_option("--seed", t.seed, "Random seed: initialisation and batch order (same seed, same bytes)");
    add_checkpoint_options(app, t);
    add_threads_option(app, o->threads);
    return [o, &app]() {
        apply_threads(o->threads);
        TrainOptions t = o->train;
        t.schedule = parse_lr_schedule(o->schedule);
        if (!t.init.empty()) {
            for (const char *name : {"--hidden", "--depth", "--kernel", "--dilations", "--pooling"})
                if (app.count(name) > 0)
                    fail("{} does not apply with --init (the model's architecture is used)", name);
        }
        t.architecture.hidden = o->hidden;
        t.architecture.depth = o->depth;
        t.architecture.kernel = o->kernel;
        t.architecture.pooling = parse_pooling(o->pooling);
        t.architecture.dilations = parse_dilations(o->dilations, o->depth);
        const TrainSummary s = train_pecnn(t);
        if (std::isnan(s.best_valid_loss))
            fmt::print(stderr,
                       "causeway train: {} epochs on {} genes, no validation; wrote the last epoch: {}\n",
                       s.epochs_run, s.train_genes, t.out);
        else
            fmt::print(
                stderr,
                "causeway train: {} epochs on {} genes{}; best validation MSE {:.4f} ({} genes) at epoch "
                "{}: {}\n",
                s.epochs_run, s.train_genes, s.stopped_early ? " (stopped early)" : "", s.best_valid_loss,
                s.valid_genes, s.best_epoch, t.out);
        return 0;
    };
}

const CommandRegistrar registrar{{"train", "Equivariant CNN", 12,
                                  "Train the equivariant CNN (Adam, by-chromosome split, early stopping)",
                                  setup}};

} // namespace
} // namespace causeway::cli
