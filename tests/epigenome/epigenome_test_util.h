// Helpers for the epigenome tests: scratch folders, small files, and bigWigs written directly with
// libBigWig (not through causeway's writer, so that the reader is checked against the library itself).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>
#include <zlib.h>

#include <bigWig.h>
#include <gtest/gtest.h>

#include "causeway/epigenome/bigwig.h"

namespace causeway::epigenome::testing {

// A fresh folder under the build tree's temporary area, removed at the end of the test.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = std::string(::testing::TempDir()) + "causeway_epigenome_XXXXXX";
        if (!mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
        path_ = pattern;
    }
    ~ScratchDir() { std::system(("rm -rf '" + path_ + "'").c_str()); }
    const std::string &path() const { return path_; }
    std::string operator/(const std::string &name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Names in a folder, sorted.
inline std::vector<std::string> list_folder(const std::string &path) {
    std::vector<std::string> names;
    std::FILE *pipe = popen(("ls -A '" + path + "'").c_str(), "r");
    char line[4096];
    while (pipe && std::fgets(line, sizeof line, pipe)) {
        std::string name(line);
        if (!name.empty() && name.back() == '\n') name.pop_back();
        names.push_back(name);
    }
    if (pipe) pclose(pipe);
    return names;
}

inline void write_text(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

inline void write_gzip(const std::string &path, const std::string &text) {
    gzFile gz = gzopen(path.c_str(), "wb");
    gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
}

inline std::string read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool exists(const std::string &path) {
    struct stat info {};
    return stat(path.c_str(), &info) == 0;
}

struct TestInterval {
    std::string chrom;
    uint32_t start, end;
    float value;
};

// A bigWig of the given chromosomes and intervals (sorted by chromosome, in the order given, then start).
inline void write_bigwig(const std::string &path, const std::vector<ChromosomeLength> &chromosomes,
                         const std::vector<TestInterval> &intervals) {
    bigwig_init();
    bigWigFile_t *file = bwOpen(path.c_str(), nullptr, "w");
    ASSERT_NE(file, nullptr);
    ASSERT_EQ(bwCreateHdr(file, 10), 0);
    std::vector<const char *> names;
    std::vector<uint32_t> lengths;
    for (auto &c : chromosomes) {
        names.push_back(c.name.c_str());
        lengths.push_back(c.length);
    }
    file->cl = bwCreateChromList(names.data(), lengths.data(), static_cast<int64_t>(names.size()));
    ASSERT_NE(file->cl, nullptr);
    ASSERT_EQ(bwWriteHdr(file), 0);
    for (auto &interval : intervals) {
        const char *chrom = interval.chrom.c_str();
        ASSERT_EQ(bwAddIntervals(file, &chrom, &interval.start, &interval.end, &interval.value, 1), 0);
    }
    bwClose(file);
}

} // namespace causeway::epigenome::testing
