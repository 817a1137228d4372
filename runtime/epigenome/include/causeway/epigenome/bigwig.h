// bigWig tracks through libBigWig: a reader that checks a file's structure before trusting it (so a
// truncated or corrupt file is a clear error, not a crash), and a writer that appears whole or not at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace causeway::epigenome {

struct SignalInterval {
    uint32_t start = 0, end = 0; // 0-based, half-open
    float value = 0;
};

struct ChromosomeLength {
    std::string name;
    uint32_t length = 0;
};

class BigWigReader {
public:
    // Opens and checks the header, chromosome list and index; errors name the file.
    explicit BigWigReader(std::string path);
    ~BigWigReader();
    BigWigReader(const BigWigReader &) = delete;
    BigWigReader &operator=(const BigWigReader &) = delete;

    const std::string &path() const { return path_; }
    const std::vector<ChromosomeLength> &chromosomes() const { return chromosomes_; }
    // The intervals overlapping [start, end) of `chrom` (a name of this file), sorted by start. Not thread
    // safe for one reader; separate readers may be used from separate threads. Data blocks are decoded
    // here (libBigWig finds them): a few recent ones are kept, because on sparse tracks one block spans
    // megabases and neighbouring genes' windows would otherwise decompress it again and again.
    void read(const std::string &chrom, uint32_t start, uint32_t end, std::vector<SignalInterval> &out);

private:
    struct Block {
        uint64_t offset = 0;
        std::vector<SignalInterval> intervals;
        uint32_t chromosome = 0;
    };
    const Block &block(uint64_t offset, uint64_t size, const std::string &chrom);

    std::string path_;
    void *file_ = nullptr;
    int fd_ = -1;
    uint32_t uncompressed_size_ = 0; // 0: blocks are stored uncompressed
    std::vector<ChromosomeLength> chromosomes_;
    std::vector<Block> recent_; // a small cache, oldest first
    std::vector<unsigned char> compressed_, uncompressed_;
};

class BigWigWriter {
public:
    // Writes to a temporary file beside `path`; close() renames it into place.
    BigWigWriter(std::string path, const std::vector<ChromosomeLength> &chromosomes, int zoom_levels = 10);
    ~BigWigWriter();
    BigWigWriter(const BigWigWriter &) = delete;
    BigWigWriter &operator=(const BigWigWriter &) = delete;

    // One chromosome's intervals: sorted, not overlapping, within the chromosome; chromosomes in the
    // order given to the constructor, each at most once.
    void add(const std::string &chrom, const std::vector<uint32_t> &starts, const std::vector<uint32_t> &ends,
             const std::vector<float> &values);
    // Finalises the file (index, zoom levels), checks it and moves it into place.
    void close();

private:
    std::string path_, temp_path_;
    void *file_ = nullptr;
    std::vector<ChromosomeLength> chromosomes_;
    size_t next_chromosome_ = 0;
    bool closed_ = false;
};

// Must precede any use of libBigWig; called by the reader and writer (thread safe, once).
void bigwig_init();

} // namespace causeway::epigenome
