// Output folders of the study subcommands (evaluate, epigenesis, optimize).
#pragma once

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>
#include <sys/stat.h>

#include "causeway/error.h"

namespace causeway::study {

// Creates --out if needed; an existing file of that name is an error.
inline void make_output_folder(const std::string &dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) fail("--out must be a folder, but this is a file: {}", dir);
        return;
    }
    if (::mkdir(dir.c_str(), 0777) != 0)
        fail("cannot create output folder: {}: {}", dir, std::strerror(errno));
}

// A gene id as a file name: anything but letters, digits, '.', '-' and '_' becomes '_'.
inline std::string file_safe_name(const std::string &id) {
    std::string name = id;
    for (char &ch : name)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_') ch = '_';
    return name;
}

} // namespace causeway::study
