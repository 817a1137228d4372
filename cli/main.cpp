// causeway: the command-line front end. Parses arguments, dispatches to a subcommand, turns library
// errors into "causeway <subcommand>: <what>" on stderr with exit status 1, and ends with a run summary.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <sys/resource.h>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/cpu_dispatch.h"
#include "causeway/device.h"
#include "causeway/error.h"
#include "causeway/version.h"
#include "command.h"

namespace causeway::cli {

std::vector<CommandSpec> &registered_commands() {
    static std::vector<CommandSpec> commands;
    return commands;
}

CommandRegistrar::CommandRegistrar(CommandSpec spec) {
    registered_commands().push_back(std::move(spec));
}

namespace {

std::vector<CommandSpec> sorted_commands() {
    auto commands = registered_commands();
    std::sort(commands.begin(), commands.end(),
              [](const CommandSpec &a, const CommandSpec &b) { return a.order < b.order; });
    return commands;
}

std::string usage_screen() {
    std::string text =
        fmt::format("causeway {}: putatively causal gene-regulatory mechanisms, compiled ahead of "
                    "time\n\nUsage: causeway <command> [options]\n",
                    kVersion);
    std::string group;
    for (const auto &command : sorted_commands()) {
        if (command.group != group) {
            group = command.group;
            text += fmt::format("\n{}:\n", group);
        }
        text += fmt::format("  {:<18} {}\n", command.name, command.summary);
    }
    text += "\n'causeway help <command>' or 'causeway <command> --help' shows a command's options.\n"
            "'causeway --version' prints the version.\n";
    return text;
}

double peak_memory_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

struct Parsed {
    std::unique_ptr<CLI::App> app;
    CommandRun run;
    // On the heap: the option keeps its address, and Parsed is returned by value.
    std::shared_ptr<std::string> device = std::make_shared<std::string>();
};

// Every subcommand takes --device; those that run no pipeline only check it.
std::string default_device() {
    const char *setting = std::getenv("CAUSEWAY_DEVICE");
    return setting && *setting ? setting : "auto";
}

Parsed make_app(const CommandSpec &spec) {
    Parsed parsed;
    parsed.app = std::make_unique<CLI::App>(spec.summary, "causeway " + spec.name);
    parsed.app->option_defaults()->always_capture_default();
    parsed.app->set_help_flag("-h,--help", "Print this help and exit");
    parsed.app->get_formatter()->column_width(34);
    parsed.run = spec.setup(*parsed.app);
    *parsed.device = default_device();
    parsed.app
        ->add_option(
            "--device", *parsed.device,
            "Where the compiled pipelines run: cpu, cuda, or auto (CUDA when this build has it and a "
            "usable GPU is present; default from CAUSEWAY_DEVICE)")
        ->check(CLI::IsMember({"cpu", "cuda", "auto"}));
    return parsed;
}

int run_command(const CommandSpec &spec, int argc, char **argv) {
    auto start = std::chrono::steady_clock::now();
    Parsed parsed = make_app(spec);
    std::vector<std::string> args;
    for (int i = argc - 1; i >= 2; --i) args.emplace_back(argv[i]);
    try {
        parsed.app->parse(args);
    } catch (const CLI::CallForHelp &) {
        fmt::print("{}", parsed.app->help());
        return 0;
    } catch (const CLI::ParseError &e) {
        fmt::print(stderr, "causeway {}: {}\n\n{}", spec.name, e.what(), parsed.app->help());
        return 1;
    }
    int status = 1;
    try {
        causeway::select_device(*parsed.device);
        status = parsed.run();
    } catch (const Error &e) {
        fmt::print(stderr, "causeway {}: {}\n", spec.name, e.what());
        return 1;
    } catch (const std::bad_alloc &) {
        fmt::print(stderr, "causeway {}: out of memory\n", spec.name);
        return 1;
    } catch (const std::exception &e) {
        fmt::print(stderr, "causeway {}: internal error: {}\n", spec.name, e.what());
        return 1;
    }
    if (status == 0 && std::getenv("CAUSEWAY_QUIET") == nullptr) {
        double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::string command_line = "causeway";
        for (int i = 1; i < argc; ++i) command_line += std::string(" ") + argv[i];
        fmt::print(stderr, "[causeway {}] version {}; {}; wall {:.3f} s; peak memory {:.1f} MB\n", spec.name,
                   kVersion, command_line, wall, peak_memory_mb());
    }
    return status;
}

const CommandSpec *find_command(const std::string &name) {
    for (const auto &command : registered_commands())
        if (command.name == name) return &command;
    return nullptr;
}

} // namespace
} // namespace causeway::cli

int main(int argc, char **argv) {
    using namespace causeway::cli;
    // Ctrl-C or a kill removes the temporary outputs; a full file-size limit becomes a write error.
    causeway::install_signal_cleanup();
    if (argc < 2) {
        fmt::print(stderr, "{}", usage_screen());
        return 1;
    }
    std::string first = argv[1];
    if (first == "-h" || first == "--help") {
        fmt::print("{}", usage_screen());
        return 0;
    }
    if (first == "--version" || first == "version") {
#if defined(__aarch64__)
        fmt::print("causeway {}\narm64 pipelines: NEON\ncompiled targets: {}\n", causeway::kVersion,
                   causeway::compiled_targets());
#else
        fmt::print(
            "causeway {}\nx86 pipelines: AVX-512, AVX2 and SSE4.1 variants, chosen by the CPU's features "
            "(CAUSEWAY_ISA caps them; now: {})\ncompiled targets: {}\n",
            causeway::kVersion, causeway::x86_isa_cap(), causeway::compiled_targets());
#endif
        return 0;
    }
    if (first == "help") {
        if (argc < 3) {
            fmt::print("{}", usage_screen());
            return 0;
        }
        const CommandSpec *spec = find_command(argv[2]);
        if (!spec) {
            fmt::print(stderr, "causeway: unknown command '{}'\n\n{}", argv[2], usage_screen());
            return 1;
        }
        fmt::print("{}", make_app(*spec).app->help());
        return 0;
    }
    const CommandSpec *spec = find_command(first);
    if (!spec) {
        fmt::print(stderr, "causeway: unknown command '{}'\n\n{}", first, usage_screen());
        return 1;
    }
    return run_command(*spec, argc, argv);
}
