// Number and note formatting shared by the `mr` and `meta` result tables.
#pragma once

#include <cmath>
#include <string>

#include <fmt/format.h>

#include "causeway/error.h"
#include "causeway/tsv.h"

namespace causeway::solver {

// 12 significant digits (more than any comparison with R needs, stable in the last printed digit); NA
// for NaN.
inline std::string format_number(double x) {
    if (std::isnan(x)) return "NA";
    return fmt::format("{:.12g}", x);
}

// A note as one TSV field: no tabs or line breaks; NA when empty.
inline std::string format_note(std::string note) {
    if (note.empty()) return "NA";
    for (char &c : note)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return note;
}

// Parses one numeric field of an input table (an estimate, or a standard error when `is_se`); returns the
// problem, naming the file, line and column, or "" when the value is acceptable.
inline std::string check_value(const TsvReader &in, size_t column, bool is_se, double &value) {
    try {
        value = in.number(column);
    } catch (const Error &e) {
        return e.what();
    }
    const std::string &name = in.header()[column];
    if (std::isnan(value)) return fmt::format("{} is NaN/NA: {}", name, in.where(column));
    if (std::isinf(value)) return fmt::format("{} must be finite, got {}: {}", name, value, in.where(column));
    if (is_se && !(value > 0))
        return fmt::format("{} must be positive, got {}: {}", name, value, in.where(column));
    return "";
}

} // namespace causeway::solver
