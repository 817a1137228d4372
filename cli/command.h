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

} // namespace causeway::cli
