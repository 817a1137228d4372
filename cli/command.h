// Subcommand registry. Each cli/cmd_<name>.cpp defines one subcommand and registers it with a static
// CommandRegistrar; main.cpp builds the usage screen and dispatches. The CLI layer only parses arguments
// and calls the library.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace causeway::cli {

// Returned by a command's setup: runs the command after parsing, returns the exit status.
using CommandRun = std::function<int()>;

struct CommandSpec {
    std::string name;
    std::string group; // heading on the usage screen
    int order;         // position on the usage screen (groups ordered by their first command)
    std::string summary;
    // Declares the options on `app` (with live defaults) and returns the function that runs the command.
    std::function<CommandRun(CLI::App &app)> setup;
};

struct CommandRegistrar {
    explicit CommandRegistrar(CommandSpec spec);
};

std::vector<CommandSpec> &registered_commands();

// Threads used by the compiled pipelines (0 = all cores). Commands that run pipelines call this.
void add_threads_option(CLI::App &app, int &threads);
void apply_threads(int threads);

// The options `train` and `train-seq` share, on their options struct (fields epochs, batch, lr, patience,
// checkpoint, log, resume): the loop's, then the checkpoint's. `batch_help` says what a batch holds.
template <typename TrainingOptions>
void add_training_loop_options(CLI::App &app, TrainingOptions &t, const std::string &batch_help) {
    app.add_option("--epochs", t.epochs, "Maximum epochs")->check(CLI::Range(1, 1000000));
    app.add_option("--batch", t.batch, batch_help)->check(CLI::Range(1, 65536));
    app.add_option("--lr", t.lr, "Adam learning rate (betas 0.9, 0.999; eps 1e-8, as torch.optim.Adam)")
        ->check(CLI::PositiveNumber);
    app.add_option("--patience", t.patience,
                   "Stop after this many epochs without a lower validation loss (0: never)")
        ->check(CLI::Range(0, 1000000));
}

template <typename TrainingOptions> void add_checkpoint_options(CLI::App &app, TrainingOptions &t) {
    app.add_option("--checkpoint", t.checkpoint,
                   "Checkpoint written after every epoch [default: OUT stem + .checkpoint.safetensors]");
    app.add_option(
        "--log", t.log,
        "Training log TSV (epoch train_loss valid_loss lr seconds) [default: OUT stem + .log.tsv]");
    app.add_flag("--resume", t.resume,
                 "Continue from the checkpoint (re-run the interrupted command with --resume added)");
}

} // namespace causeway::cli
