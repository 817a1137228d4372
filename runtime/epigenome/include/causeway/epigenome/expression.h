// Expression tables for causeway prepare: TSV (plain or gzip), `gene_id` then one TPM column per cell
// type. Gene ids may carry versions (ENSG...5) and are matched with and without them.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

namespace causeway::epigenome {

class ExpressionTable {
public:
    // Reads and checks the table: TPM must be numbers >= 0 ("NA" marks an unknown value, kept as NaN;
    // NaN, infinities, negative or non-numeric values are errors naming the file, line and column);
    // gene ids unique; at least one cell type column.
    explicit ExpressionTable(std::string path);

    const std::string &path() const { return path_; }
    const std::vector<std::string> &cell_types() const { return cell_types_; }
    size_t genes() const { return gene_ids_.size(); }
    const std::string &gene_id(size_t row) const { return gene_ids_[row]; }
    // TPM of a row in cell type column `cell` (NaN where "NA").
    float tpm(size_t row, size_t cell) const { return tpm_[row * cell_types_.size() + cell]; }
    // The row of an annotation gene id: the same id, else the same id without its version on either side;
    // -1 if none. An unversioned id shared by several rows is an error naming them.
    long find(const std::string &gene_id) const;

private:
    std::string path_;
    std::vector<std::string> cell_types_, gene_ids_;
    std::vector<float> tpm_;
    std::unordered_map<std::string, long> exact_;
    std::unordered_map<std::string, long> unversioned_; // -2: shared by several rows
};

} // namespace causeway::epigenome
