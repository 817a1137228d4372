#include "causeway/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "causeway/atomic_output.h"
#include "causeway/error.h"

namespace causeway {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100u << 20; // the format's own limit
// Read into memory up to this size (a copy costs little there); map above it.
constexpr size_t kCopyBelowBytes = size_t{64} << 20;

int dtype_size(const std::string &dtype) {
    static const std::map<std::string, int> sizes = {{"F64", 8},  {"F32", 4},     {"F16", 2},    {"BF16", 2},
                                                     {"I64", 8},  {"I32", 4},     {"I16", 2},    {"I8", 1},
                                                     {"U64", 8},  {"U32", 4},     {"U16", 2},    {"U8", 1},
                                                     {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}};
    auto it = sizes.find(dtype);
    return it == sizes.end() ? 0 : it->second;
}

} // namespace

int64_t TensorInfo::elements() const {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

std::string shape_string(const std::vector<int64_t> &shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

SafetensorsFile::SafetensorsFile(std::string path) : path_(std::move(path)) {
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("cannot open {}: {}", path_, std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        fail("not a regular file: {}", path_);
    }
    const auto file_size = static_cast<size_t>(st.st_size);
    if (file_size < 8) {
        close(fd);
        fail("not a safetensors file (only {} bytes): {}", file_size, path_);
    }
    const uint8_t *bytes = nullptr;
    if (file_size <= kCopyBelowBytes) {
        contents_.resize(file_size);
        size_t done = 0;
        while (done < file_size) {
            ssize_t n = pread(fd, contents_.data() + done, file_size - done, static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                int err = n < 0 ? errno : 0;
                close(fd);
                fail("cannot read {}: {}", path_, err ? std::strerror(err) : "the file shrank while being read");
            }
            done += static_cast<size_t>(n);
        }
        close(fd);
        bytes = contents_.data();
    } else {
        map_ = mmap(nullptr, file_size, PROT_READ, MAP_PRIVATE, fd, 0);
        int err = errno;
        close(fd);
        if (map_ == MAP_FAILED) {
            map_ = nullptr;
            fail("cannot map {}: {}", path_, std::strerror(err));
        }
        map_size_ = file_size;
        map_slot_ = register_mapping(map_, map_size_, path_);
        bytes = static_cast<const uint8_t *>(map_);
    }
    try {
        parse(bytes, file_size);
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        release();
        throw;
    }
}

void SafetensorsFile::release() {
    unregister_mapping(map_slot_);
    map_slot_ = -1;
    if (map_) munmap(map_, map_size_);
    map_ = nullptr;
}

void SafetensorsFile::parse(const uint8_t *bytes, size_t file_size) {
    uint64_t header_bytes = 0;
    for (int i = 7; i >= 0; --i) header_bytes = (header_bytes << 8) | bytes[i];
    if (header_bytes > kMaxHeaderBytes || header_bytes > file_size - 8)
        fail("not a safetensors file (header length {} does not fit the file's {} bytes): {}", header_bytes,
             file_size, path_);
    const char *header_text = reinterpret_cast<const char *>(bytes + 8);
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(header_text, header_text + header_bytes);
    } catch (const nlohmann::json::exception &e) {
        fail("not a safetensors file (the header is not valid JSON: {}): {}", e.what(), path_);
    }
    if (!header.is_object()) fail("not a safetensors file (the header is not a JSON object): {}", path_);
    data_ = bytes + 8 + header_bytes;
    const uint64_t data_bytes = file_size - 8 - header_bytes;

    for (auto &[key, value] : header.items()) {
        if (key == "__metadata__") {
            if (!value.is_object()) fail("__metadata__ is not an object of strings in {}", path_);
            for (auto &[mkey, mvalue] : value.items()) {
                if (!mvalue.is_string()) fail("metadata '{}' is not a string in {}", mkey, path_);
                metadata_[mkey] = mvalue.get<std::string>();
            }
            continue;
        }
        TensorInfo info;
        info.name = key;
        // Through info.name: lambdas cannot capture structured bindings before C++20 (clang refuses).
        const auto bad = [&](const char *what) { fail("tensor '{}' in {}: {}", info.name, path_, what); };
        if (!value.is_object()) bad("the header entry is not an object");
        if (!value.contains("dtype") || !value["dtype"].is_string()) bad("no dtype");
        if (!value.contains("shape") || !value["shape"].is_array()) bad("no shape");
        if (!value.contains("data_offsets") || !value["data_offsets"].is_array() ||
            value["data_offsets"].size() != 2)
            bad("no data_offsets [begin, end]");
        info.dtype = value["dtype"].get<std::string>();
        int size = dtype_size(info.dtype);
        if (size == 0) fail("tensor '{}' in {}: unknown dtype '{}'", key, path_, info.dtype);
        uint64_t elements = 1;
        for (auto &d : value["shape"]) {
            if (!d.is_number_unsigned()) bad("a shape entry is not a non-negative integer");
            uint64_t extent = d.get<uint64_t>();
            // Shapes are int64 everywhere else; a zero extent elsewhere would let any value pass the size check.
            if (extent > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                bad("a shape entry is out of range");
            if (extent > 0 && elements > std::numeric_limits<uint64_t>::max() / 8 / extent)
                bad("the shape is impossibly large");
            elements *= extent;
            info.shape.push_back(static_cast<int64_t>(extent));
        }
        for (auto &o : value["data_offsets"])
            if (!o.is_number_unsigned()) bad("data_offsets are not non-negative integers");
        info.begin = value["data_offsets"][0].get<uint64_t>();
        info.end = value["data_offsets"][1].get<uint64_t>();
        if (info.begin > info.end || info.end > data_bytes)
            fail("tensor '{}' in {}: data_offsets [{}, {}] run past the {} bytes of data (truncated file?)",
                 key, path_, info.begin, info.end, data_bytes);
        if (info.end - info.begin != elements * static_cast<uint64_t>(size))
            fail("tensor '{}' in {}: {} {} needs {} bytes but data_offsets give {}", key, path_, info.dtype,
                 shape_string(info.shape), elements * size, info.end - info.begin);
        tensors_.push_back(std::move(info));
    }
    // The format requires the tensors to tile the data section without overlap.
    std::vector<const TensorInfo *> order;
    for (auto &t : tensors_) order.push_back(&t);
    std::sort(order.begin(), order.end(), [](auto *a, auto *b) { return a->begin < b->begin; });
    for (size_t i = 1; i < order.size(); ++i)
        if (order[i]->begin < order[i - 1]->end)
            fail("tensors '{}' and '{}' overlap in {}", order[i - 1]->name, order[i]->name, path_);
}

SafetensorsFile::~SafetensorsFile() {
    release();
}

const std::string &SafetensorsFile::metadata(const std::string &key) const {
    auto it = metadata_.find(key);
    if (it == metadata_.end()) fail("missing metadata '{}' in {}", key, path_);
    return it->second;
}

const TensorInfo *SafetensorsFile::find(const std::string &name) const {
    for (auto &t : tensors_)
        if (t.name == name) return &t;
    return nullptr;
}

const float *SafetensorsFile::f32(const std::string &name, const std::vector<int64_t> &shape) const {
    const TensorInfo *info = find(name);
    if (!info) fail("missing tensor '{}' in {}", name, path_);
    if (info->dtype != "F32") fail("tensor '{}' in {} is {}, expected F32", name, path_, info->dtype);
    bool match = info->shape.size() == shape.size();
    for (size_t i = 0; match && i < shape.size(); ++i) match = shape[i] < 0 || shape[i] == info->shape[i];
    if (!match) {
        std::string expected = "[";
        for (size_t i = 0; i < shape.size(); ++i)
            expected += (i ? ", " : "") + (shape[i] < 0 ? std::string("*") : std::to_string(shape[i]));
        fail("tensor '{}' in {} has shape {}, expected {}", name, path_, shape_string(info->shape),
             expected + "]");
    }
    const uint8_t *p = data_ + info->begin;
    if (reinterpret_cast<uintptr_t>(p) % alignof(float) == 0) return reinterpret_cast<const float *>(p);
    auto &copy = realigned_[name];
    copy.resize(static_cast<size_t>(info->elements()));
    std::memcpy(copy.data(), p, copy.size() * sizeof(float));
    return copy.data();
}

void SafetensorsWriter::add_f32(const std::string &name, const std::vector<int64_t> &shape,
                                const float *data) {
    add_f32_view(name, shape, data);
    Entry &e = entries_.back();
    e.owned.assign(data, data + e.elements);
    e.data = e.owned.data();
}

void SafetensorsWriter::add_f32_view(const std::string &name, const std::vector<int64_t> &shape,
                                     const float *data) {
    Entry e{name, shape, {}, data, 1};
    for (auto d : shape) e.elements *= static_cast<size_t>(d);
    entries_.push_back(std::move(e));
}

void SafetensorsWriter::write(const std::string &path) const {
    nlohmann::ordered_json header;
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    uint64_t offset = 0;
    for (auto &e : entries_) {
        uint64_t bytes = e.elements * sizeof(float);
        header[e.name] = {{"dtype", "F32"}, {"shape", e.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string text = header.dump();
    // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
    while ((8 + text.size()) % 8) text.push_back(' ');
    uint8_t length[8];
    uint64_t n = text.size();
    for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(n >> (8 * i));
    AtomicOutput out(path);
    out.write(length, 8);
    out.write(text.data(), text.size());
    for (auto &e : entries_) out.write(e.data, e.elements * sizeof(float));
    out.commit();
}

} // namespace causeway
