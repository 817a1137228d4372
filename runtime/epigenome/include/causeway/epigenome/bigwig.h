// bigWig tracks through libBigWig: a reader that checks a file's structure before trusting it (so a
// truncated or corrupt file is a clear error, not a crash), and a writer that appears whole or not at all.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
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
    // safe for one reader; separate readers may be used from separate threads.
    void read(const std::string &chrom, uint32_t start, uint32_t end, std::vector<SignalInterval> &out);

    // A data block, decoded: its intervals in file order (unchecked: see valid()).
    struct Block {
        uint64_t offset = 0;
        uint32_t chromosome = 0;
        uint64_t used = 0; // when last asked for, for the cache
        const SignalInterval *begin() const { return items; }
        const SignalInterval *end() const { return items + count; }
        size_t size() const { return count; }

        // bedGraph sections are inflated into `section` and used in place (the 24-byte section header
        // fills its first two elements); the other kinds are expanded into `expanded`.
        std::vector<SignalInterval> section, expanded;
        const SignalInterval *items = nullptr;
        size_t count = 0;
        // 1: starts and ends never decrease; 0: they do somewhere; -1: not known yet (found out when the
        // block is asked for again, so that blocks used once cost no extra pass).
        int ordered = -1;
    };
    // The decoded blocks that libBigWig's index gives for [start, end) of `chrom`, in index order, those of
    // other chromosomes left out; valid until the next call. Blocks are decoded here and cached: on sparse
    // tracks one block spans megabases, and on dense ones neighbouring genes' windows share blocks, so
    // asking for regions in coordinate order decodes each block once.
    void blocks(const std::string &chrom, uint32_t start, uint32_t end, std::vector<const Block *> &out);
    // Whether an interval is one read() accepts: a finite value >= 0 (a -log10 p-value), not empty.
    static bool valid(const SignalInterval &interval) {
        return interval.value >= 0 && interval.value <= std::numeric_limits<float>::max() &&
               interval.end > interval.start;
    }
    // Fails with read()'s message for an interval that is not valid().
    [[noreturn]] void reject(const SignalInterval &interval, const std::string &chrom) const;

private:
    Block &block(uint64_t offset, uint64_t size, const std::string &chrom);
    // The (offset, size) of the data blocks whose index entries overlap [start, end) of chromosome `tid`,
    // into found_blocks_; errors name `chrom` and the file.
    void index_blocks(uint32_t tid, uint32_t start, uint32_t end, const std::string &chrom);
    uint32_t chromosome_id(const std::string &chrom) const;
    void release(); // the destructor's work, also for a constructor that fails

    std::string path_;
    void *file_ = nullptr;
    const unsigned char *map_ = nullptr; // the whole file, read only
    uint64_t map_size_ = 0;
    int map_slot_ = -1;              // a truncation while mapped is reported, not a crash (atomic_output.h)
    uint32_t uncompressed_size_ = 0; // 0: blocks are stored uncompressed
    std::vector<ChromosomeLength> chromosomes_;
    std::vector<std::pair<std::string, uint32_t>> ids_;          // chromosome names, sorted, with their ids
    std::unordered_map<uint64_t, std::unique_ptr<Block>> cache_; // decoded blocks by file offset
    std::vector<std::unique_ptr<Block>> spares_;                 // evicted, kept for their buffers
    uint64_t requests_ = 0;
    void *inflater_ = nullptr;         // libdeflate's decompressor
    std::vector<const Block *> found_; // read()'s
    uint64_t index_root_ = 0;          // the index's root node, at a byte offset into the file
    // index_blocks()'s, kept for their storage.
    std::vector<std::pair<uint64_t, uint64_t>> found_blocks_;
    std::vector<std::pair<uint64_t, uint32_t>> pending_nodes_; // node offsets to visit, with their depth
    std::unordered_set<uint64_t> visited_nodes_;
};

class BigWigWriter {
public:
    // Writes to a temporary file beside `path`; close() renames it into place. items_per_block and
    // index_block_size 0 keep libBigWig's layout (32 KB blocks, 64 children per index node); UCSC's tools
    // write 1024 and 256.
    BigWigWriter(std::string path, const std::vector<ChromosomeLength> &chromosomes, int zoom_levels = 10,
                 int items_per_block = 0, int index_block_size = 0);
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
    int temp_slot_ = -1; // removed on a fatal signal (atomic_output.h)
};

// Must precede any use of libBigWig; called by the reader and writer (thread safe, once).
void bigwig_init();

} // namespace causeway::epigenome
