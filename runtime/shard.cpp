#include "causeway/shard.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/manifest.h"

namespace causeway {

const char *const kShardHelp =
    "Compute shard K of N (K/N, 1 <= K <= N): a contiguous 1/N of the work units, written with a manifest; "
    "'causeway merge' joins the N shards into what the unsharded run writes";

std::string ShardSpec::text() const {
    return enabled() ? fmt::format("{}/{}", index, count) : "";
}

namespace {

// Whole-field positive integer; false on anything else (signs, spaces, overflow).
bool parse_positive(const std::string &text, int &value) {
    if (text.empty() || text.size() > 9) return false;
    value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    return value > 0;
}

} // namespace

ShardSpec parse_shard(const std::string &text) {
    const size_t slash = text.find('/');
    ShardSpec shard;
    if (slash == std::string::npos || !parse_positive(text.substr(0, slash), shard.index) ||
        !parse_positive(text.substr(slash + 1), shard.count))
        fail("--shard must be K/N with whole numbers 1 <= K <= N (e.g. 2/8), not '{}'", text);
    if (shard.index > shard.count)
        fail("--shard {}: K must be between 1 and N = {}, not {}", text, shard.count, shard.index);
    return shard;
}

UnitRange shard_units(const ShardSpec &shard, size_t units) {
    if (!shard.enabled()) return {0, units};
    // Block k holds floor(units * k / N) .. floor(units * (k + 1) / N): sizes differ by at most one.
    const auto bound = [&](size_t k) { return units * k / static_cast<size_t>(shard.count); };
    return {bound(static_cast<size_t>(shard.index - 1)), bound(static_cast<size_t>(shard.index))};
}

namespace fs = std::filesystem;

// Whole file into memory (work files are small; a table shard streams through merge_shard_tables instead).
std::string read_work_file(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
    std::string bytes;
    char buffer[1 << 16];
    size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, f)) > 0) bytes.append(buffer, got);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) fail("cannot read {}", path);
    return bytes;
}

ShardSet check_shards(const std::vector<std::string> &outputs) {
    if (outputs.empty()) fail("no shards given");
    std::error_code error;
    const bool folders = fs::is_directory(outputs[0], error);
    std::vector<Manifest> manifests;
    for (const std::string &output : outputs) {
        const bool folder = fs::is_directory(output, error);
        if (folder != folders)
            fail("{} is {} but {} is {}: the shards of one run are all folders or all files", output,
                 folder ? "a folder" : "a file", outputs[0], folders ? "a folder" : "a file");
        manifests.push_back(read_manifest(manifest_path(output, folder)));
        const Manifest &m = manifests.back();
        if (!m.shard.enabled()) fail("not a shard (its run had no --shard): {}", m.path);
    }
    const Manifest &first = manifests[0];
    std::map<int, size_t> by_index;
    for (size_t i = 0; i < manifests.size(); ++i) {
        const Manifest &m = manifests[i];
        if (m.command != first.command)
            fail("{} comes from causeway {} but {} from causeway {}", m.path, m.command, first.path,
                 first.command);
        if (m.shard.count != first.shard.count)
            fail("{} is shard {} but {} is shard {}: the shards of one run share N", m.path, m.shard.text(),
                 first.path, first.shard.text());
        if (m.settings != first.settings)
            fail("{} was made with other settings, seed or inputs than {}:\n  {}\n  {}", m.path, first.path,
                 m.settings, first.settings);
        if (m.units != first.units)
            fail("{} counts {} work units but {} counts {}", m.path, m.units, first.path, first.units);
        const auto [it, inserted] = by_index.emplace(m.shard.index, i);
        if (!inserted)
            fail("shard {} is given twice: {} and {}", m.shard.text(), manifests[it->second].path, m.path);
    }
    for (int k = 1; k <= first.shard.count; ++k)
        if (by_index.count(k) == 0)
            fail("shard {}/{} is missing (given {} of {} shards, e.g. {})", k, first.shard.count,
                 manifests.size(), first.shard.count, first.path);
    ShardSet set;
    set.command = first.command;
    set.folders = folders;
    set.count = first.shard.count;
    set.arguments = first.arguments;
    set.cwd = first.cwd;
    for (const auto &[k, i] : by_index) {
        set.outputs.push_back(outputs[i]);
        set.manifests.push_back(manifests[i].path);
    }
    return set;
}

void merge_shard_tables(const ShardSet &shards, const std::string &out_path) {
    AtomicOutput out(out_path);
    std::string header;
    std::vector<char> buffer(1 << 20);
    for (const std::string &path : shards.outputs) {
        std::FILE *f = std::fopen(path.c_str(), "rb");
        if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
        // The header line, then the rest as bytes.
        std::string first;
        int c = 0;
        while ((c = std::fgetc(f)) != EOF) {
            first.push_back(static_cast<char>(c));
            if (c == '\n') break;
        }
        if (first.empty() || first.back() != '\n') {
            std::fclose(f);
            fail("no header line (an empty or torn table): {}", path);
        }
        if (header.empty()) {
            header = first;
            out.write(header.data(), header.size());
        } else if (first != header) {
            std::fclose(f);
            fail("the header of {} differs from the first shard's ({}): {}", path, shards.outputs[0], path);
        }
        size_t got = 0;
        while ((got = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) out.write(buffer.data(), got);
        const bool failed = std::ferror(f) != 0;
        std::fclose(f);
        if (failed) fail("cannot read {}", path);
    }
    out.commit();
}

void merge_shard_work(const ShardSet &shards, const std::string &out) {
    std::error_code error;
    fs::create_directories(out + "/work", error);
    if (error) fail("cannot create {}/work: {}", out, error.message());
    for (const std::string &shard : shards.outputs) {
        const fs::path work = fs::path(shard) / "work";
        if (!fs::is_directory(work, error)) fail("no work folder in the shard {}", shard);
        for (const auto &entry : fs::recursive_directory_iterator(work)) {
            const fs::path relative = fs::relative(entry.path(), work);
            const std::string target = (fs::path(out) / "work" / relative).string();
            if (entry.is_directory()) {
                fs::create_directories(target, error);
                if (error) fail("cannot create {}: {}", target, error.message());
                continue;
            }
            if (!entry.is_regular_file() || is_atomic_temporary_name(entry.path().filename().string()))
                continue;
            const std::string bytes = read_work_file(entry.path().string());
            if (fs::exists(target, error)) {
                if (read_work_file(target) != bytes)
                    fail("{} differs from {}: the shards disagree on one unit", entry.path().string(),
                         target);
                continue;
            }
            AtomicOutput copy(target);
            copy.write(bytes.data(), bytes.size());
            copy.commit();
        }
    }
}

} // namespace causeway
