#include "causeway/epigenome/prepare.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <unistd.h>
#include <unordered_map>

#include "causeway/dataset.h"
#include "causeway/epigenome/annotation.h"
#include "causeway/epigenome/bigwig.h"
#include "causeway/epigenome/expression.h"
#include "causeway/error.h"
#include "causeway/tsv.h"
#include "parallel.h"

namespace causeway::epigenome {

Imputation parse_imputation(const std::string &text) {
    if (text == "none") return Imputation::None;
    if (text == "mean-of-cells") return Imputation::MeanOfCells;
    fail("--impute must be none or mean-of-cells, got '{}'", text);
}

std::string imputation_name(Imputation imputation) {
    return imputation == Imputation::None ? "none" : "mean-of-cells";
}

std::vector<TrackSpec> read_track_manifest(const std::string &path) {
    TsvReader table(path);
    const size_t cell = table.column("cell_type"), mark = table.column("mark"), file = table.column("path");
    std::string folder;
    if (path != "-" && path.find('/') != std::string::npos) folder = path.substr(0, path.rfind('/') + 1);
    std::vector<TrackSpec> tracks;
    std::map<std::pair<std::string, std::string>, size_t> seen;
    while (table.next()) {
        TrackSpec track;
        track.cell_type = std::string(table.field(cell));
        track.mark = std::string(table.field(mark));
        track.path = std::string(table.field(file));
        track.line = table.line();
        if (track.cell_type.empty()) fail("empty cell_type: {}", table.where());
        if (track.mark.empty()) fail("empty mark: {}", table.where());
        if (track.path.empty()) fail("empty path: {}", table.where());
        if (track.cell_type.find(',') != std::string::npos || track.mark.find(',') != std::string::npos)
            fail("cell type and mark names cannot contain ',': {}", table.where());
        if (track.path[0] != '/') track.path = folder + track.path;
        auto [it, inserted] = seen.emplace(std::make_pair(track.cell_type, track.mark), track.line);
        if (!inserted)
            fail("cell type '{}' and mark '{}' listed twice (first at line {}): {}", track.cell_type,
                 track.mark, it->second, table.where());
        tracks.push_back(std::move(track));
    }
    if (tracks.empty()) fail("no tracks in the manifest: {}", path);
    return tracks;
}

namespace {

// A gene kept for the dataset, with its window in genomic coordinates.
struct WindowedGene {
    size_t row = 0;           // in the dataset
    std::string key;          // chromosome key
    int64_t window_start = 0; // 0-based; may be negative near a chromosome start
    bool reverse = false;
};

// Adds the mean of each bin over [window_start, window_start + bins * bin_size) to `out`, reversed on the
// minus strand. `intervals` are sorted and do not overlap; bases they do not cover count as 0.
void bin_window(const std::vector<SignalInterval> &intervals, int64_t window_start, int bin_size, int bins,
                bool reverse, float *out, std::vector<double> &sums) {
    const int64_t window_end = window_start + static_cast<int64_t>(bin_size) * bins;
    sums.assign(static_cast<size_t>(bins), 0.0);
    auto first =
        std::partition_point(intervals.begin(), intervals.end(), [&](const SignalInterval &interval) {
            return static_cast<int64_t>(interval.end) <= window_start;
        });
    for (auto it = first; it != intervals.end() && static_cast<int64_t>(it->start) < window_end; ++it) {
        int64_t start = std::max<int64_t>(it->start, window_start) - window_start;
        int64_t end = std::min<int64_t>(it->end, window_end) - window_start;
        int64_t bin = start / bin_size;
        while (start < end) {
            int64_t bin_end = std::min<int64_t>((bin + 1) * bin_size, end);
            sums[static_cast<size_t>(bin)] +=
                static_cast<double>(it->value) * static_cast<double>(bin_end - start);
            start = bin_end;
            ++bin;
        }
    }
    for (int i = 0; i < bins; ++i)
        out[reverse ? bins - 1 - i : i] = static_cast<float>(sums[static_cast<size_t>(i)] / bin_size);
}

// Buffers reused from region to region.
struct RegionScratch {
    std::vector<const BigWigReader::Block *> blocks;
    std::vector<double> sums; // windows x bins
    std::vector<int64_t> cursors;
    std::vector<SignalInterval> intervals;
};

// The windows of one region (sorted by start, all `span` long) binned in one pass over the region's
// decoded blocks, as bin_window would bin each from BigWigReader::read's copy: every interval overlapping
// [start, end) is checked as read checks it, and adds to the bins of the windows it overlaps in the same
// order, so the sums are the same to the bit. That holds while starts and ends never decrease (then read
// would not sort, and bin_window's search finds the first interval ending inside the window); otherwise
// this returns false, having written nothing, and the caller takes the reference path.
bool sweep_region(BigWigReader &reader, const std::string &chrom, uint32_t start, uint32_t end,
                  const WindowedGene *const *windows, size_t count, int bin_size, int bins,
                  const std::function<float *(const WindowedGene &)> &output, RegionScratch &scratch,
                  int64_t &intervals_used) {
    const int64_t span = static_cast<int64_t>(bin_size) * bins;
    scratch.sums.assign(count * static_cast<size_t>(bins), 0.0);
    // Each window's bin holding the start of its latest interval: starts never decrease, so it only moves
    // forward, in place of a division per interval.
    scratch.cursors.assign(count, 0);
    reader.blocks(chrom, start, end, scratch.blocks);
    uint32_t last_start = 0, last_end = 0;
    int64_t used = 0;
    size_t first = 0; // the first window that does not end before the current interval
    // Adds one interval overlapping [start, end); false when it is out of order.
    auto add = [&](const SignalInterval &interval) {
        if (!BigWigReader::valid(interval)) reader.reject(interval, chrom);
        if (interval.start < last_start || interval.end < last_end) return false;
        last_start = interval.start;
        last_end = interval.end;
        ++used;
        while (first < count && windows[first]->window_start + span <= interval.start) ++first;
        const auto value = static_cast<double>(interval.value);
        for (size_t g = first; g < count && windows[g]->window_start < interval.end; ++g) {
            const int64_t window_start = windows[g]->window_start;
            double *sums = &scratch.sums[g * static_cast<size_t>(bins)];
            int64_t from = std::max<int64_t>(interval.start, window_start) - window_start;
            const int64_t to = std::min<int64_t>(interval.end, window_start + span) - window_start;
            int64_t bin = scratch.cursors[g], bin_end = (bin + 1) * bin_size;
            while (bin_end <= from) {
                ++bin;
                bin_end += bin_size;
            }
            scratch.cursors[g] = bin;
            // As bin_window: each bin adds value x (the bases of the interval in it).
            while (from < to) {
                const int64_t stop = std::min(bin_end, to);
                sums[bin] += value * static_cast<double>(stop - from);
                from = stop;
                ++bin;
                bin_end += bin_size;
            }
        }
        return true;
    };
    for (const BigWigReader::Block *block : scratch.blocks) {
        if (block->ordered == 1) {
            // Starts and ends never decrease: the overlapping intervals are one run, found by bisection
            // (a sparse block spanning megabases serves hundreds of regions).
            const SignalInterval *from = std::partition_point(
                block->begin(), block->end(), [&](const SignalInterval &i) { return i.end <= start; });
            for (; from != block->end() && from->start < end; ++from)
                if (!add(*from)) return false;
            continue;
        }
        for (const SignalInterval &interval : *block)
            if (interval.end > start && interval.start < end && !add(interval)) return false;
    }
    for (size_t g = 0; g < count; ++g) {
        const double *sums = &scratch.sums[g * static_cast<size_t>(bins)];
        float *out = output(*windows[g]);
        const bool reverse = windows[g]->reverse;
        for (int i = 0; i < bins; ++i)
            out[reverse ? bins - 1 - i : i] = static_cast<float>(sums[i] / bin_size);
    }
    intervals_used += used;
    return true;
}

// One track's work: its reader, its place in the [G, C, M, L] tensor and its chromosome names by key.
struct TrackJob {
    const TrackSpec *spec = nullptr;
    int cell = 0, mark = 0;
    std::unique_ptr<BigWigReader> reader;
    std::unordered_map<std::string, ChromosomeLength> chromosomes; // by key
};

std::string track_name(const TrackSpec &spec) {
    return fmt::format("track {} {} ({}, manifest line {})", spec.cell_type, spec.mark, spec.path, spec.line);
}

} // namespace

PrepareSummary prepare_dataset(const PrepareOptions &o) {
    if (o.bin_size < 1) fail("--bin-size must be at least 1, got {}", o.bin_size);
    if (o.window < o.bin_size || o.window % o.bin_size != 0)
        fail("--window ({}) must be a positive multiple of --bin-size ({})", o.window, o.bin_size);
    if (o.marks.empty()) fail("--marks is empty");
    const int bins = 2 * o.window / o.bin_size;

    // Inputs, checked before any heavy work.
    std::vector<TrackSpec> tracks = read_track_manifest(o.manifest);
    ExpressionTable expression(o.expression);
    Annotation annotation = read_annotation(o.annotation);
    const std::vector<std::string> &cell_types = expression.cell_types();
    const int cells = static_cast<int>(cell_types.size()), marks = static_cast<int>(o.marks.size());
    std::set<std::string> mark_set(o.marks.begin(), o.marks.end());
    if (mark_set.size() != o.marks.size()) fail("--marks lists a mark twice: {}", join_list(o.marks));

    std::vector<int> track_of(static_cast<size_t>(cells) * marks, -1); // [cell, mark] -> index in tracks
    for (size_t t = 0; t < tracks.size(); ++t) {
        const TrackSpec &spec = tracks[t];
        auto cell = std::find(cell_types.begin(), cell_types.end(), spec.cell_type);
        if (cell == cell_types.end())
            fail("cell type '{}' has no column in the expression table {} (its columns: {}): {}:{}",
                 spec.cell_type, expression.path(), join_list(cell_types), o.manifest, spec.line);
        auto mark = std::find(o.marks.begin(), o.marks.end(), spec.mark);
        if (mark == o.marks.end())
            fail("mark '{}' is not among the dataset's marks ({}; see --marks): {}:{}", spec.mark,
                 join_list(o.marks), o.manifest, spec.line);
        track_of[static_cast<size_t>((cell - cell_types.begin()) * marks + (mark - o.marks.begin()))] =
            static_cast<int>(t);
        if (access(spec.path.c_str(), R_OK) != 0)
            fail("cannot read {}: {}", track_name(spec), std::strerror(errno));
    }
    PrepareSummary summary;
    for (int c = 0; c < cells; ++c) {
        bool any = false;
        for (int m = 0; m < marks; ++m) any = any || track_of[static_cast<size_t>(c) * marks + m] >= 0;
        if (!any)
            fail("cell type '{}' of the expression table {} has no tracks in the manifest {}", cell_types[c],
                 expression.path(), o.manifest);
    }
    // Imputation sources: the cell types that have each mark.
    std::vector<std::vector<int>> donors(static_cast<size_t>(marks));
    for (int m = 0; m < marks; ++m)
        for (int c = 0; c < cells; ++c)
            if (track_of[static_cast<size_t>(c) * marks + m] >= 0)
                donors[static_cast<size_t>(m)].push_back(c);
    for (int c = 0; c < cells; ++c)
        for (int m = 0; m < marks; ++m) {
            if (track_of[static_cast<size_t>(c) * marks + m] >= 0) continue;
            if (o.impute == Imputation::None)
                fail("no track for cell type '{}' and mark '{}' in the manifest {} (supply one, for instance "
                     "an "
                     "Avocado imputation, or use --impute mean-of-cells)",
                     cell_types[c], o.marks[m], o.manifest);
            if (donors[static_cast<size_t>(m)].empty())
                fail("no track for mark '{}' in any cell type of the manifest {}: nothing to impute it from",
                     o.marks[m], o.manifest);
            summary.imputed.push_back(cell_types[c] + "/" + o.marks[m]);
        }

    // Open every track (structure checked) before reading any.
    std::vector<TrackJob> jobs;
    for (int c = 0; c < cells; ++c)
        for (int m = 0; m < marks; ++m) {
            int t = track_of[static_cast<size_t>(c) * marks + m];
            if (t < 0) continue;
            TrackJob job;
            job.spec = &tracks[static_cast<size_t>(t)];
            job.cell = c;
            job.mark = m;
            try {
                job.reader = std::make_unique<BigWigReader>(job.spec->path);
            } catch (const Error &e) {
                fail("{}: {}", track_name(*job.spec), e.what());
            }
            for (auto &chrom : job.reader->chromosomes())
                job.chromosomes.emplace(chromosome_key(chrom.name), chrom);
            jobs.push_back(std::move(job));
        }

    // The genes: in the --chroms, with an expression row, on a chromosome every track has.
    std::set<std::string> wanted;
    for (auto &name : o.chroms) wanted.insert(chromosome_key(name));
    std::set<std::string> annotated;
    for (auto &gene : annotation.genes) annotated.insert(chromosome_key(gene.chrom));
    for (auto &name : o.chroms)
        if (!annotated.count(chromosome_key(name)))
            fail("--chroms: no gene of the annotation {} lies on '{}'", o.annotation, name);
    DatasetContents dataset;
    std::vector<long> expression_rows;
    std::vector<WindowedGene> windows;
    size_t without_expression = 0;
    std::map<std::string, std::pair<size_t, std::vector<std::string>>>
        missing_chromosomes; // name -> genes, tracks
    for (size_t i = 0; i < annotation.genes.size(); ++i) {
        const GeneRecord &gene = annotation.genes[i];
        std::string key = chromosome_key(gene.chrom);
        if (!wanted.empty() && !wanted.count(key)) continue;
        long row = expression.find(gene.gene_id);
        if (row < 0) {
            ++without_expression;
            continue;
        }
        std::vector<std::string> lacking;
        for (auto &job : jobs) {
            auto chrom = job.chromosomes.find(key);
            if (chrom == job.chromosomes.end()) {
                lacking.push_back(job.spec->cell_type + "/" + job.spec->mark);
                continue;
            }
            if (gene.tss > chrom->second.length)
                fail("gene '{}' has its TSS at {}:{}, beyond the end of {} ({} bases) in {} (a different "
                     "genome "
                     "assembly?): {}:{}",
                     gene.gene_id, gene.chrom, gene.tss, chrom->second.name, chrom->second.length,
                     track_name(*job.spec), o.annotation, annotation.lines[i]);
        }
        if (!lacking.empty()) {
            auto &entry = missing_chromosomes[gene.chrom];
            ++entry.first;
            entry.second = lacking;
            continue;
        }
        WindowedGene window;
        window.row = dataset.genes.size();
        window.key = key;
        window.reverse = gene.strand == '-';
        // 0-based TSS base p: + covers [p - W, p + W); - covers [p + 1 - W, p + 1 + W), mirrored, so the
        // TSS base opens bin W / bin_size on both strands.
        const int64_t p = gene.tss - 1;
        window.window_start = window.reverse ? p + 1 - o.window : p - o.window;
        windows.push_back(window);
        expression_rows.push_back(row);
        dataset.genes.push_back(gene);
    }
    for (auto &[name, entry] : missing_chromosomes) {
        const auto &lacking = entry.second;
        std::string which =
            lacking.size() == jobs.size()
                ? std::string("every track")
                : fmt::format("{} track{} ({}{})", lacking.size(), lacking.size() == 1 ? "" : "s", lacking[0],
                              lacking.size() > 1 ? ", ..." : "");
        summary.notes.push_back(fmt::format("skipped {} gene{} on {}, a chromosome absent from {}",
                                            entry.first, entry.first == 1 ? "" : "s", name, which));
    }
    if (without_expression)
        summary.notes.push_back(fmt::format("skipped {} annotated gene{} without a row in {}",
                                            without_expression, without_expression == 1 ? "" : "s",
                                            o.expression));
    if (dataset.genes.empty())
        fail("no genes left: none of the {} genes of {} has an expression row in {} on a chromosome every "
             "track "
             "covers{}",
             annotation.genes.size(), o.annotation, o.expression,
             o.chroms.empty() ? "" : " among --chroms " + join_list(o.chroms));
    const auto genes = static_cast<int64_t>(dataset.genes.size());
    const auto block = static_cast<size_t>(bins);
    auto slot = [&](size_t gene, int cell, int mark) {
        return ((gene * static_cast<size_t>(cells) + static_cast<size_t>(cell)) * static_cast<size_t>(marks) +
                static_cast<size_t>(mark)) *
               block;
    };

    // Genes by chromosome, in window order; each chromosome read as regions of nearby windows.
    std::map<std::string, std::vector<const WindowedGene *>> by_chromosome;
    for (auto &window : windows) by_chromosome[window.key].push_back(&window);
    for (auto &[key, list] : by_chromosome)
        std::sort(list.begin(), list.end(), [](const WindowedGene *a, const WindowedGene *b) {
            return a->window_start < b->window_start ||
                   (a->window_start == b->window_start && a->row < b->row);
        });
    const int64_t span = static_cast<int64_t>(bins) * o.bin_size;

    dataset.inputs.assign(static_cast<size_t>(genes) * cells * marks * block, 0.0f);
    const int threads =
        o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::atomic<int64_t> intervals_read{0};
    parallel_for(jobs.size(), threads, "prepare", o.progress, [&](size_t j) {
        RegionScratch scratch;
        std::vector<double> sums;
        TrackJob &job = jobs[j];
        auto output = [&](const WindowedGene &window) {
            return &dataset.inputs[slot(window.row, job.cell, job.mark)];
        };
        int64_t used = 0;
        try {
            for (auto &[key, list] : by_chromosome) {
                const ChromosomeLength &chrom = job.chromosomes.at(key);
                // Overlapping windows are read as one region, under a few Mb so that memory stays bounded
                // on dense tracks. Regions go in coordinate order, so a block shared by neighbouring
                // regions is decoded once (the reader caches it); merging across gaps measured no faster.
                constexpr int64_t merge_gap = 0, max_region = 1 << 22;
                for (size_t first = 0; first < list.size();) {
                    int64_t start = std::max<int64_t>(0, list[first]->window_start);
                    int64_t end = list[first]->window_start + span;
                    size_t last = first + 1;
                    while (last < list.size() && list[last]->window_start < end + merge_gap &&
                           list[last]->window_start + span - start < max_region)
                        end = std::max(end, list[last++]->window_start + span);
                    end = std::min<int64_t>(end, chrom.length);
                    if (end <= start || o.reference_path ||
                        !sweep_region(*job.reader, chrom.name, static_cast<uint32_t>(start),
                                      static_cast<uint32_t>(end), &list[first], last - first, o.bin_size,
                                      bins, output, scratch, used)) {
                        if (end > start)
                            job.reader->read(chrom.name, static_cast<uint32_t>(start),
                                             static_cast<uint32_t>(end), scratch.intervals);
                        else
                            scratch.intervals.clear();
                        used += static_cast<int64_t>(scratch.intervals.size());
                        for (size_t g = first; g < last; ++g)
                            bin_window(scratch.intervals, list[g]->window_start, o.bin_size, bins,
                                       list[g]->reverse, output(*list[g]), sums);
                    }
                    first = last;
                }
            }
        } catch (const std::exception &e) {
            fail("{}: {}", track_name(*job.spec), e.what());
        }
        intervals_read += used;
        // Done with the file: unmap it and free its cached blocks now, not after all 72.
        job.reader.reset();
    });

    // Imputation on the signal scale, then log1p.
    for (int c = 0; c < cells; ++c)
        for (int m = 0; m < marks; ++m) {
            int t = track_of[static_cast<size_t>(c) * marks + m];
            std::string key = "track:" + cell_types[c] + ":" + o.marks[m];
            if (t >= 0) {
                dataset.extra_metadata.emplace_back(key, tracks[static_cast<size_t>(t)].path);
                continue;
            }
            const auto &from = donors[static_cast<size_t>(m)];
            std::vector<std::string> names;
            for (int d : from) names.push_back(cell_types[d]);
            dataset.extra_metadata.emplace_back(key, "imputed:mean-of-cells:" + join_list(names, "+"));
            for (int64_t g = 0; g < genes; ++g) {
                float *out = &dataset.inputs[slot(static_cast<size_t>(g), c, m)];
                for (int d : from) {
                    const float *in = &dataset.inputs[slot(static_cast<size_t>(g), d, m)];
                    for (int i = 0; i < bins; ++i) out[i] += in[i];
                }
                for (int i = 0; i < bins; ++i) out[i] /= static_cast<float>(from.size());
            }
        }
    // Over threads: at the scale this is 288 million values.
    constexpr size_t chunk = size_t(1) << 20;
    parallel_for((dataset.inputs.size() + chunk - 1) / chunk, threads, "log1p", false, [&](size_t c) {
        float *values = dataset.inputs.data() + c * chunk;
        const size_t n = std::min(chunk, dataset.inputs.size() - c * chunk);
        for (size_t i = 0; i < n; ++i)
            if (values[i] != 0) values[i] = std::log1p(values[i]); // log1p(0) is 0: most of a sparse track
    });

    dataset.targets.resize(static_cast<size_t>(genes) * cells);
    for (int64_t g = 0; g < genes; ++g)
        for (int c = 0; c < cells; ++c) {
            float tpm = expression.tpm(static_cast<size_t>(expression_rows[static_cast<size_t>(g)]),
                                       static_cast<size_t>(c));
            dataset.targets[static_cast<size_t>(g * cells + c)] = std::log1p(tpm); // NaN stays NaN
        }
    dataset.cell_types = cell_types;
    dataset.marks = o.marks;
    dataset.bins = bins;
    dataset.bin_size = o.bin_size;
    dataset.window = o.window;
    dataset.extra_metadata.emplace_back("source", "causeway prepare");
    dataset.extra_metadata.emplace_back("annotation", o.annotation);
    dataset.extra_metadata.emplace_back("expression", o.expression);
    dataset.extra_metadata.emplace_back("manifest", o.manifest);
    dataset.extra_metadata.emplace_back("impute", imputation_name(o.impute));
    dataset.extra_metadata.emplace_back("imputed_tracks", join_list(summary.imputed));
    dataset.extra_metadata.emplace_back("tss", "1-based; bin window/bin_size starts at the TSS base");
    write_dataset(dataset, o.out);

    summary.genes = genes;
    summary.cells = cells;
    summary.marks = marks;
    summary.bins = bins;
    summary.intervals_read = intervals_read;
    return summary;
}

} // namespace causeway::epigenome
