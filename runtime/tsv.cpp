#include "causeway/tsv.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unistd.h>
#include <unordered_set>
#include <zlib.h>

#include "causeway/error.h"

namespace causeway {

namespace {
constexpr size_t kMaxLineBytes = size_t{256} << 20;
} // namespace

void split_tabs(std::string_view line, std::vector<std::string_view> &out) {
    out.clear();
    size_t start = 0;
    while (true) {
        size_t tab = line.find('\t', start);
        if (tab == std::string_view::npos) {
            out.push_back(line.substr(start));
            return;
        }
        out.push_back(line.substr(start, tab - start));
        start = tab + 1;
    }
}

bool parse_double(std::string_view text, double &value) {
    if (text.empty() || text.size() > 64) return false;
    if (text == "NA" || text == "NaN" || text == "nan" || text == "NAN") {
        value = std::numeric_limits<double>::quiet_NaN();
        return true;
    }
    char buffer[65];
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    char *end = nullptr;
    errno = 0;
    value = std::strtod(buffer, &end);
    if (end != buffer + text.size()) return false;
    // Overflow to infinity is reported as not-a-number-we-accept; underflow to 0 is fine.
    if (errno == ERANGE && std::isinf(value)) return false;
    return true;
}

TsvReader::TsvReader(std::string path) : path_(std::move(path)) {
    gzFile gz = path_ == "-" ? gzdopen(dup(0), "rb") : gzopen(path_.c_str(), "rb");
    if (!gz) fail("cannot open {}: {}", path_, std::strerror(errno ? errno : ENOENT));
    gz_ = gz;
    gzbuffer(gz, 1 << 17);
    try {
        while (true) {
            if (!read_line()) fail("empty file, expected a header line: {}", path_);
            if (!buffer_.empty() && buffer_[0] == '#') continue;
            break;
        }
        std::vector<std::string_view> names;
        split_tabs(buffer_, names);
        std::unordered_set<std::string_view> seen; // a set: headers may run to millions of columns
        for (auto name : names) {
            if (!seen.insert(name).second)
                fail("duplicate column '{}' in the header: {}:{}", name, path_, line_);
            header_.emplace_back(name);
        }
    } catch (...) {
        // The destructor does not run for a constructor that throws.
        gzclose(gz);
        gz_ = nullptr;
        throw;
    }
}

TsvReader::~TsvReader() {
    if (gz_) gzclose(static_cast<gzFile>(gz_));
}

bool read_text_line(gzFile gz, std::string &line, const std::string &path, size_t &line_number,
                    size_t max_bytes) {
    line.clear();
    char chunk[8192];
    bool any = false;
    // gzgets ends its copy with a NUL, so a NUL in the data hides the bytes after it; comparing how far
    // the stream moved with how much strlen sees reveals it.
    z_off_t position = gztell(gz);
    while (gzgets(gz, chunk, sizeof chunk)) {
        any = true;
        const size_t n = std::strlen(chunk);
        const z_off_t moved = gztell(gz);
        if (moved - position != static_cast<z_off_t>(n))
            fail("binary data (a NUL byte) in {}:{}", path, line_number + 1);
        position = moved;
        line.append(chunk, n);
        // A corrupt file (or a gzip bomb) must not grow one line until memory runs out.
        if (line.size() > max_bytes)
            fail("line {} is longer than {} MiB (not a text file?): {}", line_number + 1, max_bytes >> 20,
                 path);
        if (n && chunk[n - 1] == '\n') break;
    }
    int errnum = 0;
    const char *message = gzerror(gz, &errnum);
    if (errnum != Z_OK && errnum != Z_STREAM_END)
        fail("cannot read {} (corrupt or truncated gzip?): {} at line {}", path, message, line_number + 1);
    if (!any) return false;
    ++line_number;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    return true;
}

bool TsvReader::read_line() {
    return read_text_line(static_cast<gzFile>(gz_), buffer_, path_, line_, kMaxLineBytes);
}

size_t TsvReader::column(std::string_view name) const {
    long i = find_column(name);
    if (i < 0) fail("missing column '{}' in the header: {}:1", name, path_);
    return static_cast<size_t>(i);
}

long TsvReader::find_column(std::string_view name) const {
    for (size_t i = 0; i < header_.size(); ++i)
        if (header_[i] == name) return static_cast<long>(i);
    return -1;
}

bool TsvReader::next() {
    while (read_line()) {
        if (buffer_.empty()) continue;
        split_tabs(buffer_, fields_);
        if (fields_.size() < header_.size())
            fail("expected {} tab-separated fields, found {}: {}:{}", header_.size(), fields_.size(), path_,
                 line_);
        return true;
    }
    return false;
}

double TsvReader::number(size_t i) const {
    double value;
    if (!parse_double(fields_[i], value)) fail("not a number: {}", where(i));
    return value;
}

std::string TsvReader::where() const {
    return fmt::format("{}:{}", path_, line_);
}

std::string TsvReader::where(size_t i) const {
    std::string_view value = fields_[i];
    if (value.size() > 40) value = value.substr(0, 40);
    return fmt::format("column '{}' ('{}') at {}:{}", i < header_.size() ? header_[i] : std::string("?"),
                       value, path_, line_);
}

} // namespace causeway
