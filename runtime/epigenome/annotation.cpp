#include "causeway/epigenome/annotation.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <zlib.h>

#include "causeway/error.h"
#include "causeway/tsv.h"

namespace causeway::epigenome {

std::string chromosome_key(std::string_view name) {
    if (name.size() > 3 && name.substr(0, 3) == "chr") name.remove_prefix(3);
    if (name == "M") return "MT";
    return std::string(name);
}

std::string_view unversioned_gene_id(std::string_view id) {
    size_t dot = id.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == id.size()) return id;
    for (size_t i = dot + 1; i < id.size(); ++i)
        if (id[i] < '0' || id[i] > '9') return id;
    return id.substr(0, dot);
}

std::string annotation_format_name(AnnotationFormat format) {
    switch (format) {
    case AnnotationFormat::Gtf:
        return "GTF";
    case AnnotationFormat::Gff3:
        return "GFF3";
    case AnnotationFormat::Bed:
        return "BED";
    }
    return "?";
}

namespace {

// Lines of a plain or gzip file (zlib reads both), without the newline.
class LineReader {
public:
    explicit LineReader(const std::string &path) : path_(path) {
        errno = 0;
        gz_ = gzopen(path.c_str(), "rb");
        if (!gz_) fail("cannot open {}: {}", path, std::strerror(errno ? errno : ENOENT));
        gzbuffer(gz_, 1 << 17);
    }
    ~LineReader() { gzclose(gz_); }
    bool next(std::string &line) { return read_text_line(gz_, line, path_, line_); }
    size_t line() const { return line_; }

private:
    std::string path_;
    gzFile gz_ = nullptr;
    size_t line_ = 0;
};

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool format_from_name(std::string_view path, AnnotationFormat &format) {
    if (ends_with(path, ".gz")) path.remove_suffix(3);
    if (ends_with(path, ".gtf"))
        format = AnnotationFormat::Gtf;
    else if (ends_with(path, ".gff3") || ends_with(path, ".gff"))
        format = AnnotationFormat::Gff3;
    else if (ends_with(path, ".bed"))
        format = AnnotationFormat::Bed;
    else
        return false;
    return true;
}

bool is_skipped(std::string_view line) {
    return line.empty() || line[0] == '#' || line.substr(0, 6) == "track " || line.substr(0, 8) == "browser ";
}

// A format guessed from the first data line: nine columns with key "value" attributes is GTF, with
// key=value GFF3; six or more BED.
AnnotationFormat format_from_content(const std::string &path) {
    LineReader reader(path);
    std::string line;
    std::vector<std::string_view> fields;
    while (reader.next(line)) {
        if (line.rfind("##gff-version 3", 0) == 0) return AnnotationFormat::Gff3;
        if (is_skipped(line)) continue;
        split_tabs(line, fields);
        if (fields.size() == 9 && fields[8].find('"') != std::string_view::npos) return AnnotationFormat::Gtf;
        if (fields.size() == 9 && fields[8].find('=') != std::string_view::npos)
            return AnnotationFormat::Gff3;
        if (fields.size() >= 6) return AnnotationFormat::Bed;
        fail("cannot tell the annotation format (expected GTF, GFF3 or BED6; name the file .gtf, .gff3 or "
             ".bed): "
             "{}:{}",
             path, reader.line());
    }
    fail("no genes in the annotation (empty file): {}", path);
}

int64_t parse_position(std::string_view text, const char *what, const std::string &path, size_t line) {
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > (int64_t(1) << 40))
        fail("{} must be a non-negative integer, got '{}': {}:{}", what, text, path, line);
    return value;
}

// GTF: gene_id "X"; GFF3: gene_id=X, else ID=X (Ensembl's "gene:" prefix dropped).
std::string attribute_gene_id(std::string_view attributes, AnnotationFormat format) {
    auto value_of = [&](std::string_view key, char separator) -> std::string {
        size_t pos = 0;
        while (pos < attributes.size()) {
            size_t end = attributes.find(';', pos);
            if (end == std::string_view::npos) end = attributes.size();
            std::string_view item = attributes.substr(pos, end - pos);
            while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
            if (item.size() > key.size() && item.substr(0, key.size()) == key &&
                item[key.size()] == separator) {
                std::string_view value = item.substr(key.size() + 1);
                while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
                while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
                if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                    value = value.substr(1, value.size() - 2);
                return std::string(value);
            }
            pos = end + 1;
        }
        return {};
    };
    if (format == AnnotationFormat::Gtf) return value_of("gene_id", ' ');
    std::string id = value_of("gene_id", '=');
    if (id.empty()) {
        id = value_of("ID", '=');
        if (id.rfind("gene:", 0) == 0) id.erase(0, 5);
    }
    return id;
}

bool is_gene_feature(std::string_view type, AnnotationFormat format) {
    if (type == "gene") return true;
    // Ensembl's GFF3 types genes by biotype class.
    return format == AnnotationFormat::Gff3 && (ends_with(type, "_gene") || type == "pseudogene");
}

} // namespace

Annotation read_annotation(const std::string &path) {
    Annotation annotation;
    if (!format_from_name(path, annotation.format)) annotation.format = format_from_content(path);
    const AnnotationFormat format = annotation.format;
    LineReader reader(path);
    std::string line;
    std::vector<std::string_view> fields;
    std::unordered_map<std::string, size_t> seen;
    while (reader.next(line)) {
        if (is_skipped(line)) continue;
        if (format == AnnotationFormat::Gff3 && line == "##FASTA") break;
        split_tabs(line, fields);
        GeneRecord gene;
        const size_t at = reader.line();
        if (format == AnnotationFormat::Bed) {
            if (fields.size() < 6)
                fail("a BED6 line needs 6 tab-separated fields (chrom start end name score strand), found "
                     "{}: {}:{}",
                     fields.size(), path, at);
            int64_t start = parse_position(fields[1], "BED start", path, at);
            int64_t end = parse_position(fields[2], "BED end", path, at);
            if (end <= start) fail("BED end {} must exceed start {}: {}:{}", end, start, path, at);
            gene.gene_id = std::string(fields[3]);
            if (fields[5] != "+" && fields[5] != "-")
                fail("strand must be + or -, got '{}': {}:{}", fields[5], path, at);
            gene.strand = fields[5][0];
            // BED is 0-based half-open: the first base of + is start + 1 (1-based), of - it is end.
            gene.tss = gene.strand == '+' ? start + 1 : end;
        } else {
            if (fields.size() != 9)
                fail("a {} line needs 9 tab-separated fields, found {}: {}:{}",
                     annotation_format_name(format), fields.size(), path, at);
            if (!is_gene_feature(fields[2], format)) continue;
            int64_t start = parse_position(fields[3], "start", path, at);
            int64_t end = parse_position(fields[4], "end", path, at);
            if (start < 1 || end < start)
                fail("bad gene coordinates {}..{}: {}:{}", fields[3], fields[4], path, at);
            if (fields[6] != "+" && fields[6] != "-")
                fail("gene strand must be + or - (the TSS depends on it), got '{}': {}:{}", fields[6], path,
                     at);
            gene.strand = fields[6][0];
            gene.tss = gene.strand == '+' ? start : end;
            gene.gene_id = attribute_gene_id(fields[8], format);
            if (gene.gene_id.empty())
                fail("gene line without a gene id ({}): {}:{}",
                     format == AnnotationFormat::Gtf ? "gene_id \"...\"" : "gene_id= or ID=", path, at);
        }
        gene.chrom = std::string(fields[0]);
        if (gene.chrom.empty()) fail("empty chromosome name: {}:{}", path, at);
        if (gene.gene_id.empty() || gene.gene_id.find_first_of(" \t") != std::string::npos)
            fail("bad gene id '{}': {}:{}", gene.gene_id, path, at);
        auto [it, inserted] = seen.emplace(gene.gene_id, at);
        if (!inserted)
            fail("duplicate gene id '{}' (first at line {}): {}:{}", gene.gene_id, it->second, path, at);
        annotation.genes.push_back(std::move(gene));
        annotation.lines.push_back(at);
    }
    if (annotation.genes.empty()) {
        if (format != AnnotationFormat::Bed)
            fail("no 'gene' features in the {} annotation: {}", annotation_format_name(format), path);
        fail("no genes in the annotation: {}", path);
    }
    return annotation;
}

} // namespace causeway::epigenome
