// Gene annotations for causeway prepare: GTF or GFF3 (gene features; the TSS from the strand) or BED6 of
// TSSs, plain or gzip. Also the name matching shared with the tracks and the expression table.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "causeway/dataset.h"

namespace causeway::epigenome {

enum class AnnotationFormat { Gtf, Gff3, Bed };

struct Annotation {
    AnnotationFormat format = AnnotationFormat::Gtf;
    // In file order; tss is 1-based (the first transcribed base: the start on +, the end on -).
    std::vector<GeneRecord> genes;
    std::vector<size_t> lines; // the line each gene came from, for messages
};

// The format comes from the name (.gtf, .gff, .gff3, .bed, each optionally .gz), else from the content.
// Errors name the file and line: malformed lines, bad coordinates or strand, a missing gene id, duplicate
// gene ids, no genes at all.
Annotation read_annotation(const std::string &path);

std::string annotation_format_name(AnnotationFormat format);

// One key per chromosome across naming styles: "chr1" and "1" -> "1"; "chrM", "M", "MT" -> "MT".
std::string chromosome_key(std::string_view name);

// "ENSG00000141510.17" -> "ENSG00000141510"; an id without a numeric version suffix is returned as is.
std::string_view unversioned_gene_id(std::string_view id);

} // namespace causeway::epigenome
