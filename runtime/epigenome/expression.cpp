#include "causeway/epigenome/expression.h"

#include <cmath>
#include <limits>

#include "causeway/epigenome/annotation.h"
#include "causeway/error.h"
#include "causeway/tsv.h"

namespace causeway::epigenome {

ExpressionTable::ExpressionTable(std::string path) : path_(std::move(path)) {
    TsvReader table(path_);
    if (table.header().empty() || table.header()[0] != "gene_id")
        fail("the first column must be 'gene_id', then one TPM column per cell type: {}:1", path_);
    const size_t columns = table.header().size();
    for (size_t i = 1; i < columns; ++i) {
        if (table.header()[i].empty())
            fail("empty cell type name in column {} of the header: {}:1", i + 1, path_);
        cell_types_.push_back(table.header()[i]);
    }
    if (cell_types_.empty()) fail("no cell type columns after 'gene_id': {}:1", path_);
    std::unordered_map<std::string, size_t> first_line;
    while (table.next()) {
        if (table.size() != columns)
            fail("expected {} tab-separated fields, found {}: {}", columns, table.size(), table.where());
        std::string id(table.field(0));
        if (id.empty()) fail("empty gene_id: {}", table.where());
        auto [it, inserted] = first_line.emplace(id, table.line());
        if (!inserted) fail("duplicate gene id '{}' (first at line {}): {}", id, it->second, table.where());
        for (size_t i = 1; i < columns; ++i) {
            if (table.field(i) == "NA") {
                tpm_.push_back(std::numeric_limits<float>::quiet_NaN());
                continue;
            }
            double value = 0;
            if (!parse_double(table.field(i), value)) fail("non-numeric TPM: {}", table.where(i));
            if (std::isnan(value)) fail("NaN TPM (write NA for an unknown value): {}", table.where(i));
            if (std::isinf(value)) fail("infinite TPM: {}", table.where(i));
            if (value < 0) fail("negative TPM: {}", table.where(i));
            tpm_.push_back(static_cast<float>(value));
        }
        const long row = static_cast<long>(gene_ids_.size());
        exact_.emplace(id, row);
        auto [u, fresh] = unversioned_.emplace(std::string(unversioned_gene_id(id)), row);
        if (!fresh) u->second = -2;
        gene_ids_.push_back(std::move(id));
    }
    if (gene_ids_.empty()) fail("no genes in the expression table: {}", path_);
}

long ExpressionTable::find(const std::string &gene_id) const {
    if (auto it = exact_.find(gene_id); it != exact_.end()) return it->second;
    std::string bare(unversioned_gene_id(gene_id));
    if (bare != gene_id)
        if (auto it = exact_.find(bare); it != exact_.end()) return it->second;
    auto it = unversioned_.find(bare);
    if (it == unversioned_.end()) return -1;
    if (it->second == -2) {
        std::string rows;
        for (const std::string &id : gene_ids_)
            if (unversioned_gene_id(id) == bare) rows += (rows.empty() ? "" : ", ") + id;
        fail("gene '{}' matches several versions in the expression table ({}): {}", gene_id, rows, path_);
    }
    return it->second;
}

} // namespace causeway::epigenome
