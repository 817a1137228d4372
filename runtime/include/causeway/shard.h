// Sharded batch runs (causeway <command> --shard K/N): each of N jobs computes a contiguous block of the
// command's work units (genes, regions, (exposure, region) pairs) and `causeway merge` joins them. Blocks
// rather than round-robin: the shards concatenated in order are the unsharded order, so a merge streams
// and never sorts; blocks differ in size by at most one unit and units of one command cost about the same.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace causeway {

struct ShardSpec {
    int index = 0, count = 0; // 1-based K of N; count 0: not sharded
    bool enabled() const { return count > 0; }
    std::string text() const; // "K/N", or "" when not sharded
};

// Parses "K/N" (1 <= K <= N); anything else is an error naming the option and the value.
ShardSpec parse_shard(const std::string &text);

struct UnitRange {
    size_t begin = 0, end = 0;
    size_t size() const { return end - begin; }
    bool contains(size_t unit) const { return unit >= begin && unit < end; }
};

// The units [begin, end) of `units` that the shard computes: all of them when not sharded.
UnitRange shard_units(const ShardSpec &shard, size_t units);

// The --shard option's help text, shared by every batch subcommand.
extern const char *const kShardHelp;

// The outputs of the N shards of one run, checked against each other by their manifests.
struct ShardSet {
    std::string command;                // the subcommand that made them
    bool folders = false;               // output folders (else output files)
    int count = 0;                      // N
    std::vector<std::string> outputs;   // ordered by K
    std::vector<std::string> manifests; // their manifest files, in the same order
    std::vector<std::string> arguments; // the command's options without --shard, --out, --threads
    std::string cwd;                    // where the shards ran (relative paths are relative to it)
};

// Reads every output's manifest and checks that they are the shards 1..N of one run: one command, the same
// settings, seed and input checksums, each K once. Any mismatch, a missing or a repeated shard is an error
// naming the file.
ShardSet check_shards(const std::vector<std::string> &outputs);

// A whole (small) file's bytes, e.g. a work file read back; an error naming the file if it cannot be read.
std::string read_work_file(const std::string &path);

// Output files (TSV with a header): the shards' data rows in shard order under the common header, written
// atomically to `out`.
void merge_shard_tables(const ShardSet &shards, const std::string &out);

// Output folders: every file under each shard's work/ copied into out/work/ (a file the folder already
// holds must have the same bytes), so that the unsharded command run into `out` resumes every unit.
void merge_shard_work(const ShardSet &shards, const std::string &out);

} // namespace causeway
