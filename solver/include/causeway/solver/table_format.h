// Number and note formatting shared by the `mr` and `meta` result tables.
#pragma once

#include <cmath>
#include <string>

#include <fmt/format.h>

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

} // namespace causeway::solver
