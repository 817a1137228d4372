#include "causeway/atomic_output.h"

#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <map>
#include <pthread.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include "causeway/error.h"

namespace causeway {

namespace {

// Slot states: free, being filled or emptied by its owner, live (visible to the signal handler).
enum SlotState : int { kFree = 0, kBusy = 1, kLive = 2 };

struct TemporarySlot {
    std::atomic<int> state{kFree};
    char path[4096];
};

struct MappingSlot {
    std::atomic<int> state{kFree};
    const char *begin = nullptr;
    size_t bytes = 0;
    char path[4096];
};

std::array<TemporarySlot, 256> g_temporaries;
std::array<MappingSlot, 64> g_mappings;

template <typename Slots> int claim_slot(Slots &slots, const std::string &path) {
    if (path.size() >= sizeof(slots[0].path)) return -1;
    for (size_t i = 0; i < slots.size(); ++i) {
        int expected = kFree;
        if (slots[i].state.compare_exchange_strong(expected, kBusy)) {
            std::memcpy(slots[i].path, path.c_str(), path.size() + 1);
            return static_cast<int>(i);
        }
    }
    return -1;
}

void write_stderr(const char *text) {
    ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
    static_cast<void>(ignored);
}

void remove_temporaries() {
    for (auto &slot : g_temporaries)
        if (slot.state.load() == kLive) unlink(slot.path);
}

void on_termination(int signal) {
    remove_temporaries();
    // SA_RESETHAND restored the default action: die of the same signal, as the shell expects.
    raise(signal);
}

void on_bus_error(int signal, siginfo_t *info, void *) {
    const char *address = static_cast<const char *>(info->si_addr);
    for (auto &slot : g_mappings) {
        if (slot.state.load() != kLive || address < slot.begin || address >= slot.begin + slot.bytes)
            continue;
        remove_temporaries();
        write_stderr("causeway: ");
        write_stderr(slot.path);
        write_stderr(" changed on disk while in use (truncated or rewritten by another program); stopped\n");
        _exit(1);
    }
    remove_temporaries();
    raise(signal);
}

// SIGINT, SIGTERM and SIGHUP held back on this thread while a temporary is created and registered: one
// arriving inside mkstemp's open() (tens of microseconds creating the file) ran the clean-up before the
// name was registered and left the file behind (failure.interrupt_train saw it in 2 of 8 runs, its training
// rewriting a log and a checkpoint every few milliseconds). Held back, it is delivered at the scope's end,
// when the name is registered, and the handler removes it.
class TerminationSignalsHeld {
public:
    TerminationSignalsHeld() {
        sigset_t held;
        sigemptyset(&held);
        for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&held, signal);
        pthread_sigmask(SIG_BLOCK, &held, &previous_);
    }
    ~TerminationSignalsHeld() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
    TerminationSignalsHeld(const TerminationSignalsHeld &) = delete;
    TerminationSignalsHeld &operator=(const TerminationSignalsHeld &) = delete;

private:
    sigset_t previous_;
};

} // namespace

int register_temporary(const std::string &path) {
    int slot = claim_slot(g_temporaries, path);
    if (slot >= 0) g_temporaries[slot].state.store(kLive);
    return slot;
}

void unregister_temporary(int slot) {
    if (slot >= 0) g_temporaries[slot].state.store(kFree);
}

int make_registered_temporary(std::string &pattern, int *slot) {
    TerminationSignalsHeld held;
    const int fd = mkstemp(pattern.data());
    const int error = errno;
    *slot = fd >= 0 ? register_temporary(pattern) : -1;
    errno = error;
    return fd;
}

int register_mapping(const void *begin, size_t bytes, const std::string &path) {
    int slot = claim_slot(g_mappings, path);
    if (slot < 0) return -1;
    g_mappings[slot].begin = static_cast<const char *>(begin);
    g_mappings[slot].bytes = bytes;
    g_mappings[slot].state.store(kLive);
    return slot;
}

void unregister_mapping(int slot) {
    if (slot >= 0) g_mappings[slot].state.store(kFree);
}

void install_signal_cleanup() {
    struct sigaction action {};
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    action.sa_handler = on_termination;
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
        // A signal ignored at start stays ignored (nohup, a shell's background jobs), as is the convention.
        struct sigaction current {};
        if (sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN && signal != SIGTERM)
            continue;
        sigaction(signal, &action, nullptr);
    }
    struct sigaction bus {};
    sigemptyset(&bus.sa_mask);
    bus.sa_flags = SA_RESETHAND | SA_SIGINFO;
    bus.sa_sigaction = on_bus_error;
    sigaction(SIGBUS, &bus, nullptr);
    std::signal(SIGXFSZ, SIG_IGN);
}

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)) {
    if (is_stdout()) {
        file_ = stdout;
        return;
    }
    temp_path_ = path_ + ".tmp.XXXXXX";
    int fd = make_registered_temporary(temp_path_, &temp_slot_);
    if (fd < 0) fail("cannot create output file: {}: {}", path_, std::strerror(errno));
    file_ = fdopen(fd, "wb");
    if (!file_) {
        int err = errno;
        close(fd);
        unlink(temp_path_.c_str());
        unregister_temporary(temp_slot_);
        fail("cannot open output file: {}: {}", path_, std::strerror(err));
    }
    // mkstemp creates 0600; outputs should carry the usual permissions.
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    static_cast<void>(setvbuf(file_, nullptr, _IOFBF, 1 << 20));
}

AtomicOutput::~AtomicOutput() {
    if (committed_ || is_stdout()) return;
    if (file_) std::fclose(file_);
    unlink(temp_path_.c_str());
    unregister_temporary(temp_slot_);
}

void AtomicOutput::write(const void *data, size_t bytes) {
    if (bytes && std::fwrite(data, 1, bytes, file_) != bytes) write_failed(errno);
}

void AtomicOutput::write_failed(int error) const {
    if (is_stdout()) fail("cannot write to standard output: {}", std::strerror(error ? error : EIO));
    fail("cannot write output file: {}: {}", path_, std::strerror(error ? error : EIO));
}

void AtomicOutput::commit() {
    if (committed_) return;
    if (is_stdout()) {
        if (std::fflush(stdout) != 0 || std::ferror(stdout))
            fail("cannot write to standard output: {}", std::strerror(errno));
        committed_ = true;
        return;
    }
    bool ok = std::fflush(file_) == 0 && !std::ferror(file_) && fsync(fileno(file_)) == 0;
    int err = errno;
    ok = (std::fclose(file_) == 0) && ok;
    file_ = nullptr;
    if (!ok) {
        unlink(temp_path_.c_str());
        unregister_temporary(temp_slot_);
        committed_ = true;
        fail("cannot write output file: {}: {}", path_, std::strerror(err ? err : EIO));
    }
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        err = errno;
        unlink(temp_path_.c_str());
        unregister_temporary(temp_slot_);
        committed_ = true;
        fail("cannot move output into place: {}: {}", path_, std::strerror(err));
    }
    // A signal between the rename and this line unlinks a name that no longer exists: harmless.
    unregister_temporary(temp_slot_);
    committed_ = true;
}

TemporaryOutputPath::TemporaryOutputPath(std::string path)
    : path_(std::move(path)), temp_(path_ + ".tmp.XXXXXX") {
    const int fd = make_registered_temporary(temp_, &temp_slot_);
    if (fd < 0) fail("cannot create output file: {}: {}", path_, std::strerror(errno));
    const mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask); // mkstemp creates 0600
    close(fd);
}

TemporaryOutputPath::~TemporaryOutputPath() {
    if (committed_) return;
    unlink(temp_.c_str());
    unregister_temporary(temp_slot_);
}

void TemporaryOutputPath::commit() {
    if (committed_) return;
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        unlink(temp_.c_str());
        unregister_temporary(temp_slot_);
        committed_ = true;
        fail("cannot move output into place: {}: {}", path_, std::strerror(err));
    }
    unregister_temporary(temp_slot_);
    committed_ = true;
}

bool is_atomic_temporary_name(const std::string &name) {
    const size_t at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0 || name.size() - at != 11) return false;
    for (size_t i = at + 5; i < name.size(); ++i)
        if (!std::isalnum(static_cast<unsigned char>(name[i]))) return false;
    return true;
}

size_t remove_stale_temporaries(const std::vector<std::string> &outputs) {
    // Output names by folder, so that each folder is read once however many outputs it holds.
    std::map<std::string, std::set<std::string>> names_by_folder;
    for (const std::string &path : outputs) {
        if (path.empty() || path == "-") continue;
        const size_t slash = path.rfind('/');
        const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash + 1);
        names_by_folder[folder].insert(slash == std::string::npos ? path : path.substr(slash + 1));
    }
    size_t removed = 0;
    for (const auto &[folder, names] : names_by_folder) {
        DIR *dir = opendir(folder.c_str());
        if (!dir) continue; // a folder not made yet holds no temporaries
        std::vector<std::string> stale;
        while (const dirent *entry = readdir(dir)) {
            const std::string name = entry->d_name;
            if (is_atomic_temporary_name(name) && names.count(name.substr(0, name.size() - 11)))
                stale.push_back(name);
        }
        closedir(dir);
        for (const std::string &name : stale) {
            const std::string path = folder == "." ? name : folder + name;
            if (unlink(path.c_str()) == 0)
                ++removed;
            else if (errno != ENOENT)
                fail("cannot remove the stale temporary {}: {}", path, std::strerror(errno));
        }
    }
    return removed;
}

} // namespace causeway
