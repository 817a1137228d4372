// The model's dataset: D.safetensors with `inputs` f32 [G, C, M, L] (log1p of -log10 p per bin) and
// `targets` f32 [G, C] (log1p TPM, NaN where unknown); metadata `cell_types` and `marks` (comma lists),
// `bin_size`, `window`; and the gene table D.genes.tsv (gene_id chrom tss strand) in the same order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "causeway/safetensors.h"

namespace causeway {

struct GeneRecord {
    std::string gene_id;
    std::string chrom;
    int64_t tss = 0;
    char strand = '+';
};

// D.safetensors -> D.genes.tsv (any other name: name + ".genes.tsv").
std::string gene_table_path(const std::string &dataset_path);

class Dataset {
public:
    // Memory-maps and validates the dataset and reads its gene table.
    explicit Dataset(const std::string &path);

    int64_t genes() const { return genes_; }
    int cells() const { return static_cast<int>(cell_types_.size()); }
    int marks() const { return static_cast<int>(marks_.size()); }
    int bins() const { return bins_; }
    const std::vector<std::string> &cell_types() const { return cell_types_; }
    const std::vector<std::string> &mark_names() const { return marks_; }
    int bin_size() const { return bin_size_; }
    int window() const { return window_; }
    const std::vector<GeneRecord> &gene_table() const { return gene_table_; }
    // Gene g's [C, M, L] block, and its C targets.
    const float *inputs(int64_t g = 0) const { return inputs_ + g * cells() * marks() * bins_; }
    const float *targets(int64_t g = 0) const { return targets_ + g * cells(); }
    const std::string &path() const { return file_->path(); }

private:
    std::unique_ptr<SafetensorsFile> file_;
    std::vector<std::string> cell_types_, marks_;
    std::vector<GeneRecord> gene_table_;
    int64_t genes_ = 0;
    int bins_ = 0, bin_size_ = 0, window_ = 0;
    const float *inputs_ = nullptr;
    const float *targets_ = nullptr;
};

struct DatasetContents {
    std::vector<std::string> cell_types, marks;
    int bins = 200, bin_size = 100, window = 10000;
    std::vector<GeneRecord> genes;
    std::vector<float> inputs;  // [G, C, M, L]
    std::vector<float> targets; // [G, C]
    std::vector<std::pair<std::string, std::string>> extra_metadata;
};

struct PecnnConfig;

// A PECNN can run on a dataset when their marks (names and order) and bins agree; otherwise an error naming
// both files.
void check_model_fits_dataset(const PecnnConfig &model, const Dataset &data, const std::string &model_path);

// Writes D.safetensors and D.genes.tsv, each atomically.
void write_dataset(const DatasetContents &contents, const std::string &path);

} // namespace causeway
