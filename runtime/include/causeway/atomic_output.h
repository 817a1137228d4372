// Output files that appear whole or not at all: data goes to a temporary file in the destination's
// folder and is renamed over the destination on commit(). "-" writes to stdout. Without commit() (an
// exception, an early return) the temporary file is removed and the destination is left untouched.
#pragma once

#include <cstdio>
#include <string>

#include <fmt/format.h>

namespace causeway {

class AtomicOutput {
public:
    explicit AtomicOutput(std::string path);
    ~AtomicOutput();
    AtomicOutput(const AtomicOutput &) = delete;
    AtomicOutput &operator=(const AtomicOutput &) = delete;

    std::FILE *file() { return file_; }
    const std::string &path() const { return path_; }
    bool is_stdout() const { return path_ == "-"; }

    template <typename... Args> void print(fmt::format_string<Args...> format, Args &&...args) {
        fmt::print(file_, format, std::forward<Args>(args)...);
    }
    void write(const void *data, size_t bytes);

    // Flushes, checks for write errors (a full disk, a closed pipe) and renames into place.
    void commit();

private:
    std::string path_;
    std::string temp_path_;
    std::FILE *file_ = nullptr;
    bool committed_ = false;
};

} // namespace causeway
