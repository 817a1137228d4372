#include "causeway/seqcnn_variants.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/vcf.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/progress.h"
#include "causeway/seqcnn_ism.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_mutants.h"
#include "causeway/seqcnn_network.h"

namespace causeway {
namespace {

bool ends_with(const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string upper(std::string s) {
    for (char &c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// htslib warns once per contig or INFO key missing from a header (common and harmless here) and reports
// its own parse errors; only the latter are shown while this lives.
class HtsLogErrorsOnly {
public:
    HtsLogErrorsOnly() : saved_(hts_get_log_level()) { hts_set_log_level(std::min(saved_, HTS_LOG_ERROR)); }
    ~HtsLogErrorsOnly() { hts_set_log_level(saved_); }

private:
    htsLogLevel saved_;
};

struct HtsFileCloser {
    void operator()(htsFile *f) const {
        if (f) hts_close(f);
    }
};
struct HeaderDestroyer {
    void operator()(bcf_hdr_t *h) const {
        if (h) bcf_hdr_destroy(h);
    }
};
struct RecordDestroyer {
    void operator()(bcf1_t *r) const {
        if (r) bcf_destroy(r);
    }
};
using HtsFilePtr = std::unique_ptr<htsFile, HtsFileCloser>;
using HeaderPtr = std::unique_ptr<bcf_hdr_t, HeaderDestroyer>;
using RecordPtr = std::unique_ptr<bcf1_t, RecordDestroyer>;

HtsFilePtr open_variants(const std::string &path) {
    HtsFilePtr file(hts_open(path.c_str(), "r"));
    if (!file) fail("cannot open {}: {}", path, std::strerror(errno ? errno : ENOENT));
    if (hts_get_format(file.get())->category != variant_data)
        fail("not a VCF or BCF file (no ##fileformat / #CHROM header): {}", path);
    return file;
}

HeaderPtr read_header(htsFile *file, const std::string &path) {
    HeaderPtr header(bcf_hdr_read(file));
    if (!header) fail("cannot read the VCF header (a #CHROM line must end it): {}", path);
    return header;
}

// A record's location for messages: file:line for text VCF (htslib counts the lines it has read), the
// record number for BCF.
std::string record_where(const htsFile *file, const std::string &path, int64_t record) {
    if (file->format.format == vcf && file->lineno > 0) return fmt::format("{}:{}", path, file->lineno);
    return fmt::format("{}: record {}", path, record + 1);
}

// One ALT allele to score, in input order.
struct Variant {
    int64_t record = 0;
    int allele = 0;       // 1-based ALT index in its record
    int fasta_chrom = 0;  // index into the FASTA names used
    int64_t position = 0; // 0-based
    uint8_t alt = 0;      // base index
    int window = 0;       // filled when grouped
    int substitution = 0; // index in its window's substitutions
    bool padded = false;
    std::string chrom, id, ref; // as in the VCF
    std::string alt_allele;
};

struct Window {
    int fasta_chrom = 0;
    int64_t start = 0;
    std::vector<Substitution> substitutions;
};

// One record's skipped alleles (VCF output marks them): allele index -> reason.
using SkipReasons = std::map<int64_t, std::map<int, std::string>>;

struct ReadVariants {
    std::vector<Variant> variants;
    std::vector<std::string> fasta_chroms;
    SkipReasons skipped;
    HeaderPtr header; // after every record was read (htslib adds the contigs and keys it met undeclared)
};

// Reads and checks every record; alleles that cannot be scored are counted in the summary.
ReadVariants read_variants(const ScoreVariantsOptions &o, const IndexedFasta &fasta, int length,
                           ScoreVariantsSummary &summary) {
    ReadVariants out;
    HtsFilePtr file = open_variants(o.vcf);
    out.header = read_header(file.get(), o.vcf);
    bcf_hdr_t *header = out.header.get();
    RecordPtr record(bcf_init());
    std::map<std::string, int> chrom_index; // VCF name -> index into out.fasta_chroms, -1: absent
    auto skip = [&](int64_t r, int allele, const std::string &reason, const std::string &where) {
        summary.skipped[reason] += 1;
        summary.first_skipped.emplace(reason, where);
        out.skipped[r][allele] = reason;
    };
    for (int64_t r = 0;; ++r) {
        const int status = bcf_read(file.get(), header, record.get());
        if (status == -1) break;
        const std::string where_line = record_where(file.get(), o.vcf, r);
        // A contig or key the header does not declare is added to it by htslib (and flagged): not an error.
        if (status < -1 || (record->errcode & ~(BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF)))
            fail("malformed VCF record (see htslib's message above, if any): {}", where_line);
        if (bcf_unpack(record.get(), BCF_UN_STR) < 0) fail("malformed VCF record: {}", where_line);
        summary.records += 1;
        // htslib reads a POS that is not a number as 0.
        if (record->pos < 0) fail("malformed VCF record (POS must be a number >= 1): {}", where_line);
        // htslib accepts a line cut short after POS.
        if (record->n_allele < 1 || record->d.allele[0][0] == '\0')
            fail("malformed VCF record (no REF; 8 tab-separated columns expected): {}", where_line);
        const std::string chrom = bcf_hdr_id2name(header, record->rid);
        const int64_t position = record->pos;
        const std::string where = fmt::format("{} ({}:{})", where_line, chrom, position + 1);
        const int alleles = record->n_allele - 1;
        summary.alleles += alleles;
        if (alleles == 0) {
            summary.skipped["no ALT allele"] += 1;
            summary.first_skipped.emplace("no ALT allele", where);
            continue;
        }
        auto skip_all = [&](const std::string &reason) {
            for (int a = 1; a <= alleles; ++a) skip(r, a, reason, where);
        };

        auto found = chrom_index.find(chrom);
        if (found == chrom_index.end()) {
            const std::string name = fasta.resolve(chrom);
            int index = -1;
            if (!name.empty()) {
                auto known = std::find(out.fasta_chroms.begin(), out.fasta_chroms.end(), name);
                index = static_cast<int>(known - out.fasta_chroms.begin());
                if (known == out.fasta_chroms.end()) out.fasta_chroms.push_back(name);
            }
            found = chrom_index.emplace(chrom, index).first;
        }
        if (found->second < 0) {
            if (!o.keep_going)
                fail("contig '{}' is not in {} (chr-prefixed and unprefixed names tried; --keep-going skips "
                     "such records): {}",
                     chrom, fasta.path(), where);
            skip_all("contig not in the FASTA");
            continue;
        }
        const std::string &fasta_chrom = out.fasta_chroms[found->second];
        const int64_t chrom_length = fasta.length(fasta_chrom);
        const std::string ref = record->d.allele[0];
        const int64_t ref_end = position + static_cast<int64_t>(ref.size());
        const std::string genome = position < chrom_length
                                       ? fasta.fetch(fasta_chrom, position, std::min(ref_end, chrom_length))
                                       : "";
        if (ref_end > chrom_length || upper(ref) != upper(genome)) {
            if (!o.keep_going) {
                if (ref_end > chrom_length)
                    fail("REF {} runs past the end of {} in {} (length {}; --keep-going skips such records): "
                         "{}",
                         ref, fasta_chrom, fasta.path(), chrom_length, where);
                fail("REF {} does not match the genome's {} at {}:{} in {} (another genome build? "
                     "--keep-going skips such records): {}",
                     ref, genome, fasta_chrom, position + 1, fasta.path(), where);
            }
            skip_all("REF does not match the FASTA");
            continue;
        }
        const std::string id = record->d.id ? record->d.id : ".";
        const int64_t window_start = position - length / 2;
        const bool off_chrom = window_start < 0 || window_start + length > chrom_length;
        for (int a = 1; a <= alleles; ++a) {
            const std::string alt = record->d.allele[a];
            if (alt == "*" || alt.empty() || alt[0] == '<' || alt == "." ||
                alt.find_first_of("[]") != std::string::npos)
                skip(r, a, "symbolic ALT allele", where);
            else if (ref.size() != alt.size())
                skip(r, a, "indel", where);
            else if (ref.size() > 1)
                skip(r, a, "multi-base substitution (MNP)", where);
            else if (seqcnn_base_code(alt[0]) == 4)
                skip(r, a, "ALT not ACGT", where);
            else if (seqcnn_base_code(ref[0]) == 4)
                skip(r, a, "REF not ACGT", where); // an N in the genome cannot be substituted
            else if (seqcnn_base_code(alt[0]) == seqcnn_base_code(ref[0]))
                skip(r, a, "ALT equals REF", where);
            else if (off_chrom && o.edge == VariantEdge::Skip)
                skip(r, a, "window off the chromosome end", where);
            else {
                Variant v;
                v.record = r;
                v.allele = a;
                v.fasta_chrom = found->second;
                v.position = position;
                v.alt = static_cast<uint8_t>(seqcnn_base_code(alt[0]));
                v.chrom = chrom;
                v.id = id;
                v.ref = ref;
                v.alt_allele = alt;
                out.variants.push_back(std::move(v));
            }
        }
    }
    return out;
}

// Groups variants into windows (the rule in seqcnn_variants.h) and sets each variant's window and
// substitution.
std::vector<Window> group_windows(std::vector<Variant> &variants, int length, int window_offset) {
    std::vector<size_t> order(variants.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return std::tie(variants[a].fasta_chrom, variants[a].position) <
               std::tie(variants[b].fasta_chrom, variants[b].position);
    });
    std::vector<Window> windows;
    for (size_t i = 0; i < order.size();) {
        const Variant &first = variants[order[i]];
        size_t end = i + 1;
        while (end < order.size() && variants[order[end]].fasta_chrom == first.fasta_chrom &&
               variants[order[end]].position - first.position <= 2 * int64_t(window_offset))
            ++end;
        const int64_t centre = (first.position + variants[order[end - 1]].position) / 2;
        Window window;
        window.fasta_chrom = first.fasta_chrom;
        window.start = centre - length / 2;
        for (size_t k = i; k < end; ++k) {
            Variant &v = variants[order[k]];
            const Substitution s{static_cast<int>(v.position - window.start), v.alt};
            auto same = std::find_if(
                window.substitutions.begin(), window.substitutions.end(),
                [&](const Substitution &t) { return t.position == s.position && t.alt == s.alt; });
            v.window = static_cast<int>(windows.size());
            v.substitution = static_cast<int>(same - window.substitutions.begin());
            if (same == window.substitutions.end()) window.substitutions.push_back(s);
        }
        windows.push_back(std::move(window));
        i = end;
    }
    return windows;
}

// Per variant and task: ref_prob, alt_prob, effect, se.
constexpr int kScoreFields = 4;

std::string format_z(double effect, double se) {
    return se > 0 ? fmt::format("{:.9g}", effect / se) : "NA";
}

void write_tsv(const ScoreVariantsOptions &o, const std::vector<Variant> &variants,
               const std::vector<std::string> &task_names, const std::vector<double> &scores) {
    const size_t tasks = task_names.size();
    std::string text = "chrom\tpos\tid\tref\talt\ttask\tref_prob\talt_prob\teffect\tse\tz\n";
    auto rows = [&](auto &&flush) {
        for (size_t i = 0; i < variants.size(); ++i) {
            const Variant &v = variants[i];
            for (size_t t = 0; t < tasks; ++t) {
                const double *s = &scores[(i * tasks + t) * kScoreFields];
                // %.9g keeps every bit of a float-sized probability.
                fmt::format_to(std::back_inserter(text),
                               "{}\t{}\t{}\t{}\t{}\t{}\t{:.9g}\t{:.9g}\t{:.9g}\t{:.9g}\t{}\n", v.chrom,
                               v.position + 1, v.id, v.ref, v.alt_allele, task_names[t], s[0], s[1], s[2],
                               s[3], format_z(s[2], s[3]));
            }
            if (text.size() > (1 << 20)) flush();
        }
        flush();
    };
    if (!ends_with(o.out, ".gz")) {
        AtomicOutput out(o.out);
        rows([&] {
            out.write(text.data(), text.size());
            text.clear();
        });
        out.commit();
        return;
    }
    TemporaryOutputPath temp(o.out);
    BGZF *bgzf = bgzf_open(temp.temp().c_str(), "w");
    if (!bgzf) fail("cannot open output file: {}: {}", o.out, std::strerror(errno));
    bool ok = true;
    rows([&] {
        ok = ok && bgzf_write(bgzf, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        text.clear();
    });
    ok = bgzf_close(bgzf) == 0 && ok;
    if (!ok) fail("cannot write output file: {}", o.out);
    temp.commit();
}

// INFO keys may only hold letters, digits, '_' and '.' (VCF 4.3, section 1.6.1).
std::string info_key(const std::string &prefix, const std::string &name) {
    std::string key = prefix + "_" + name;
    for (char &c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '_';
    return key;
}

void write_vcf(const ScoreVariantsOptions &o, const ReadVariants &read,
               const std::vector<std::string> &task_names, const std::vector<double> &scores,
               const std::string &settings) {
    const size_t tasks = task_names.size();
    HeaderPtr header(bcf_hdr_dup(read.header.get()));
    if (!header) fail("cannot copy the VCF header of {}", o.vcf);
    // Keys per task (effect, se, z), unique after sanitising.
    std::vector<std::array<std::string, 3>> task_keys(tasks);
    std::set<std::string> used;
    auto add_info = [&](const std::string &key, const std::string &number, const std::string &type,
                        const std::string &description) {
        if (bcf_hdr_get_hrec(header.get(), BCF_HL_INFO, "ID", key.c_str(), nullptr))
            fail("the input already declares INFO/{} (scored before? choose another --info-prefix): {}", key,
                 o.vcf);
        const std::string line = fmt::format("##INFO=<ID={},Number={},Type={},Description=\"{}\">", key,
                                             number, type, description);
        if (bcf_hdr_append(header.get(), line.c_str()) != 0) fail("cannot add {} to the VCF header", key);
        used.insert(key);
    };
    if (o.info_top == 0) {
        static const char *kFields[3] = {"EFFECT", "SE", "Z"};
        static const char *kMeanings[3] = {"effect: mean over MC-dropout samples of p(alt) - p(ref)",
                                           "standard error of the effect over MC-dropout samples",
                                           "z = effect / se (missing when se = 0)"};
        for (size_t t = 0; t < tasks; ++t) {
            std::string base = info_key(o.info_prefix, task_names[t]);
            if (used.count(base + "_EFFECT")) base += fmt::format("_{}", t);
            for (int f = 0; f < 3; ++f) {
                task_keys[t][f] = base + "_" + kFields[f];
                add_info(task_keys[t][f], "A", "Float",
                         fmt::format("causeway score-variants, task {}: {}", task_names[t], kMeanings[f]));
            }
        }
    } else {
        add_info(
            info_key(o.info_prefix, "TOP"), ".", "String",
            fmt::format("causeway score-variants: per ALT allele its {} tasks of largest |z| (|effect| when "
                        "se = 0) as allele:task:effect:se:z",
                        o.info_top));
    }
    const std::string skip_key = info_key(o.info_prefix, "SKIP");
    add_info(skip_key, "A", "String",
             "causeway score-variants: why an ALT allele was not scored (. = scored), spaces as _");
    const std::string meta = "##causeway_score_variants=" + settings;
    if (bcf_hdr_append(header.get(), meta.c_str()) != 0 || bcf_hdr_sync(header.get()) != 0)
        fail("cannot complete the VCF header for {}", o.out);

    // Scores of each (record, allele), from the variants in input order.
    std::map<std::pair<int64_t, int>, size_t> scored;
    for (size_t i = 0; i < read.variants.size(); ++i)
        scored.emplace(std::make_pair(read.variants[i].record, read.variants[i].allele), i);

    TemporaryOutputPath temp(o.out);
    const char *mode = ends_with(o.out, ".bcf") ? "wb" : ends_with(o.out, ".gz") ? "wz" : "w";
    HtsFilePtr out(hts_open(temp.temp().c_str(), mode));
    if (!out) fail("cannot open output file: {}: {}", o.out, std::strerror(errno));
    if (bcf_hdr_write(out.get(), header.get()) != 0) fail("cannot write output file: {}", o.out);

    // Read again with the output header, which already holds every contig and key met on the first pass.
    HtsFilePtr in = open_variants(o.vcf);
    read_header(in.get(), o.vcf);
    RecordPtr record(bcf_init());
    std::vector<float> values;
    for (int64_t r = 0;; ++r) {
        const int status = bcf_read(in.get(), header.get(), record.get());
        if (status == -1) break;
        if (status < -1 || record->errcode)
            fail("{} changed while being read: {}", o.vcf, record_where(in.get(), o.vcf, r));
        bcf_unpack(record.get(), BCF_UN_STR);
        const int alleles = record->n_allele - 1;
        std::vector<const double *> allele_scores(alleles, nullptr);
        bool any_scored = false;
        for (int a = 1; a <= alleles; ++a) {
            auto it = scored.find({r, a});
            if (it == scored.end()) continue;
            allele_scores[a - 1] = &scores[it->second * tasks * kScoreFields];
            any_scored = true;
        }
        if (any_scored && o.info_top == 0) {
            values.resize(alleles);
            for (size_t t = 0; t < tasks; ++t)
                for (int f = 0; f < 3; ++f) {
                    for (int a = 0; a < alleles; ++a) {
                        const double *s = allele_scores[a] ? allele_scores[a] + t * kScoreFields : nullptr;
                        if (!s || (f == 2 && !(s[3] > 0)))
                            bcf_float_set_missing(values[a]);
                        else
                            values[a] = static_cast<float>(f == 0 ? s[2] : f == 1 ? s[3] : s[2] / s[3]);
                    }
                    if (bcf_update_info_float(header.get(), record.get(), task_keys[t][f].c_str(),
                                              values.data(), alleles) < 0)
                        fail("cannot annotate {}", record_where(in.get(), o.vcf, r));
                }
        } else if (any_scored) {
            std::string top;
            for (int a = 0; a < alleles; ++a) {
                if (!allele_scores[a]) continue;
                std::vector<size_t> order(tasks);
                std::iota(order.begin(), order.end(), size_t(0));
                auto rank = [&](size_t t) {
                    const double *s = allele_scores[a] + t * kScoreFields;
                    return s[3] > 0 ? std::fabs(s[2] / s[3]) : std::fabs(s[2]);
                };
                std::stable_sort(order.begin(), order.end(),
                                 [&](size_t x, size_t y) { return rank(x) > rank(y); });
                for (size_t k = 0; k < std::min<size_t>(tasks, o.info_top); ++k) {
                    const double *s = allele_scores[a] + order[k] * kScoreFields;
                    fmt::format_to(std::back_inserter(top), "{}{}:{}:{:.6g}:{:.6g}:{}",
                                   top.empty() ? "" : ",", a + 1, task_names[order[k]], s[2], s[3],
                                   s[3] > 0 ? fmt::format("{:.6g}", s[2] / s[3]) : ".");
                }
            }
            if (bcf_update_info_string(header.get(), record.get(), info_key(o.info_prefix, "TOP").c_str(),
                                       top.c_str()) < 0)
                fail("cannot annotate {}", record_where(in.get(), o.vcf, r));
        }
        auto skipped = read.skipped.find(r);
        if (skipped != read.skipped.end()) {
            std::string reasons;
            for (int a = 1; a <= alleles; ++a) {
                auto it = skipped->second.find(a);
                std::string reason = ".";
                if (it != skipped->second.end()) {
                    reason = it->second;
                    for (char &c : reason)
                        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                }
                reasons += (a > 1 ? "," : "") + reason;
            }
            if (bcf_update_info_string(header.get(), record.get(), skip_key.c_str(), reasons.c_str()) < 0)
                fail("cannot annotate {}", record_where(in.get(), o.vcf, r));
        }
        if (bcf_write(out.get(), header.get(), record.get()) != 0)
            fail("cannot write output file: {}", o.out);
    }
    if (hts_close(out.release()) != 0) fail("cannot write output file: {}", o.out);
    temp.commit();
}

} // namespace

std::string score_variants_output_format(const std::string &path) {
    if (path == "-" || ends_with(path, ".tsv") || ends_with(path, ".tsv.gz")) return "tsv";
    if (ends_with(path, ".vcf") || ends_with(path, ".vcf.gz") || ends_with(path, ".bcf")) return "vcf";
    fail("cannot tell the output format from the name (.tsv, .tsv.gz, .vcf, .vcf.gz or .bcf; - for TSV on "
         "stdout): {}",
         path);
}

ScoreVariantsSummary seqcnn_score_variants(const ScoreVariantsOptions &o) {
    const std::string format = score_variants_output_format(o.out);
    if (format == "vcf" && o.vcf == "-")
        fail("VCF output reads the input twice: give a file, not - (standard input), with --vcf");
    if (o.window_offset < 0) fail("--window-offset must be >= 0, got {}", o.window_offset);
    if (o.info_top < 0) fail("--info-top must be >= 0, got {}", o.info_top);
    SeqcnnModel model = seqcnn_load(o.model);
    const SeqcnnConfig &c = model.config;
    const std::vector<std::string> task_names = o.tasks.empty() ? c.tasks : o.tasks;
    MutantBatchOptions batch;
    batch.tasks = seqcnn_checked_tasks(c, task_names, o.model);
    batch.samples = o.samples;
    batch.seed = o.seed;
    batch.reverse_complement = o.reverse_complement;
    const int length = c.sequence_length;
    if (o.window_offset > length / 2)
        fail("--window-offset {} would put variants outside the model's {}-base window (at most {})",
             o.window_offset, length, length / 2);

    HtsLogErrorsOnly quiet_htslib;
    IndexedFasta fasta(o.fasta);
    ScoreVariantsSummary summary;
    ReadVariants read = read_variants(o, fasta, length, summary);
    std::vector<Variant> &variants = read.variants;
    const std::vector<Window> windows = group_windows(variants, length, o.window_offset);
    summary.windows = static_cast<int64_t>(windows.size());

    // Scores per variant and task; a window's substitutions map back to its variants.
    const size_t tasks = task_names.size();
    std::vector<double> scores(variants.size() * tasks * kScoreFields);
    std::vector<std::vector<size_t>> window_variants(windows.size());
    for (size_t i = 0; i < variants.size(); ++i) window_variants[variants[i].window].push_back(i);
    SeqcnnNetwork network(model);
    Progress progress("score-variants", static_cast<int64_t>(variants.size()));
    int64_t done = 0;
    // Windows go to the mutant batch in chunks, so that their reference passes share batches (the
    // reference pass is most of the work when each window holds one variant) and progress moves; one
    // session keeps the evaluation's memory and masks from chunk to chunk.
    MutantBatchSession session(network, batch);
    constexpr size_t kWindowsPerChunk = 64;
    for (size_t first = 0; first < windows.size(); first += kWindowsPerChunk) {
        const size_t last = std::min(windows.size(), first + kWindowsPerChunk);
        std::vector<std::vector<float>> one_hot;
        std::vector<MutantWindow> chunk;
        std::vector<bool> padded;
        for (size_t w = first; w < last; ++w) {
            const Window &window = windows[w];
            const std::string &chrom = read.fasta_chroms[window.fasta_chrom];
            padded.push_back(window.start < 0 || window.start + length > fasta.length(chrom));
            one_hot.push_back(seqcnn_one_hot(fasta.fetch_padded(chrom, window.start, window.start + length)));
        }
        for (size_t w = first; w < last; ++w)
            chunk.push_back(MutantWindow{one_hot[w - first].data(), windows[w].substitutions});
        const auto start = std::chrono::steady_clock::now();
        const std::vector<MutantEffects> effects = session.run(chunk);
        summary.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (size_t w = first; w < last; ++w) {
            const MutantEffects &e = effects[w - first];
            for (size_t i : window_variants[w]) {
                const auto m = static_cast<size_t>(variants[i].substitution);
                for (size_t t = 0; t < tasks; ++t) {
                    double *s = &scores[(i * tasks + t) * kScoreFields];
                    s[0] = e.reference_mean[t];
                    s[1] = e.mutant_mean[m * tasks + t];
                    s[2] = e.beta[m * tasks + t];
                    s[3] = e.se[m * tasks + t];
                }
                variants[i].padded = padded[w - first];
                summary.padded += padded[w - first];
            }
            done += static_cast<int64_t>(window_variants[w].size());
        }
        progress.update(done);
    }
    progress.finish();
    summary.scored = static_cast<int64_t>(variants.size());

    if (format == "tsv") {
        write_tsv(o, variants, task_names, scores);
    } else {
        const std::string settings = fmt::format(
            "model={} samples={} seed={} reverse_complement={} window_offset={} edge={} window={}", o.model,
            o.samples, o.seed, o.reverse_complement ? 1 : 0, o.window_offset,
            o.edge == VariantEdge::Pad ? "pad" : "skip", length);
        write_vcf(o, read, task_names, scores, settings);
    }
    return summary;
}

} // namespace causeway
