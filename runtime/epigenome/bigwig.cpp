#include "causeway/epigenome/bigwig.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

#include <bigWig.h>
// libBigWig's index walk (walkRTreeNodes) is declared without C linkage guards.
extern "C" {
#include <bwCommon.h>
}
#include <fcntl.h>
#include <zlib.h>

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
    if (file->type != 0 || !file->idx || !file->idx->root) fail("not a bigWig file, or no index: {}", path_);
    for (int64_t i = 0; i < file->cl->nKeys; ++i)
        chromosomes_.push_back({file->cl->chrom[i], file->cl->len[i]});
    uncompressed_size_ = file->hdr->bufSize;
    fd_ = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open bigWig {}: {}", path_, std::strerror(errno));
}

BigWigReader::~BigWigReader() {
    if (file_) bwClose(static_cast<bigWigFile_t *>(file_));
    if (fd_ >= 0) ::close(fd_);
}

const BigWigReader::Block &BigWigReader::block(uint64_t offset, uint64_t size, const std::string &chrom) {
    for (auto &cached : recent_)
        if (cached.offset == offset) return cached;
    constexpr size_t kCached = 8;
    if (recent_.size() == kCached) recent_.erase(recent_.begin());
    recent_.emplace_back();
    Block &b = recent_.back();
    b.offset = offset;
    auto corrupt = [&](const char *what) {
        recent_.pop_back();
        fail("corrupt data block at byte {} ({}) while reading {}: {}", offset, what, chrom, path_);
    };
    if (size > (uint64_t(1) << 30)) corrupt("implausible size");
    compressed_.resize(size);
    if (pread(fd_, compressed_.data(), size, static_cast<off_t>(offset)) != static_cast<ssize_t>(size))
        corrupt("beyond the end of the file");
    const unsigned char *data = compressed_.data();
    size_t length = size;
    if (uncompressed_size_) {
        uncompressed_.resize(uncompressed_size_);
        uLongf produced = uncompressed_size_;
        if (uncompress(uncompressed_.data(), &produced, compressed_.data(), size) != Z_OK)
            corrupt("zlib refuses it");
        data = uncompressed_.data();
        length = produced;
    }
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
    b.chromosome = header[0];
    const uint32_t step = header[3], span = header[4];
    b.intervals.resize(items);
    const unsigned char *item = data + 24;
    for (uint16_t i = 0; i < items; ++i, item += item_size) {
        SignalInterval &interval = b.intervals[i];
        if (type == 1) {
            std::memcpy(&interval.start, item, 4);
            std::memcpy(&interval.end, item + 4, 4);
            std::memcpy(&interval.value, item + 8, 4);
        } else if (type == 2) {
            std::memcpy(&interval.start, item, 4);
            interval.end = interval.start + span;
            std::memcpy(&interval.value, item + 4, 4);
        } else {
            interval.start = header[1] + i * step;
            interval.end = interval.start + span;
            std::memcpy(&interval.value, item, 4);
        }
    }
    return b;
}

void BigWigReader::read(const std::string &chrom, uint32_t start, uint32_t end,
                        std::vector<SignalInterval> &out) {
    out.clear();
    auto *file = static_cast<bigWigFile_t *>(file_);
    uint32_t tid = bwGetTid(file, chrom.c_str());
    if (tid == static_cast<uint32_t>(-1)) fail("internal: no chromosome {} in {}", chrom, path_);
    bwOverlapBlock_t *blocks = walkRTreeNodes(file, file->idx->root, tid, start, end);
    if (!blocks)
        fail("cannot read the index for {}:{}-{} (corrupt bigWig?): {}", chrom, start + 1, end, path_);
    try {
        for (uint64_t i = 0; i < blocks->n; ++i) {
            const Block &b = block(blocks->offset[i], blocks->size[i], chrom);
            if (b.chromosome != tid) continue;
            for (const SignalInterval &interval : b.intervals)
                if (interval.end > start && interval.start < end) out.push_back(interval);
        }
    } catch (...) {
        destroyBWOverlapBlock(blocks);
        throw;
    }
    destroyBWOverlapBlock(blocks);
    bool sorted = true;
    for (size_t i = 0; i < out.size(); ++i) {
        const SignalInterval &interval = out[i];
        if (!(interval.value >= 0) || !std::isfinite(interval.value))
            fail("invalid signal value {} at {}:{}-{} (a -log10 p-value must be finite and >= 0): {}",
                 interval.value, chrom, interval.start + 1, interval.end, path_);
        if (interval.end <= interval.start)
            fail("corrupt bigWig (empty interval at {}:{}): {}", chrom, interval.start + 1, path_);
        if (i && interval.start < out[i - 1].start) sorted = false;
    }
    if (!sorted)
        std::sort(out.begin(), out.end(),
                  [](const SignalInterval &a, const SignalInterval &b) { return a.start < b.start; });
}

BigWigWriter::BigWigWriter(std::string path, const std::vector<ChromosomeLength> &chromosomes,
                           int zoom_levels)
    : path_(std::move(path)), chromosomes_(chromosomes) {
    bigwig_init();
    if (chromosomes_.empty()) fail("internal: a bigWig needs at least one chromosome: {}", path_);
    temp_path_ = path_ + ".tmp.XXXXXX";
    int fd = mkstemp(temp_path_.data());
    if (fd < 0) fail("cannot create output file: {}: {}", path_, std::strerror(errno));
    ::close(fd);
    bigWigFile_t *file = bwOpen(temp_path_.c_str(), nullptr, "w");
    if (!file) {
        unlink(temp_path_.c_str());
        fail("cannot open output file: {}", path_);
    }
    file_ = file;
    std::vector<const char *> names;
    std::vector<uint32_t> lengths;
    for (auto &c : chromosomes_) {
        names.push_back(c.name.c_str());
        lengths.push_back(c.length);
    }
    if (bwCreateHdr(file, zoom_levels) != 0 ||
        !(file->cl = bwCreateChromList(names.data(), lengths.data(), static_cast<int64_t>(names.size()))) ||
        bwWriteHdr(file) != 0)
        fail("cannot write bigWig header: {}", path_);
}

BigWigWriter::~BigWigWriter() {
    if (closed_) return;
    if (file_) bwClose(static_cast<bigWigFile_t *>(file_));
    unlink(temp_path_.c_str());
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
        fail("cannot write bigWig (disk full?): {}", path_);
    }
    mode_t mask = umask(0);
    umask(mask);
    chmod(temp_path_.c_str(), 0666 & ~mask);
    if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
        int err = errno;
        unlink(temp_path_.c_str());
        fail("cannot move output into place: {}: {}", path_, std::strerror(err));
    }
}

} // namespace causeway::epigenome
