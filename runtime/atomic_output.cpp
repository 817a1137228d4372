#include "causeway/atomic_output.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "causeway/error.h"

namespace causeway {

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)) {
    if (is_stdout()) {
        file_ = stdout;
        return;
    }
    temp_path_ = path_ + ".tmp.XXXXXX";
    int fd = mkstemp(temp_path_.data());
    if (fd < 0) fail("cannot create output file: {}: {}", path_, std::strerror(errno));
    file_ = fdopen(fd, "wb");
    if (!file_) {
        int err = errno;
        close(fd);
        unlink(temp_path_.c_str());
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
}

void AtomicOutput::write(const void *data, size_t bytes) {
    if (bytes && std::fwrite(data, 1, bytes, file_) != bytes)
        fail("cannot write output file: {}: {}", path_, std::strerror(errno));
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
        committed_ = true;
        fail("cannot write output file: {}: {}", path_, std::strerror(err ? err : EIO));
    }
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        err = errno;
        unlink(temp_path_.c_str());
        committed_ = true;
        fail("cannot move output into place: {}: {}", path_, std::strerror(err));
    }
    committed_ = true;
}

} // namespace causeway
