// Shared by the libFuzzer targets: the readers take paths, so each input is written to a file first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>

namespace causeway::fuzz {

// A per-process scratch folder under $TMPDIR (default /tmp), removed at exit.
inline const std::string &scratch_folder() {
    static const std::string folder = [] {
        const char *tmp = std::getenv("TMPDIR");
        std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/causeway-fuzz.XXXXXX";
        if (!mkdtemp(pattern.data())) std::abort();
        static std::string removal;
        removal = pattern;
        std::atexit([] {
            std::error_code ignored;
            std::filesystem::remove_all(removal, ignored);
        });
        return pattern;
    }();
    return folder;
}

// Writes `bytes` to `name` in the scratch folder (replacing it) and returns the path.
inline std::string write_input(const std::string &name, std::string_view bytes) {
    std::string path = scratch_folder() + "/" + name;
    std::FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) std::abort();
    if (std::fclose(f) != 0) std::abort();
    return path;
}

// The readers' own errors are the expected outcome of a bad input; CAUSEWAY_FUZZ_VERBOSE=1 prints them
// (to check that the seeds get past the checks they aim at).
inline void rejected(const std::exception &error) {
    static const bool verbose = std::getenv("CAUSEWAY_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "rejected: %s\n", error.what());
}

inline std::string_view as_text(const uint8_t *data, size_t size) {
    return {reinterpret_cast<const char *>(data), size};
}

// Inputs made of two files join them with this line (the seed corpora are written that way).
constexpr std::string_view kFileSeparator = "\n--next-file--\n";

inline std::pair<std::string_view, std::string_view> split_files(std::string_view input) {
    size_t at = input.find(kFileSeparator);
    if (at == std::string_view::npos) return {input, {}};
    return {input.substr(0, at), input.substr(at + kFileSeparator.size())};
}

} // namespace causeway::fuzz
