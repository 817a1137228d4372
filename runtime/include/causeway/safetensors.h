// safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the raw little-endian data. Reads are
// validated in full before any tensor is handed out; writes are atomic. Files up to 64 MiB (models, small
// datasets) are read into memory, so that a later change on disk cannot touch them; larger ones are
// memory-mapped and registered (atomic_output.h), so that a truncation while mapped stops the process with
// a message naming the file instead of a crash.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace causeway {

struct TensorInfo {
    std::string name;
    std::string dtype; // "F32", "F64", "I64", ... as in the header
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0; // byte offsets into the data section
    int64_t elements() const;
};

std::string shape_string(const std::vector<int64_t> &shape);

class SafetensorsFile {
public:
    explicit SafetensorsFile(std::string path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile &) = delete;
    SafetensorsFile &operator=(const SafetensorsFile &) = delete;

    const std::string &path() const { return path_; }
    const std::map<std::string, std::string> &metadata() const { return metadata_; }
    // A metadata value, or an error naming the file and the missing key.
    const std::string &metadata(const std::string &key) const;
    const std::vector<TensorInfo> &tensors() const { return tensors_; }
    const TensorInfo *find(const std::string &name) const;
    // An F32 tensor of exactly `shape` (-1 matches any extent); errors name the file and the tensor.
    const float *f32(const std::string &name, const std::vector<int64_t> &shape) const;

private:
    void parse(const uint8_t *bytes, size_t file_size);
    void release();
    std::string path_;
    void *map_ = nullptr; // large files
    size_t map_size_ = 0;
    int map_slot_ = -1;
    std::vector<uint8_t> contents_; // small files
    const uint8_t *data_ = nullptr;
    std::map<std::string, std::string> metadata_;
    std::vector<TensorInfo> tensors_;
    mutable std::map<std::string, std::vector<float>> realigned_;
};

class SafetensorsWriter {
public:
    // Copies the data.
    void add_f32(const std::string &name, const std::vector<int64_t> &shape, const float *data);
    // Does not copy: `data` must stay valid until write() (datasets run to gigabytes).
    void add_f32_view(const std::string &name, const std::vector<int64_t> &shape, const float *data);
    void set_metadata(const std::string &key, const std::string &value) { metadata_[key] = value; }
    // Writes atomically (temporary file, then rename).
    void write(const std::string &path) const;

private:
    struct Entry {
        std::string name;
        std::vector<int64_t> shape;
        std::vector<float> owned;
        const float *data = nullptr;
        size_t elements = 0;
    };
    std::vector<Entry> entries_;
    std::map<std::string, std::string> metadata_;
};

} // namespace causeway
