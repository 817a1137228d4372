#include "causeway/epigenome/bigwig.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bigWig.h>
#include <cstddef>
#include <fcntl.h>
#include <libdeflate.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"

namespace causeway::epigenome {

void bigwig_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        // The buffer is for remote files only; local reads go through stdio.
        if (bwInit(1 << 17) != 0) fail("cannot initialise libBigWig");
    });
}

namespace {

// Reads little-endian fields from a file at absolute offsets, failing with the file's name.
class StructureCheck {
public:
    explicit StructureCheck(const std::string &path) : path_(path) {
        file_ = std::fopen(path.c_str(), "rb");
        if (!file_) fail("cannot open bigWig {}: {}", path, std::strerror(errno));
        struct stat info {};
        if (fstat(fileno(file_), &info) != 0 || !S_ISREG(info.st_mode)) {
            std::fclose(file_);
            fail("not a regular file: {}", path);
        }
        size_ = static_cast<uint64_t>(info.st_size);
    }
    ~StructureCheck() { std::fclose(file_); }
    uint64_t size() const { return size_; }

    template <typename T> T at(uint64_t offset, const char *what) {
        T value{};
        if (offset > size_ || size_ - offset < sizeof(T) ||
            std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0 ||
            std::fread(&value, sizeof(T), 1, file_) != 1)
            fail("truncated or corrupt bigWig ({} at byte {} lies beyond its {} bytes): {}", what, offset,
                 size_, path_);
        return value;
    }

private:
    std::string path_;
    std::FILE *file_ = nullptr;
    uint64_t size_ = 0;
};

// Walks the chromosome B+ tree as libBigWig will, checking every offset and chromosome id first: libBigWig
// itself trusts them and would write out of bounds on a corrupt file.
void check_chromosome_block(StructureCheck &check, uint64_t offset, uint32_t key_size, uint64_t item_count,
                            std::vector<bool> &seen, int depth, const std::string &path) {
    if (depth > 8) fail("corrupt bigWig (chromosome tree too deep): {}", path);
    auto is_leaf = check.at<uint8_t>(offset, "chromosome tree node");
    auto count = check.at<uint16_t>(offset + 2, "chromosome tree node");
    uint64_t item = offset + 4;
    for (uint16_t i = 0; i < count; ++i, item += key_size + 8) {
        if (is_leaf) {
            auto id = check.at<uint32_t>(item + key_size, "chromosome entry");
            if (id >= item_count || seen[id])
                fail("corrupt bigWig (chromosome id {} of {} in its chromosome list): {}", id, item_count,
                     path);
            seen[id] = true;
        } else {
            auto child = check.at<uint64_t>(item + key_size, "chromosome tree node");
            check_chromosome_block(check, child, key_size, item_count, seen, depth + 1, path);
        }
    }
}

void check_structure(const std::string &path) {
    StructureCheck check(path);
    if (check.size() < 64) fail("not a bigWig file (only {} bytes): {}", check.size(), path);
    auto magic = check.at<uint32_t>(0, "header");
    if (magic == BIGBED_MAGIC) fail("a bigBed file, not a bigWig: {}", path);
    if (magic == __builtin_bswap32(BIGWIG_MAGIC)) fail("big-endian bigWig files are not supported: {}", path);
    if (magic != BIGWIG_MAGIC) fail("not a bigWig file (bad magic number): {}", path);
    auto zoom_levels = check.at<uint16_t>(6, "header");
    auto tree_offset = check.at<uint64_t>(8, "header");
    auto data_offset = check.at<uint64_t>(16, "header");
    auto index_offset = check.at<uint64_t>(24, "header");
    auto summary_offset = check.at<uint64_t>(44, "header");
    if (summary_offset) check.at<uint64_t>(summary_offset + 32, "summary");
    for (uint16_t z = 0; z < zoom_levels; ++z) check.at<uint64_t>(64 + 24 * z + 16, "zoom header");
    if (check.at<uint32_t>(tree_offset, "chromosome list") != CIRTREE_MAGIC)
        fail("corrupt bigWig (no chromosome list at byte {}): {}", tree_offset, path);
    auto key_size = check.at<uint32_t>(tree_offset + 8, "chromosome list");
    auto item_count = check.at<uint64_t>(tree_offset + 16, "chromosome list");
    if (key_size == 0 || key_size > 4096 || item_count == 0 || item_count > check.size())
        fail("corrupt bigWig (chromosome list of {} names of {} bytes): {}", item_count, key_size, path);
    std::vector<bool> seen(item_count, false);
    check_chromosome_block(check, tree_offset + 32, key_size, item_count, seen, 0, path);
    if (std::find(seen.begin(), seen.end(), false) != seen.end())
        fail("corrupt bigWig (chromosome list incomplete): {}", path);
    check.at<uint32_t>(data_offset, "data");
    if (check.at<uint32_t>(index_offset, "index") != IDX_MAGIC)
        fail("corrupt bigWig (no index at byte {}): {}", index_offset, path);
    check.at<uint64_t>(index_offset + 40, "index");
}

} // namespace

BigWigReader::BigWigReader(std::string path) : path_(std::move(path)) {
    bigwig_init();
    check_structure(path_);
    bigWigFile_t *file = bwOpen(path_.c_str(), nullptr, "r");
    if (!file) fail("cannot read bigWig (corrupt?): {}", path_);
    file_ = file;
    try {
        if (file->type != 0 || !file->idx || !file->idx->root)
            fail("not a bigWig file, or no index: {}", path_);
        for (int64_t i = 0; i < file->cl->nKeys; ++i) {
            chromosomes_.push_back({file->cl->chrom[i], file->cl->len[i]});
            ids_.emplace_back(file->cl->chrom[i], static_cast<uint32_t>(i));
        }
        // Stable, so that a repeated name finds its first id, as bwGetTid does.
        std::stable_sort(ids_.begin(), ids_.end(),
                         [](const auto &a, const auto &b) { return a.first < b.first; });
        uncompressed_size_ = file->hdr->bufSize;
        index_root_ = file->hdr->indexOffset + 48; // after the index header (checked in check_structure)
        // Every block is inflated into a buffer of this size: a corrupt header must not claim gigabytes
        // (writers use 32 KB to about 1 MB; found by tests/fuzz/bigwig_fuzzer).
        if (uncompressed_size_ > (uint32_t{16} << 20))
            fail("corrupt bigWig (uncompressed block size {} bytes, over 16 MiB): {}", uncompressed_size_,
                 path_);
        // Data blocks are read through a mapping: libdeflate inflates straight from the page cache, with no
        // copy and no system call per block (pread's cost was a few percent on dense tracks).
        int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) fail("cannot open bigWig {}: {}", path_, std::strerror(errno));
        struct stat info {};
        void *map = MAP_FAILED;
        if (fstat(fd, &info) == 0 && info.st_size > 0)
            map = mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ, MAP_SHARED, fd, 0);
        int err = errno;
        ::close(fd);
        if (map == MAP_FAILED) fail("cannot map bigWig {}: {}", path_, std::strerror(err));
        map_ = static_cast<const unsigned char *>(map);
        map_size_ = static_cast<uint64_t>(info.st_size);
        map_slot_ = register_mapping(map_, map_size_, path_);
        inflater_ = libdeflate_alloc_decompressor();
        if (!inflater_) fail("out of memory opening {}", path_);
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        release();
        throw;
    }
}

BigWigReader::~BigWigReader() {
    release();
}

void BigWigReader::release() {
    if (file_) bwClose(static_cast<bigWigFile_t *>(file_));
    file_ = nullptr;
    unregister_mapping(map_slot_);
    if (map_) munmap(const_cast<unsigned char *>(map_), map_size_);
    map_ = nullptr;
    if (inflater_) libdeflate_free_decompressor(static_cast<libdeflate_decompressor *>(inflater_));
    inflater_ = nullptr;
}

uint32_t BigWigReader::chromosome_id(const std::string &chrom) const {
    auto it = std::lower_bound(ids_.begin(), ids_.end(), chrom,
                               [](const auto &entry, const std::string &name) { return entry.first < name; });
    if (it == ids_.end() || it->first != chrom) fail("internal: no chromosome {} in {}", chrom, path_);
    return it->second;
}

// bedGraph items as stored are SignalIntervals byte for byte, and the section header is two of them.
static_assert(sizeof(SignalInterval) == 12 && offsetof(SignalInterval, end) == 4 &&
              offsetof(SignalInterval, value) == 8);

BigWigReader::Block &BigWigReader::block(uint64_t offset, uint64_t size, const std::string &chrom) {
    auto cached = cache_.find(offset);
    if (cached != cache_.end()) {
        Block &b = *cached->second;
        if (b.ordered < 0) {
            b.ordered = 1;
            for (size_t i = 1; i < b.count; ++i)
                if (b.items[i].start < b.items[i - 1].start || b.items[i].end < b.items[i - 1].end) {
                    b.ordered = 0;
                    break;
                }
        }
        return b;
    }
    auto corrupt = [&](const char *what) {
        fail("corrupt data block at byte {} ({}) while reading {}: {}", offset, what, chrom, path_);
    };
    if (size > (uint64_t(1) << 30)) corrupt("implausible size");
    std::unique_ptr<Block> owned;
    if (spares_.empty()) {
        owned = std::make_unique<Block>();
    } else {
        owned = std::move(spares_.back());
        spares_.pop_back();
    }
    Block &b = *owned;
    size_t length = size;
    auto into = [&](size_t bytes) {
        b.section.resize((bytes + sizeof(SignalInterval) - 1) / sizeof(SignalInterval));
        return reinterpret_cast<unsigned char *>(b.section.data());
    };
    if (offset > map_size_ || map_size_ - offset < size) corrupt("beyond the end of the file");
    const unsigned char *stored = map_ + offset;
    if (uncompressed_size_) {
        // libdeflate inflates a whole zlib stream (checksum included) about 1.8 times as fast as zlib
        // here (measured on dense tracks), and inflating is most of prepare's work on them.
        size_t produced = 0;
        if (libdeflate_zlib_decompress(static_cast<libdeflate_decompressor *>(inflater_), stored, size,
                                       into(uncompressed_size_), uncompressed_size_,
                                       &produced) != LIBDEFLATE_SUCCESS)
            corrupt("zlib refuses it");
        length = produced;
    } else {
        // An empty block leaves the buffer without storage; memcpy must not see its null pointer (UBSan,
        // found by tests/fuzz/bigwig_fuzzer). It is rejected as shorter than its header just below.
        if (size) std::memcpy(into(size), stored, size);
    }
    const auto *data = reinterpret_cast<const unsigned char *>(b.section.data());
    // Section header: chromosome id, start, end, step, span, type, reserved, item count (24 bytes).
    if (length < 24) corrupt("shorter than its header");
    uint32_t header[5];
    std::memcpy(header, data, sizeof header);
    const uint8_t type = data[20];
    uint16_t items = 0;
    std::memcpy(&items, data + 22, 2);
    const size_t item_size = type == 1 ? 12 : type == 2 ? 8 : type == 3 ? 4 : 0;
    if (item_size == 0) corrupt("unknown section type");
    if (24 + items * item_size > length) corrupt("items beyond its end");
    b.offset = offset;
    b.chromosome = header[0];
    b.count = items;
    b.ordered = -1;
    if (type == 1) {
        b.items = b.section.data() + 2;
    } else {
        const uint32_t step = header[3], span = header[4];
        b.expanded.resize(items);
        const unsigned char *item = data + 24;
        for (uint16_t i = 0; i < items; ++i, item += item_size) {
            SignalInterval &interval = b.expanded[i];
            if (type == 2) {
                std::memcpy(&interval.start, item, 4);
                interval.end = interval.start + span;
                std::memcpy(&interval.value, item + 4, 4);
            } else {
                interval.start = header[1] + i * step;
                interval.end = interval.start + span;
                std::memcpy(&interval.value, item, 4);
            }
        }
        b.items = b.expanded.data();
    }
    return *cache_.emplace(offset, std::move(owned)).first->second;
}

// The index is a bbi R-tree: a 48-byte header, then nodes of a leaf flag, a reserved byte, an entry count
// and entries of (start chromosome, start base, end chromosome, end base, offset), plus the data block's
// size in a leaf; an inner entry's offset is its child node. Walked here over the mapping, iteratively and
// with every node at most once, rather than by libBigWig's recursive walkRTreeNodes, which trusts the file:
// a cyclic index overflowed its stack (tests/fuzz/known_crashes/bigwig-rtree-stack-overflow).
void BigWigReader::index_blocks(uint32_t tid, uint32_t start, uint32_t end, const std::string &chrom) {
    auto corrupt = [&](uint64_t node, const char *what) {
        fail("corrupt bigWig index (node at byte {}: {}) while reading {}:{}-{}: {}", node, what, chrom,
             start + 1, end, path_);
    };
    // Writers fan out 64 to 256 ways, so real trees are a few levels deep; 64 levels of even 2-way nodes
    // would index more blocks than a file can hold.
    constexpr uint32_t kMaxDepth = 64;
    found_blocks_.clear();
    visited_nodes_.clear();
    pending_nodes_.clear();
    pending_nodes_.emplace_back(index_root_, 0);
    // Entries are ranges of (chromosome, base) pairs; this one overlaps [start, end) of tid when it
    // begins before (tid, end) and ends after (tid, start), comparing the pairs in order.
    auto before = [](uint32_t chrom_a, uint32_t base_a, uint32_t chrom_b, uint32_t base_b) {
        return chrom_a < chrom_b || (chrom_a == chrom_b && base_a < base_b);
    };
    while (!pending_nodes_.empty()) {
        const auto [node, depth] = pending_nodes_.back();
        pending_nodes_.pop_back();
        if (depth > kMaxDepth) corrupt(node, "the tree is over 64 levels deep");
        if (!visited_nodes_.insert(node).second) corrupt(node, "reached twice: the tree has a cycle");
        if (node > map_size_ || map_size_ - node < 4) corrupt(node, "beyond the end of the file");
        const unsigned char *at = map_ + node;
        const bool leaf = at[0] != 0;
        uint16_t count = 0;
        std::memcpy(&count, at + 2, 2);
        const uint64_t entry_size = leaf ? 32 : 24;
        if ((map_size_ - node - 4) / entry_size < count) corrupt(node, "entries beyond the end of the file");
        const size_t first_child = pending_nodes_.size();
        for (const unsigned char *entry = at + 4; count > 0; --count, entry += entry_size) {
            uint32_t range[4];
            uint64_t offset = 0;
            std::memcpy(range, entry, sizeof range);
            std::memcpy(&offset, entry + 16, 8);
            if (!before(range[0], range[1], tid, end) || !before(tid, start, range[2], range[3])) continue;
            if (leaf) {
                uint64_t size = 0;
                std::memcpy(&size, entry + 24, 8);
                found_blocks_.emplace_back(offset, size);
            } else {
                pending_nodes_.emplace_back(offset, depth + 1);
            }
        }
        // Children are visited in index order, each subtree before the next (as libBigWig returns them).
        std::reverse(pending_nodes_.begin() + static_cast<std::ptrdiff_t>(first_child), pending_nodes_.end());
    }
}

void BigWigReader::blocks(const std::string &chrom, uint32_t start, uint32_t end,
                          std::vector<const Block *> &out) {
    out.clear();
    const uint32_t tid = chromosome_id(chrom);
    index_blocks(tid, start, end, chrom);
    const uint64_t request = ++requests_;
    const uint64_t count = found_blocks_.size();
    for (const auto &[offset, size] : found_blocks_) {
        Block &b = block(offset, size, chrom);
        b.used = request;
        if (b.chromosome == tid) out.push_back(&b);
    }
    // Keep this request's blocks and a few recent others (the next region in coordinate order starts in
    // the last block of this one); drop the least recently used beyond that.
    constexpr size_t kSpare = 8;
    while (cache_.size() > count + kSpare) {
        auto oldest = cache_.end();
        for (auto it = cache_.begin(); it != cache_.end(); ++it)
            if (it->second->used != request &&
                (oldest == cache_.end() || it->second->used < oldest->second->used))
                oldest = it;
        if (oldest == cache_.end()) break;
        spares_.push_back(std::move(oldest->second));
        cache_.erase(oldest);
    }
}

void BigWigReader::reject(const SignalInterval &interval, const std::string &chrom) const {
    if (!(interval.value >= 0) || !std::isfinite(interval.value))
        fail("invalid signal value {} at {}:{}-{} (a -log10 p-value must be finite and >= 0): {}",
             interval.value, chrom, interval.start + 1, interval.end, path_);
    fail("corrupt bigWig (empty interval at {}:{}): {}", chrom, interval.start + 1, path_);
}

void BigWigReader::read(const std::string &chrom, uint32_t start, uint32_t end,
                        std::vector<SignalInterval> &out) {
    out.clear();
    blocks(chrom, start, end, found_);
    for (const Block *b : found_)
        for (const SignalInterval &interval : *b)
            if (interval.end > start && interval.start < end) out.push_back(interval);
    bool sorted = true;
    for (size_t i = 0; i < out.size(); ++i) {
        if (!valid(out[i])) reject(out[i], chrom);
        if (i && out[i].start < out[i - 1].start) sorted = false;
    }
    if (!sorted)
        std::sort(out.begin(), out.end(),
                  [](const SignalInterval &a, const SignalInterval &b) { return a.start < b.start; });
}

BigWigWriter::BigWigWriter(std::string path, const std::vector<ChromosomeLength> &chromosomes,
                           int zoom_levels, int items_per_block, int index_block_size)
    : path_(std::move(path)), chromosomes_(chromosomes) {
    bigwig_init();
    if (chromosomes_.empty()) fail("internal: a bigWig needs at least one chromosome: {}", path_);
    // libBigWig allocates its buffers for 32 KB blocks (bedGraph items of 12 bytes after a 24-byte header).
    if (items_per_block < 0 || 24 + 12 * items_per_block > 32768 || index_block_size < 0 ||
        index_block_size > 65535)
        fail("internal: bigWig layout of {} items per block, {} per index node: {}", items_per_block,
             index_block_size, path_);
    temp_path_ = path_ + ".tmp.XXXXXX";
    int fd = make_registered_temporary(temp_path_, &temp_slot_);
    if (fd < 0) fail("cannot create output file: {}: {}", path_, std::strerror(errno));
    ::close(fd);
    try {
        bigWigFile_t *file = bwOpen(temp_path_.c_str(), nullptr, "w");
        if (!file) fail("cannot open output file: {}", path_);
        file_ = file;
        std::vector<const char *> names;
        std::vector<uint32_t> lengths;
        for (auto &c : chromosomes_) {
            names.push_back(c.name.c_str());
            lengths.push_back(c.length);
        }
        if (bwCreateHdr(file, zoom_levels) != 0) fail("cannot write bigWig header: {}", path_);
        // Before bwWriteHdr, which sizes the zoom buffers from bufSize; the header records it for readers.
        if (items_per_block) file->hdr->bufSize = static_cast<uint32_t>(24 + 12 * items_per_block);
        if (index_block_size) file->writeBuffer->blockSize = static_cast<uint32_t>(index_block_size);
        if (!(file->cl =
                  bwCreateChromList(names.data(), lengths.data(), static_cast<int64_t>(names.size()))) ||
            bwWriteHdr(file) != 0)
            fail("cannot write bigWig header: {}", path_);
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        if (file_) bwClose(static_cast<bigWigFile_t *>(file_));
        unlink(temp_path_.c_str());
        unregister_temporary(temp_slot_);
        throw;
    }
}

BigWigWriter::~BigWigWriter() {
    if (closed_) return;
    if (file_) bwClose(static_cast<bigWigFile_t *>(file_));
    unlink(temp_path_.c_str());
    unregister_temporary(temp_slot_);
}

void BigWigWriter::add(const std::string &chrom, const std::vector<uint32_t> &starts,
                       const std::vector<uint32_t> &ends, const std::vector<float> &values) {
    while (next_chromosome_ < chromosomes_.size() && chromosomes_[next_chromosome_].name != chrom)
        ++next_chromosome_;
    if (next_chromosome_ == chromosomes_.size())
        fail("internal: chromosome {} written out of order or unknown: {}", chrom, path_);
    const uint32_t length = chromosomes_[next_chromosome_].length;
    ++next_chromosome_;
    if (starts.size() != ends.size() || starts.size() != values.size())
        fail("internal: interval arrays of different lengths: {}", path_);
    for (size_t i = 0; i < starts.size(); ++i)
        if (starts[i] >= ends[i] || ends[i] > length || (i && starts[i] < ends[i - 1]))
            fail("internal: interval {}:{}-{} unsorted, overlapping or beyond the chromosome: {}", chrom,
                 starts[i], ends[i], path_);
    if (starts.empty()) return;
    auto *file = static_cast<bigWigFile_t *>(file_);
    // libBigWig takes one chromosome name per interval on the first call, then appends.
    const char *name = chrom.c_str();
    if (bwAddIntervals(file, &name, &starts[0], &ends[0], &values[0], 1) != 0 ||
        (starts.size() > 1 && bwAppendIntervals(file, &starts[1], &ends[1], &values[1],
                                                static_cast<uint32_t>(starts.size() - 1)) != 0))
        fail("cannot write bigWig intervals on {}: {}", chrom, path_);
}

void BigWigWriter::close() {
    if (closed_) return;
    bwClose(static_cast<bigWigFile_t *>(file_));
    file_ = nullptr;
    closed_ = true;
    // bwClose reports a failed finish only on stderr: re-read the structure to know.
    try {
        check_structure(temp_path_);
    } catch (const Error &) {
        unlink(temp_path_.c_str());
        unregister_temporary(temp_slot_);
        fail("cannot write bigWig (disk full?): {}", path_);
    }
    mode_t mask = umask(0);
    umask(mask);
    chmod(temp_path_.c_str(), 0666 & ~mask);
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        int err = errno;
        unlink(temp_path_.c_str());
        unregister_temporary(temp_slot_);
        fail("cannot move output into place: {}: {}", path_, std::strerror(err));
    }
    unregister_temporary(temp_slot_);
}

} // namespace causeway::epigenome
