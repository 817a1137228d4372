// Output files that appear whole or not at all: data goes to a temporary file in the destination's
// folder and is renamed over the destination on commit(). "-" writes to stdout. Without commit() (an
// exception, an early return) the temporary file is removed and the destination is left untouched.
#pragma once

#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

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
        try {
            fmt::print(file_, format, std::forward<Args>(args)...);
        } catch (const std::system_error &e) {
            // fmt's own message names no file ("cannot write to file: File too large").
            write_failed(e.code().value());
        }
    }
    void write(const void *data, size_t bytes);

    // Flushes, checks for write errors (a full disk, a closed pipe) and renames into place.
    void commit();

private:
    [[noreturn]] void write_failed(int error) const;
    std::string path_;
    std::string temp_path_;
    std::FILE *file_ = nullptr;
    bool committed_ = false;
    int temp_slot_ = -1; // in the registry below
};

// A temporary file beside `path` for writers that open the file themselves (htslib, PLplot), which
// AtomicOutput cannot lend a handle to: created empty with the usual permissions, removed on a fatal signal
// (registered below) or when destroyed without commit(); commit() renames it over `path`.
class TemporaryOutputPath {
public:
    explicit TemporaryOutputPath(std::string path);
    ~TemporaryOutputPath();
    TemporaryOutputPath(const TemporaryOutputPath &) = delete;
    TemporaryOutputPath &operator=(const TemporaryOutputPath &) = delete;

    const std::string &temp() const { return temp_; }
    void commit();

private:
    std::string path_, temp_;
    bool committed_ = false;
    int temp_slot_ = -1;
};

// SIGKILL (which no handler sees) can leave one temporary of AtomicOutput / TemporaryOutputPath beside an
// output: PATH.tmp.XXXXXX, mkstemp's six letters or digits. A rerun removes those of the outputs it is about
// to write (that exact pattern for each given path, nothing else; one folder scan per folder) and returns
// how many it removed. Only for outputs that no other live process is writing.
size_t remove_stale_temporaries(const std::vector<std::string> &outputs);
// Whether a file name has that pattern (NAME.tmp.XXXXXX).
bool is_atomic_temporary_name(const std::string &name);

// Cleanup on fatal signals. Temporary outputs register here while they exist; install_signal_cleanup()
// (called by the CLI's main) makes SIGINT, SIGTERM and SIGHUP remove every registered temporary before the
// process dies of the signal, so an interrupted run leaves the previous outputs (a checkpoint) intact and
// no temporary files behind. All of it is async-signal-safe: fixed slots, no allocation in the handler.

// Registers a path to remove on a fatal signal; returns a slot for unregister_temporary (-1 when the
// registry is full: the path is then only removed by its owner, as before).
int register_temporary(const std::string &path);
void unregister_temporary(int slot);

// mkstemp(pattern) and register_temporary of the name it made, with SIGINT, SIGTERM and SIGHUP held back
// in between (one arriving inside the file's creation would otherwise find the name not yet registered and
// leave the file behind). Returns the descriptor, or -1 with errno set; *slot as register_temporary's.
int make_registered_temporary(std::string &pattern, int *slot);

// Memory-mapped inputs register their ranges: a SIGBUS inside one (the file was truncated on disk while in
// use) is reported as "<path> changed on disk while in use" with exit status 1 instead of a crash.
int register_mapping(const void *begin, size_t bytes, const std::string &path);
void unregister_mapping(int slot);

// Installs the handlers (idempotent). Also ignores SIGXFSZ, so that a file-size limit (ulimit -f) turns
// into a write error naming the output instead of killing the process with a partial file.
void install_signal_cleanup();

} // namespace causeway
