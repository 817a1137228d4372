// Reads the committed reference tables (tests/solver/reference/*.tsv) for the solver tests.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace causeway::solver::testing {

struct ReferenceTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    size_t column(const std::string &name) const {
        for (size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        throw std::runtime_error("no column " + name);
    }
    double number(size_t row, const std::string &name) const {
        const std::string &text = rows[row][column(name)];
        if (text == "NA") return std::numeric_limits<double>::quiet_NaN();
        return std::strtod(text.c_str(), nullptr);
    }
    const std::string &text(size_t row, const std::string &name) const { return rows[row][column(name)]; }
};

inline std::vector<std::string> split_tab(const std::string &line) {
    std::vector<std::string> fields;
    std::stringstream stream(line);
    std::string field;
    while (std::getline(stream, field, '\t')) fields.push_back(field);
    return fields;
}

inline ReferenceTable read_reference(const std::string &name) {
    std::string path = std::string(CAUSEWAY_SOLVER_REFERENCE_DIR) + "/" + name;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    ReferenceTable table;
    std::string line;
    std::getline(in, line);
    table.header = split_tab(line);
    while (std::getline(in, line))
        if (!line.empty()) table.rows.push_back(split_tab(line));
    return table;
}

// |a - b| <= tolerance * max(|b|, floor): relative error, with an absolute floor for values near zero.
inline bool close(double a, double b, double tolerance, double floor = 1e-300) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return std::fabs(a - b) <= tolerance * std::max(std::fabs(b), floor);
}

} // namespace causeway::solver::testing
