// The manifest written beside every batch output (OUT/manifest.json for an output folder, OUT.manifest.json
// for an output file), so that a result can be traced and reproduced: causeway's version, the x86 code path
// and Halide target the pipelines took, the command line and working folder, the seed, the shard, and a
// checksum of every input. `causeway merge` reads the shards' manifests to check they belong together and
// replays the command from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "causeway/shard.h"

namespace causeway {

struct ManifestInput {
    std::string role, path; // e.g. "model", "data/default.model.safetensors"
};

struct ManifestInfo {
    std::string command; // the subcommand, e.g. "deepmr"
    std::vector<ManifestInput> inputs;
    bool seeded = false;
    uint64_t seed = 0;
    ShardSpec shard;
    int64_t units = 0; // work units of the whole (unsharded) run
    // The command's options without --shard, --out and --threads (what decides the results); empty: taken
    // from this process's command line.
    std::vector<std::string> arguments;
    std::vector<std::string> merged_from; // the shards' manifests, for a merged output
};

// "OUT/manifest.json" for a folder, "OUT.manifest.json" for a file.
std::string manifest_path(const std::string &output, bool folder);

// Writes the manifest atomically.
void write_manifest(const std::string &path, const ManifestInfo &info);

struct Manifest {
    std::string path;
    std::string command, cwd;
    std::vector<std::string> arguments;
    ShardSpec shard;
    int64_t units = 0;
    // command, arguments, seed and input checksums as one string: shards of one run have equal settings.
    std::string settings;
};

// Reads a manifest written by write_manifest; a missing or malformed one is an error naming the file.
Manifest read_manifest(const std::string &path);

// A streaming checksum of a file's bytes ("crc32:xxxxxxxx" with zlib's CRC-32 and the size): fast enough
// for genome-sized inputs, and enough to tell that two jobs read the same file.
std::string file_checksum(const std::string &path);

// The manifest of a merged output: the first shard's, with no shard, the shards' manifests as merged_from
// and this process's command line as merge_command_line.
void write_merged_manifest(const std::string &path, const ShardSet &shards);

// Options after the subcommand in argv, without --shard, -o/--out and -t/--threads and their values.
std::vector<std::string> replayable_arguments(const std::vector<std::string> &argv_after_command);

// A resumable run's work folder keeps the settings its work files were made with: the first run writes them
// to `settings_path` (atomically); a rerun must bring equal settings, else an error naming the file.
void guard_work_settings(const std::string &settings_path, const nlohmann::ordered_json &settings);

// A checksum of text (the same CRC-32 as file_checksum): e.g. a long gene list in a work folder's settings.
std::string text_checksum(const std::string &text);

// Opens a resumable run's work folder: creates it (and its parents), guards its settings (settings.json,
// guard_work_settings) and removes the temporaries that a SIGKILL left beside settings.json or any of
// `unit_files` (the unit work files this run may write; remove_stale_temporaries).
void open_work_folder(const std::string &folder, const nlohmann::ordered_json &settings,
                      const std::vector<std::string> &unit_files);

} // namespace causeway
