#include "causeway/manifest.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include "causeway/atomic_output.h"
#include "causeway/cpu_dispatch.h"
#include "causeway/error.h"
#include "causeway/version.h"

namespace causeway {
namespace {

// This process's argv, from /proc (the library sees no argv; the manifest must say exactly what ran).
std::vector<std::string> process_arguments() {
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    std::string arg;
    while (std::getline(in, arg, '\0')) args.push_back(arg);
    return args;
}

std::string working_folder() {
    std::vector<char> buffer(4096);
    return ::getcwd(buffer.data(), buffer.size()) ? std::string(buffer.data()) : std::string();
}

// The Halide target of each code path (generators/CMakeLists.txt's CAUSEWAY_X86_TARGETS).
std::string halide_target(const std::string &code_path) {
    if (code_path == "avx512") return "x86-64-linux-avx512_skylake";
    if (code_path == "avx2") return "x86-64-linux-avx2-fma-f16c";
    if (code_path == "sse41") return "x86-64-linux-sse41";
    return "none";
}

nlohmann::ordered_json settings_of(const nlohmann::ordered_json &m) {
    return {{"command", m.at("command")},
            {"arguments", m.at("arguments")},
            {"seed", m.at("seed")},
            {"inputs", m.at("inputs")}};
}

} // namespace

std::string manifest_path(const std::string &output, bool folder) {
    return folder ? output + "/manifest.json" : output + ".manifest.json";
}

std::string file_checksum(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
    std::vector<unsigned char> buffer(1 << 20);
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t bytes = 0;
    size_t got = 0;
    while ((got = std::fread(buffer.data(), 1, buffer.size(), f)) > 0) {
        crc = crc32(crc, buffer.data(), static_cast<uInt>(got));
        bytes += got;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) fail("cannot read {}", path);
    return fmt::format("crc32:{:08x}:{}", static_cast<uint32_t>(crc), bytes);
}

std::vector<std::string> replayable_arguments(const std::vector<std::string> &args) {
    static const char *const kDropped[] = {"--shard", "-o", "--out", "-t", "--threads"};
    std::vector<std::string> kept;
    for (size_t i = 0; i < args.size(); ++i) {
        bool dropped = false;
        for (const char *name : kDropped) {
            const std::string option(name);
            if (args[i] == option) {
                ++i; // and its value
                dropped = true;
            } else if (option.size() > 2 && args[i].rfind(option + "=", 0) == 0) {
                dropped = true;
            }
            if (dropped) break;
        }
        if (!dropped) kept.push_back(args[i]);
    }
    return kept;
}

void write_manifest(const std::string &path, const ManifestInfo &info) {
    const std::vector<std::string> argv = process_arguments();
    std::vector<std::string> arguments = info.arguments;
    if (arguments.empty() && argv.size() > 2)
        arguments = replayable_arguments(std::vector<std::string>(argv.begin() + 2, argv.end()));
    std::string command_line;
    for (const std::string &a : argv) command_line += (command_line.empty() ? "" : " ") + a;
    nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
    for (const ManifestInput &input : info.inputs)
        inputs.push_back(
            {{"role", input.role}, {"path", input.path}, {"checksum", file_checksum(input.path)}});
    nlohmann::ordered_json m;
    m["causeway_version"] = kVersion;
    m["code_path"] = x86_code_path();
    m["halide_target"] = halide_target(x86_code_path());
    m["isa_cap"] = x86_isa_cap();
    m["command"] = info.command;
    m["command_line"] = command_line;
    m["cwd"] = working_folder();
    m["arguments"] = arguments;
    m["seed"] = info.seeded ? nlohmann::ordered_json(info.seed) : nlohmann::ordered_json(nullptr);
    m["shard"] = info.shard.enabled() ? nlohmann::ordered_json(info.shard.text()) : nullptr;
    m["units"] = info.units;
    m["inputs"] = inputs;
    if (!info.merged_from.empty()) m["merged_from"] = info.merged_from;
    remove_stale_temporaries({path});
    AtomicOutput out(path);
    out.print("{}\n", m.dump(2));
    out.commit();
}

void write_merged_manifest(const std::string &path, const ShardSet &shards) {
    std::ifstream in(shards.manifests.at(0));
    nlohmann::ordered_json m;
    try {
        m = nlohmann::ordered_json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        fail("not a causeway manifest: {}: {}", shards.manifests[0], e.what());
    }
    std::string command_line;
    for (const std::string &a : process_arguments()) command_line += (command_line.empty() ? "" : " ") + a;
    m["shard"] = nullptr;
    m["merged_from"] = shards.manifests;
    m["merge_command_line"] = command_line;
    remove_stale_temporaries({path});
    AtomicOutput out(path);
    out.print("{}\n", m.dump(2));
    out.commit();
}

Manifest read_manifest(const std::string &path) {
    std::ifstream in(path);
    if (!in)
        fail("no manifest {} ({}): is this the output of a finished --shard run?", path,
             std::strerror(errno));
    nlohmann::ordered_json m;
    Manifest manifest;
    manifest.path = path;
    try {
        m = nlohmann::ordered_json::parse(in);
        manifest.command = m.at("command").get<std::string>();
        manifest.cwd = m.at("cwd").get<std::string>();
        manifest.arguments = m.at("arguments").get<std::vector<std::string>>();
        manifest.units = m.at("units").get<int64_t>();
        if (!m.at("shard").is_null()) manifest.shard = parse_shard(m.at("shard").get<std::string>());
        manifest.settings = settings_of(m).dump();
    } catch (const nlohmann::json::exception &e) {
        fail("not a causeway manifest: {}: {}", path, e.what());
    } catch (const Error &e) {
        fail("{}: {}", path, e.what());
    }
    return manifest;
}

void guard_work_settings(const std::string &settings_path, const nlohmann::ordered_json &settings) {
    struct stat st {};
    if (::stat(settings_path.c_str(), &st) != 0) {
        AtomicOutput out(settings_path);
        out.print("{}\n", settings.dump(2));
        out.commit();
        return;
    }
    std::ifstream in(settings_path);
    nlohmann::ordered_json previous;
    try {
        previous = nlohmann::ordered_json::parse(in);
    } catch (const nlohmann::json::exception &) {
        fail("cannot read {} (remove the work folder to start afresh)", settings_path);
    }
    if (previous != settings)
        fail("{} was made with other settings ({}), not these ({}): use another --out, or remove the work "
             "folder to start afresh",
             settings_path, previous.dump(), settings.dump());
}

std::string text_checksum(const std::string &text) {
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(text.data()),
                            static_cast<uInt>(text.size()));
    return fmt::format("crc32:{:08x}:{}", static_cast<uint32_t>(crc), text.size());
}

void open_work_folder(const std::string &folder, const nlohmann::ordered_json &settings,
                      const std::vector<std::string> &unit_files) {
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) fail("cannot create the work folder {}: {}", folder, error.message());
    const std::string settings_path = folder + "/settings.json";
    std::vector<std::string> outputs = unit_files;
    outputs.push_back(settings_path);
    remove_stale_temporaries(outputs);
    guard_work_settings(settings_path, settings);
}

} // namespace causeway
