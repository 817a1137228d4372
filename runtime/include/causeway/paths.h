// Path queries the resumable commands share.
#pragma once

#include <string>
#include <sys/stat.h>

namespace causeway {

// True when something exists at `path` (a file, a folder, a link's target).
inline bool file_exists(const std::string &path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

} // namespace causeway
