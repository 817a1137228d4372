#include "causeway/seqcnn_labeled_regions.h"

#include <unordered_map>

#include "causeway/error.h"
#include "causeway/seqcnn_ism.h"
#include "causeway/tsv.h"

namespace causeway {

void SeqcnnLabeledRegions::one_hot(const std::vector<int64_t> &ids, size_t first, size_t count,
                                   std::vector<float> &out) const {
    out.assign(count * 4 * length, 0.f);
    for (size_t s = 0; s < count; ++s) {
        const uint8_t *codes = bases.data() + ids[first + s] * length;
        float *rows = out.data() + s * 4 * length;
        for (int x = 0; x < length; ++x)
            if (codes[x] < 4) rows[codes[x] * length + x] = 1.f;
    }
}

void SeqcnnLabeledRegions::gather_labels(const std::vector<int64_t> &ids, size_t first, size_t count,
                                         std::vector<float> &out) const {
    const size_t t = tasks.size();
    out.resize(count * t);
    for (size_t s = 0; s < count; ++s) std::copy_n(labels.data() + ids[first + s] * t, t, out.data() + s * t);
}

SeqcnnLabeledRegions seqcnn_read_labeled_regions(const std::string &fasta_path,
                                                 const std::string &regions_path,
                                                 const std::string &labels_path, int length,
                                                 const std::vector<std::string> &tasks) {
    SeqcnnLabeledRegions data;
    data.length = length;
    // The label table first: its columns decide the tasks.
    TsvReader reader(labels_path);
    const size_t region_column = reader.column("region");
    std::vector<size_t> columns;
    if (tasks.empty()) {
        for (size_t i = 0; i < reader.header().size(); ++i)
            if (i != region_column) {
                columns.push_back(i);
                data.tasks.push_back(reader.header()[i]);
            }
        if (columns.empty()) fail("the label table has no task column after 'region': {}", labels_path);
    } else {
        for (const std::string &task : tasks) columns.push_back(reader.column(task));
        data.tasks = tasks;
    }
    std::unordered_map<std::string, size_t> row_of;
    std::vector<float> table;
    std::vector<std::string> row_where;
    while (reader.next()) {
        const std::string name(reader.field(region_column));
        if (!row_of.emplace(name, row_where.size()).second)
            fail("region '{}' appears twice in the label table (again at {})", name, reader.where());
        row_where.push_back(reader.where());
        for (size_t c : columns) {
            double value = 0;
            if (!parse_double(reader.field(c), value) || (value != 0 && value != 1))
                fail("a label must be 0 or 1: {}", reader.where(c));
            table.push_back(static_cast<float>(value));
        }
    }
    if (row_of.empty()) fail("the label table has no rows: {}", labels_path);

    IndexedFasta fasta(fasta_path);
    const std::vector<IsmRegion> regions = seqcnn_ism_regions(regions_path, fasta, length);
    std::unordered_map<std::string, std::string> seen;
    const size_t t = data.tasks.size();
    data.bases.reserve(regions.size() * length);
    data.labels.reserve(regions.size() * t);
    for (const IsmRegion &region : regions) {
        auto [it, fresh] = seen.emplace(region.name, region.where);
        if (!fresh)
            fail(
                "region name '{}' appears twice in the regions (first at {}), so labels cannot be joined: {}",
                region.name, it->second, region.where);
        auto row = row_of.find(region.name);
        if (row == row_of.end())
            fail("region '{}' ({}) has no row in the label table {} (joined on the BED name column)",
                 region.name, region.where, labels_path);
        data.labels.insert(data.labels.end(), table.begin() + row->second * t,
                           table.begin() + (row->second + 1) * t);
        data.names.push_back(region.name);
        data.chroms.push_back(region.chrom);
        const std::string bases = fasta.fetch(region.chrom, region.start, region.start + length);
        for (char b : bases) data.bases.push_back(static_cast<uint8_t>(seqcnn_base_code(b)));
    }
    return data;
}

} // namespace causeway
