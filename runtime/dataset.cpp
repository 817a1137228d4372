#include "causeway/dataset.h"

#include <cmath>
#include <cstddef>
#include <set>
#include <unistd.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/tsv.h"

namespace causeway {

std::string gene_table_path(const std::string &dataset_path) {
    const std::string suffix = ".safetensors";
    if (dataset_path.size() > suffix.size() &&
        dataset_path.compare(dataset_path.size() - suffix.size(), suffix.size(), suffix) == 0)
        return dataset_path.substr(0, dataset_path.size() - suffix.size()) + ".genes.tsv";
    return dataset_path + ".genes.tsv";
}

namespace {

int metadata_int(const SafetensorsFile &file, const std::string &key, int min_value) {
    const std::string &text = file.metadata(key);
    size_t used = 0;
    long value = 0;
    try {
        value = std::stol(text, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (used == 0 || used != text.size() || value < min_value || value > 1000000000)
        fail("metadata '{}' must be an integer >= {}, got '{}' in {}", key, min_value, text, file.path());
    return static_cast<int>(value);
}

std::vector<std::string> metadata_list(const SafetensorsFile &file, const std::string &key) {
    auto items = split_list(file.metadata(key));
    if (items.empty()) fail("metadata '{}' is empty in {}", key, file.path());
    std::set<std::string> seen;
    for (auto &item : items) {
        if (item.empty()) fail("metadata '{}' has an empty entry in {}", key, file.path());
        if (!seen.insert(item).second) fail("metadata '{}' lists '{}' twice in {}", key, item, file.path());
    }
    return items;
}

} // namespace

Dataset::Dataset(const std::string &path) : file_(std::make_unique<SafetensorsFile>(path)) {
    cell_types_ = metadata_list(*file_, "cell_types");
    marks_ = metadata_list(*file_, "marks");
    bin_size_ = metadata_int(*file_, "bin_size", 1);
    window_ = metadata_int(*file_, "window", 0);
    const TensorInfo *inputs = file_->find("inputs");
    if (!inputs) fail("missing tensor 'inputs' in {}", path);
    if (inputs->shape.size() != 4)
        fail("tensor 'inputs' in {} has shape {}, expected [genes, cell types, marks, bins]", path,
             shape_string(inputs->shape));
    genes_ = inputs->shape[0];
    bins_ = static_cast<int>(inputs->shape[3]);
    if (inputs->shape[1] != cells())
        fail("tensor 'inputs' in {} has {} cell types but metadata 'cell_types' lists {}", path,
             inputs->shape[1], cells());
    if (inputs->shape[2] != marks())
        fail("tensor 'inputs' in {} has {} marks but metadata 'marks' lists {}", path, inputs->shape[2],
             marks());
    if (genes_ == 0) fail("tensor 'inputs' in {} holds no genes", path);
    inputs_ = file_->f32("inputs", {genes_, cells(), marks(), bins_});
    targets_ = file_->f32("targets", {genes_, cells()});
    const int64_t block = static_cast<int64_t>(cells()) * marks() * bins_;
    for (int64_t i = 0; i < genes_ * block; ++i)
        if (!std::isfinite(inputs_[i]))
            fail("tensor 'inputs' in {} has a non-finite value at gene {}, cell type {}, mark {}, bin {}",
                 path, i / block + 1, i / (static_cast<int64_t>(marks()) * bins_) % cells() + 1,
                 i / bins_ % marks() + 1, i % bins_ + 1);

    TsvReader table(gene_table_path(path));
    size_t id = table.column("gene_id"), chrom = table.column("chrom"), tss = table.column("tss"),
           strand = table.column("strand");
    std::set<std::string> ids;
    while (table.next()) {
        GeneRecord g;
        g.gene_id = std::string(table.field(id));
        g.chrom = std::string(table.field(chrom));
        double position = table.number(tss);
        // 2^53: beyond it doubles skip integers, and the cast to int64 must stay defined.
        if (!(position >= 0) || position != std::floor(position) || position > 9007199254740992.0)
            fail("tss must be a non-negative integer: {}", table.where(tss));
        g.tss = static_cast<int64_t>(position);
        auto s = table.field(strand);
        if (s != "+" && s != "-") fail("strand must be + or -: {}", table.where(strand));
        g.strand = s[0];
        if (g.gene_id.empty()) fail("empty gene_id: {}", table.where(id));
        if (!ids.insert(g.gene_id).second) fail("duplicate gene_id '{}': {}", g.gene_id, table.where(id));
        gene_table_.push_back(std::move(g));
    }
    if (static_cast<int64_t>(gene_table_.size()) != genes_)
        fail("{} lists {} genes but tensor 'inputs' in {} holds {}", table.path(), gene_table_.size(), path,
             genes_);
}

void check_model_fits_dataset(const PecnnConfig &model, const Dataset &data, const std::string &model_path) {
    if (data.mark_names() != model.marks)
        fail("the dataset's marks ({}) differ from the model's ({}): {} vs {}", join_list(data.mark_names()),
             join_list(model.marks), data.path(), model_path);
    if (data.bins() != model.bins)
        fail("the dataset has {} bins per window but the model expects {}: {} vs {}", data.bins(), model.bins,
             data.path(), model_path);
}

void write_dataset(const DatasetContents &c, const std::string &path) {
    const auto genes = static_cast<int64_t>(c.genes.size());
    const auto cells = static_cast<int64_t>(c.cell_types.size()),
               marks = static_cast<int64_t>(c.marks.size());
    if (static_cast<int64_t>(c.inputs.size()) != genes * cells * marks * c.bins)
        fail("internal: dataset inputs hold {} values, expected {}", c.inputs.size(),
             genes * cells * marks * c.bins);
    if (static_cast<int64_t>(c.targets.size()) != genes * cells)
        fail("internal: dataset targets hold {} values, expected {}", c.targets.size(), genes * cells);
    SafetensorsWriter writer;
    writer.set_metadata("cell_types", join_list(c.cell_types));
    writer.set_metadata("marks", join_list(c.marks));
    writer.set_metadata("bin_size", std::to_string(c.bin_size));
    writer.set_metadata("window", std::to_string(c.window));
    for (auto &[k, v] : c.extra_metadata) writer.set_metadata(k, v);
    writer.add_f32_view("inputs", {genes, cells, marks, c.bins}, c.inputs.data());
    writer.add_f32_view("targets", {genes, cells}, c.targets.data());
    // Both files or neither: the table waits in its temporary file while the tensors are written (a
    // failure there removes it), and a failure committing it removes the new tensors again.
    AtomicOutput table(gene_table_path(path));
    table.print("gene_id\tchrom\ttss\tstrand\n");
    for (auto &g : c.genes) table.print("{}\t{}\t{}\t{}\n", g.gene_id, g.chrom, g.tss, g.strand);
    writer.write(path);
    try {
        table.commit();
    } catch (const Error &) {
        unlink(path.c_str());
        throw;
    }
}

} // namespace causeway
