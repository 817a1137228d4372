// causeway merge: joins the outputs of `causeway <command> --shard K/N` (K = 1..N) into exactly what the
// unsharded command writes. Tables (predict, ism) are concatenated in shard order; output folders (deepmr,
// epigenesis, optimize) gather the shards' per-unit work files, then the unsharded command runs into the
// merged folder, resumes every unit and computes what needs them all (meta-analysis, aggregates, figures).
#include <filesystem>
#include <memory>
#include <unistd.h>

#include <fmt/format.h>

#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/shard.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct MergeOptions {
    std::vector<std::string> shards;
    std::string out;
    int threads = 0;
};

// The commands whose output is a folder of per-unit work files that a rerun resumes.
bool merges_by_resuming(const std::string &command) {
    return command == "deepmr" || command == "epigenesis" || command == "optimize";
}

// Runs `causeway <command> ARGUMENTS --out OUT` in this process, from the folder the shards ran in.
int replay(const ShardSet &shards, const std::string &out, int threads) {
    const CommandSpec *spec = nullptr;
    for (const CommandSpec &command : registered_commands())
        if (command.name == shards.command) spec = &command;
    if (spec == nullptr)
        fail("the shards come from an unknown command '{}': {}", shards.command, shards.manifests[0]);
    CLI::App app(spec->summary, "causeway " + spec->name);
    const CommandRun run = spec->setup(app);
    std::vector<std::string> args = shards.arguments;
    args.insert(args.end(), {"--out", out, "--threads", std::to_string(threads)});
    std::vector<std::string> reversed(args.rbegin(), args.rend()); // CLI11 takes them last first
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError &e) {
        fail("cannot replay the shards' command line (causeway {} {}): {}: {}", shards.command,
             fmt::join(shards.arguments, " "), e.what(), shards.manifests[0]);
    }
    if (!shards.cwd.empty() && ::chdir(shards.cwd.c_str()) != 0)
        fail("cannot enter the folder the shards ran in, {} (their inputs' relative paths start there): {}",
             shards.cwd, shards.manifests[0]);
    return run();
}

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<MergeOptions>();
    app.add_option("shards", o->shards,
                   "The shards' outputs (files for predict and ism; folders for deepmr, epigenesis and "
                   "optimize), each with its manifest; any order")
        ->required();
    app.add_option("-o,--out", o->out, "Merged output: a file, or a folder for folder outputs")->required();
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        const ShardSet shards = check_shards(o->shards);
        if (!shards.folders) {
            merge_shard_tables(shards, o->out);
            write_merged_manifest(manifest_path(o->out, false), shards);
            return 0;
        }
        if (!merges_by_resuming(shards.command))
            fail("causeway {} writes no per-unit work files to merge: {}", shards.command,
                 shards.manifests[0]);
        // The replay may change folder: every path of ours absolute first.
        std::error_code error;
        const std::string out = std::filesystem::absolute(o->out, error).string();
        ShardSet absolute = shards;
        for (std::string &path : absolute.outputs) path = std::filesystem::absolute(path, error).string();
        for (std::string &path : absolute.manifests) path = std::filesystem::absolute(path, error).string();
        merge_shard_work(absolute, out);
        const int status = replay(absolute, out, o->threads);
        if (status != 0) return status;
        write_merged_manifest(manifest_path(out, true), absolute);
        return 0;
    };
}

const CommandRegistrar registrar{{"merge", "Batch runs", 90,
                                  "Join the outputs of --shard K/N runs into what the unsharded run writes",
                                  setup}};

} // namespace
} // namespace causeway::cli
