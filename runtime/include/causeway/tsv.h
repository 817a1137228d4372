// Tab-separated input with a header line, plain or gzip ("-" reads stdin). Every error names the file and
// the line (1-based, the header being line 1) and, where it applies, the column.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

struct gzFile_s; // zlib's gzFile

namespace causeway {

class TsvReader {
public:
    // Reads the header. Lines starting with '#' before the header are skipped.
    explicit TsvReader(std::string path);
    ~TsvReader();
    TsvReader(const TsvReader &) = delete;
    TsvReader &operator=(const TsvReader &) = delete;

    const std::string &path() const { return path_; }
    const std::vector<std::string> &header() const { return header_; }
    // Index of a column, or an error naming the file and the missing column.
    size_t column(std::string_view name) const;
    // Index of a column, or -1.
    long find_column(std::string_view name) const;

    // Next data row; false at the end. Blank lines are skipped. A row with fewer fields than the header
    // is an error.
    bool next();
    size_t line() const { return line_; }
    size_t size() const { return fields_.size(); }
    std::string_view field(size_t i) const { return fields_[i]; }

    // A field parsed as a finite or non-finite double (NA, NaN, nan, inf accepted); an error otherwise.
    double number(size_t i) const;
    // "file:line" for messages.
    std::string where() const;
    // "column 'name' ('value') at file:line" for messages.
    std::string where(size_t i) const;

private:
    bool read_line();
    std::string path_;
    void *gz_ = nullptr;
    std::string buffer_;
    std::vector<std::string> header_;
    std::vector<std::string_view> fields_;
    size_t line_ = 0;
};

// One line of a text file opened with zlib (plain or gzip), without its line ending, into `line`; false at
// the end. Advances `line_number`. Fails naming path:line on a NUL byte (gzgets would cut the line there
// and lose the rest silently), a line over `max_bytes` (a gzip bomb) or a corrupt stream.
bool read_text_line(gzFile_s *gz, std::string &line, const std::string &path, size_t &line_number,
                    size_t max_bytes = size_t{256} << 20);

// Splits on tabs into views of `line`.
void split_tabs(std::string_view line, std::vector<std::string_view> &out);
// Strict parse of a whole field as double; false if it is not a number.
bool parse_double(std::string_view text, double &value);

} // namespace causeway
