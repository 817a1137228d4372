#include "causeway/seqcnn_ism.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iterator>

#include <htslib/faidx.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/progress.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_mutants.h"
#include "causeway/tsv.h"

namespace causeway {
namespace {

faidx_t *as_fai(void *p) {
    return static_cast<faidx_t *>(p);
}

bool file_exists(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (f) std::fclose(f);
    return f != nullptr;
}

// Whole-field integer parse; false on anything else.
bool parse_int64(std::string_view text, int64_t &value) {
    if (text.empty() || text.size() > 18) return false;
    value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    return true;
}

} // namespace

IndexedFasta::IndexedFasta(const std::string &path) : path_(path) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
    unsigned char magic[2] = {0, 0};
    const bool gzip = std::fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    std::fclose(f);
    // Checked here so that the message names the missing file (htslib would only log its own).
    if (!file_exists(path + ".fai"))
        fail("the FASTA has no index {}.fai (make it with samtools faidx): {}", path, path);
    if (gzip && !file_exists(path + ".gzi"))
        fail("the bgzip FASTA has no index {}.gzi (make it with samtools faidx; plain gzip cannot be "
             "indexed, recompress with bgzip): {}",
             path, path);
    fai_ = fai_load3(path.c_str(), nullptr, nullptr, 0);
    if (!fai_) fail("cannot load the FASTA index of {} (is it bgzip rather than gzip?)", path);
}

IndexedFasta::~IndexedFasta() {
    if (fai_) fai_destroy(as_fai(fai_));
}

std::string IndexedFasta::resolve(const std::string &chrom) const {
    std::vector<std::string> candidates{chrom};
    if (chrom == "chrM") candidates.emplace_back("MT");
    if (chrom == "MT") candidates.emplace_back("chrM");
    if (chrom.rfind("chr", 0) == 0)
        candidates.push_back(chrom.substr(3));
    else
        candidates.push_back("chr" + chrom);
    for (const std::string &name : candidates)
        if (faidx_has_seq(as_fai(fai_), name.c_str())) return name;
    return "";
}

int64_t IndexedFasta::length(const std::string &fasta_name) const {
    return faidx_seq_len(as_fai(fai_), fasta_name.c_str());
}

std::string IndexedFasta::fetch(const std::string &fasta_name, int64_t start, int64_t end) const {
    hts_pos_t got = 0;
    char *bases = faidx_fetch_seq64(as_fai(fai_), fasta_name.c_str(), start, end - 1, &got);
    if (!bases) fail("cannot read {}:{}-{} from {}", fasta_name, start, end, path_);
    std::string out(bases, static_cast<size_t>(std::max<hts_pos_t>(got, 0)));
    std::free(bases);
    if (static_cast<int64_t>(out.size()) != end - start)
        fail("read {} bases of {}:{}-{} from {} but expected {}", out.size(), fasta_name, start, end, path_,
             end - start);
    return out;
}

std::string IndexedFasta::fetch_padded(const std::string &fasta_name, int64_t start, int64_t end) const {
    const int64_t chrom_length = length(fasta_name);
    const int64_t inside_start = std::clamp<int64_t>(start, 0, chrom_length);
    const int64_t inside_end = std::clamp<int64_t>(end, inside_start, chrom_length);
    std::string bases(static_cast<size_t>(inside_start - start), 'N');
    if (inside_end > inside_start) bases += fetch(fasta_name, inside_start, inside_end);
    bases.append(static_cast<size_t>(end - start) - bases.size(), 'N');
    return bases;
}

std::vector<int> seqcnn_checked_tasks(const SeqcnnConfig &c, const std::vector<std::string> &names,
                                      const std::string &model_path) {
    for (const std::string &task : names)
        if (std::find(c.tasks.begin(), c.tasks.end(), task) == c.tasks.end()) {
            // The whole list helps the user spell the name; a DeepSEA-sized one is cut short.
            std::vector<std::string> shown(c.tasks.begin(), c.tasks.begin() + std::min(c.num_tasks(), 40));
            fail("unknown task '{}'; the model's {} tasks: {}{}: {}", task, c.num_tasks(),
                 join_list(shown, ", "), c.num_tasks() > 40 ? ", ..." : "", model_path);
        }
    return seqcnn_task_indices(c, names);
}

std::vector<IsmRegion> seqcnn_ism_regions(const std::string &bed_path, const IndexedFasta &fasta,
                                          int length) {
    // zlib reads plain and gzip files alike.
    gzFile gz = gzopen(bed_path.c_str(), "rb");
    if (!gz) fail("cannot open {}: {}", bed_path, std::strerror(errno));
    std::vector<IsmRegion> regions;
    std::string line;
    std::vector<std::string_view> fields;
    size_t line_number = 0;
    try {
        while (read_text_line(gz, line, bed_path, line_number)) {
            const std::string where = fmt::format("{}:{}", bed_path, line_number);
            if (line.empty() || line[0] == '#' || line.rfind("track", 0) == 0 ||
                line.rfind("browser", 0) == 0)
                continue;
            split_tabs(line, fields);
            int64_t start = 0, end = 0;
            if (fields.size() < 3 || fields[0].empty() || !parse_int64(fields[1], start) ||
                !parse_int64(fields[2], end) || end < start)
                fail("malformed BED line (expected tab-separated chrom, start, end with 0 <= start <= end): "
                     "{}",
                     where);
            IsmRegion region;
            const std::string chrom(fields[0]);
            region.chrom = fasta.resolve(chrom);
            if (region.chrom.empty())
                fail("chromosome '{}' is not in {} (chr-prefixed and unprefixed names tried): {}", chrom,
                     fasta.path(), where);
            region.name = fields.size() >= 4 && !fields[3].empty() && fields[3] != "."
                              ? std::string(fields[3])
                              : fmt::format("{}:{}-{}", chrom, start, end);
            region.start = (start + end) / 2 - length / 2;
            region.where = where;
            const int64_t chrom_length = fasta.length(region.chrom);
            if (region.start < 0 || region.start + length > chrom_length)
                fail("region {}:{}-{} resized to the model's {} bases ({}:{}-{}) runs off {} (length {}): {}",
                     chrom, start, end, length, chrom, region.start, region.start + length, region.chrom,
                     chrom_length, where);
            regions.push_back(std::move(region));
        }
        int error = Z_OK;
        const char *message = gzerror(gz, &error);
        if (error != Z_OK && error != Z_STREAM_END) fail("cannot read {}: {}", bed_path, message);
    } catch (...) {
        gzclose(gz);
        throw;
    }
    gzclose(gz);
    if (regions.empty()) fail("no regions in {}", bed_path);
    return regions;
}

std::vector<float> seqcnn_one_hot(const std::string &bases) {
    const size_t length = bases.size();
    std::vector<float> one_hot(4 * length, 0.f);
    for (size_t x = 0; x < length; ++x) {
        const int code = seqcnn_base_code(bases[x]);
        if (code < 4) one_hot[code * length + x] = 1.f;
    }
    return one_hot;
}

IsmSummary seqcnn_ism(const IsmOptions &o) {
    SeqcnnModel model = seqcnn_load(o.model);
    const SeqcnnConfig &c = model.config;
    if (o.tasks.empty()) fail("no tasks given (--tasks); the model's tasks: {}", join_list(c.tasks, ", "));
    MutantBatchOptions batch;
    batch.tasks = seqcnn_checked_tasks(c, o.tasks, o.model);
    batch.samples = o.samples;
    batch.seed = o.seed;
    batch.reverse_complement = o.reverse_complement;

    IndexedFasta fasta(o.fasta);
    const int length = c.sequence_length;
    const std::vector<IsmRegion> regions = seqcnn_ism_regions(o.regions, fasta, length);

    SeqcnnNetwork network(model);
    if (o.shard.enabled() && o.out == "-") fail("--shard needs an output file (--out), not stdout");
    const UnitRange units = shard_units(o.shard, regions.size());
    remove_stale_temporaries({o.out, manifest_path(o.out, false)});
    // A shard (a cluster job, which the scheduler may kill) keeps each finished region's rows in OUT.work/,
    // and its rerun resumes from them; the folder goes once the table is whole.
    const std::string work = o.out + ".work";
    std::vector<std::string> region_files;
    if (o.shard.enabled()) {
        for (size_t r = units.begin; r < units.end; ++r)
            region_files.push_back(fmt::format("{}/region.{}.tsv", work, r));
        const nlohmann::ordered_json settings = {{"model", file_checksum(o.model)},
                                                 {"fasta", o.fasta},
                                                 {"regions", file_checksum(o.regions)},
                                                 {"tasks", o.tasks},
                                                 {"samples", o.samples},
                                                 {"seed", o.seed},
                                                 {"reverse_complement", o.reverse_complement}};
        open_work_folder(work, settings, region_files);
    }
    AtomicOutput out(o.out);
    out.print("region\tposition\tref\talt\ttask\tbeta\tse\n");
    static const char kBases[] = "ACGT";
    IsmSummary summary;
    summary.regions = static_cast<int64_t>(regions.size());
    Progress progress("ism", static_cast<int64_t>(units.size()));
    std::string rows;
    for (size_t r = units.begin; r < units.end; ++r) {
        const IsmRegion &region = regions[r];
        if (!region_files.empty() && std::filesystem::exists(region_files[r - units.begin])) {
            rows = read_work_file(region_files[r - units.begin]);
            out.write(rows.data(), rows.size());
            ++summary.regions_resumed;
            progress.update(static_cast<int64_t>(r + 1 - units.begin));
            continue;
        }
        const std::vector<float> one_hot =
            seqcnn_one_hot(fasta.fetch(region.chrom, region.start, region.start + length));
        const auto start = std::chrono::steady_clock::now();
        const MutantEffects effects = seqcnn_mutant_batch(network, one_hot.data(), batch);
        summary.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        summary.sequences += 1;
        summary.mutants += static_cast<int64_t>(effects.position.size());
        rows.clear();
        for (size_t m = 0; m < effects.position.size(); ++m)
            for (int t = 0; t < effects.tasks; ++t)
                // %.9g keeps every bit of a float-sized difference.
                fmt::format_to(std::back_inserter(rows), "{}\t{}\t{}\t{}\t{}\t{:.9g}\t{:.9g}\n", region.name,
                               region.start + effects.position[m], kBases[effects.ref[m]],
                               kBases[effects.alt[m]], o.tasks[t], effects.beta[m * effects.tasks + t],
                               effects.se[m * effects.tasks + t]);
        if (!region_files.empty()) {
            AtomicOutput region_out(region_files[r - units.begin]);
            region_out.write(rows.data(), rows.size());
            region_out.commit();
        }
        out.write(rows.data(), rows.size());
        progress.update(static_cast<int64_t>(r + 1 - units.begin));
    }
    progress.finish();
    out.commit();
    if (o.shard.enabled()) {
        std::error_code error;
        std::filesystem::remove_all(work, error);
        if (error)
            fail("cannot remove the work folder {} (the table {} is whole): {}", work, o.out,
                 error.message());
    }
    return summary;
}

} // namespace causeway
