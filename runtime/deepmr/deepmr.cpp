#include "causeway/deepmr/deepmr.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/paths.h"
#include "causeway/pecnn_model.h" // join_list
#include "causeway/progress.h"
#include "causeway/seqcnn_ism.h"
#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_mutants.h"
#include "causeway/seqcnn_network.h"
#include "causeway/solver/distributions.h"
#include "causeway/tsv.h"
#include "deepmr_plot.h"
#include "study/output_folder.h"

namespace causeway::deepmr {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

const char kBases[] = "ACGT";

uint64_t fnv1a(const std::string &text) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    return h;
}

// One region's mutations: the exposure's and the outcome's effect and MC-dropout se of each substitution.
struct RegionEffects {
    std::vector<int> position; // 0-based in the window
    std::vector<uint8_t> ref, alt;
    std::vector<double> beta_exposure, se_exposure, beta_outcome, se_outcome;
    size_t size() const { return position.size(); }
};

// The per-region work file: `position ref alt beta_exposure se_exposure beta_outcome se_outcome`, numbers
// with 17 significant digits so that a resumed run reads back exactly the doubles a fresh run computed.
void write_region_effects(const RegionEffects &e, const std::string &path) {
    AtomicOutput out(path);
    out.print("position\tref\talt\tbeta_exposure\tse_exposure\tbeta_outcome\tse_outcome\n");
    for (size_t m = 0; m < e.size(); ++m)
        out.print("{}\t{}\t{}\t{:.17g}\t{:.17g}\t{:.17g}\t{:.17g}\n", e.position[m], kBases[e.ref[m]],
                  kBases[e.alt[m]], e.beta_exposure[m], e.se_exposure[m], e.beta_outcome[m], e.se_outcome[m]);
    out.commit();
}

uint8_t parse_base(const TsvReader &in, size_t column) {
    const std::string_view b = in.field(column);
    const char *p = b.size() == 1 ? std::strchr(kBases, b[0]) : nullptr;
    if (p == nullptr || *p == '\0') fail("not a base (A, C, G or T): {}", in.where(column));
    return static_cast<uint8_t>(p - kBases);
}

RegionEffects read_region_effects(const std::string &path) {
    TsvReader in(path);
    const size_t c_position = in.column("position"), c_ref = in.column("ref"), c_alt = in.column("alt"),
                 c_bx = in.column("beta_exposure"), c_sx = in.column("se_exposure"),
                 c_by = in.column("beta_outcome"), c_sy = in.column("se_outcome");
    RegionEffects e;
    while (in.next()) {
        e.position.push_back(static_cast<int>(in.number(c_position)));
        e.ref.push_back(parse_base(in, c_ref));
        e.alt.push_back(parse_base(in, c_alt));
        e.beta_exposure.push_back(in.number(c_bx));
        e.se_exposure.push_back(in.number(c_sx));
        e.beta_outcome.push_back(in.number(c_by));
        e.se_outcome.push_back(in.number(c_sy));
    }
    return e;
}

// Gzip (deflate with a gzip header whose time is 0, so the same content gives the same bytes) into an
// atomic output.
class GzipWriter {
public:
    explicit GzipWriter(const std::string &path) : out_(path) {
        if (deflateInit2(&z_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            fail("cannot start gzip compression: {}", path);
    }
    ~GzipWriter() { deflateEnd(&z_); }
    template <typename... Args> void print(fmt::format_string<Args...> format, Args &&...args) {
        fmt::format_to(std::back_inserter(pending_), format, std::forward<Args>(args)...);
        if (pending_.size() >= (1 << 20)) flush(Z_NO_FLUSH);
    }
    void commit() {
        flush(Z_FINISH);
        out_.commit();
    }

private:
    void flush(int mode) {
        z_.next_in = reinterpret_cast<Bytef *>(pending_.data());
        z_.avail_in = static_cast<uInt>(pending_.size());
        unsigned char buffer[1 << 16];
        int status = Z_OK;
        do {
            z_.next_out = buffer;
            z_.avail_out = sizeof(buffer);
            status = deflate(&z_, mode);
            if (status == Z_STREAM_ERROR) fail("gzip compression failed: {}", out_.path());
            out_.write(buffer, sizeof(buffer) - z_.avail_out);
        } while (z_.avail_out == 0 || (mode == Z_FINISH && status != Z_STREAM_END));
        pending_.clear();
    }

    AtomicOutput out_;
    z_stream z_{};
    std::string pending_;
};

std::string na(double v, const char *format = "{:.6g}") {
    return std::isfinite(v) ? fmt::format(fmt::runtime(format), v) : "NA";
}

double pearson_correlation(const std::vector<double> &x, const std::vector<double> &y) {
    const size_t n = x.size();
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n,
                 my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : NAN;
}

// Least-squares slope of y on x.
double ols_slope(const std::vector<double> &x, const std::vector<double> &y) {
    const size_t n = x.size();
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n,
                 my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; ++i) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxx > 0 ? sxy / sxx : NAN;
}

std::vector<double> average_ranks(const std::vector<double> &v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
    std::vector<double> ranks(v.size());
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
        for (size_t k = i; k <= j; ++k) ranks[order[k]] = (i + j) / 2.0 + 1;
        i = j + 1;
    }
    return ranks;
}

// What the work files depend on; a rerun into the same folder with other settings would mix results.
nlohmann::ordered_json work_settings(const DeepmrOptions &o, const SeqcnnConfig &config) {
    struct stat st {};
    ::stat(o.model.c_str(), &st);
    return {{"model", o.model},
            {"model_bytes", static_cast<int64_t>(st.st_size)},
            {"model_mtime", static_cast<int64_t>(st.st_mtime)},
            {"fasta", o.fasta},
            {"sequence_length", config.sequence_length},
            {"outcome", o.outcome},
            {"samples", o.samples},
            {"seed", o.seed},
            {"reverse_complement", o.reverse_complement}};
}

struct RegionResult {
    std::string exposure, region;
    solver::MrResult mr;
    size_t instruments = 0;
    RegionEffects effects; // kept for the figures and effects.tsv.gz
    std::vector<uint8_t> selected;
    int64_t genome_start = 0;
    std::string chrom;
};

struct TruthTf {
    std::string name;
    double effect;
};

std::vector<TruthTf> read_truth(const std::string &path) {
    std::ifstream in(path);
    if (!in) fail("cannot open {}: {}", path, std::strerror(errno));
    nlohmann::json truth;
    try {
        truth = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        fail("{}: not valid JSON: {}", path, e.what());
    }
    if (!truth.contains("tfs") || !truth["tfs"].is_array())
        fail("{}: no 'tfs' array (is this simulate-genome's truth.json?)", path);
    std::vector<TruthTf> tfs;
    for (size_t i = 0; i < truth["tfs"].size(); ++i) {
        const auto &tf = truth["tfs"][i];
        if (!tf.contains("name") || !tf["name"].is_string() || !tf.contains("effect") ||
            !tf["effect"].is_number())
            fail("{}: tfs[{}] lacks a string 'name' or a numeric 'effect'", path, i);
        tfs.push_back({tf["name"].get<std::string>(), tf["effect"].get<double>()});
    }
    return tfs;
}

} // namespace

std::vector<std::string> deepmr_sample_regions(const std::vector<std::string> &bound, int count,
                                               uint64_t seed, const std::string &exposure) {
    std::vector<size_t> order(bound.size());
    std::iota(order.begin(), order.end(), 0);
    const uint64_t key = seqcnn_stream_key(seed, fnv1a(exposure));
    const size_t take = std::min(order.size(), static_cast<size_t>(std::max(count, 0)));
    for (size_t i = 0; i < take; ++i) {
        const size_t span = order.size() - i;
        const size_t j = i + std::min(span - 1, static_cast<size_t>(seqcnn_uniform(key, i) * span));
        std::swap(order[i], order[j]);
    }
    order.resize(take);
    std::sort(order.begin(), order.end());
    std::vector<std::string> sampled;
    sampled.reserve(order.size());
    for (size_t i : order) sampled.push_back(bound[i]);
    return sampled;
}

double spearman_correlation(const std::vector<double> &x, const std::vector<double> &y) {
    if (x.size() != y.size() || x.size() < 2) return NAN;
    return pearson_correlation(average_ranks(x), average_ranks(y));
}

DeepmrSummary deepmr_run(const DeepmrOptions &o) {
    const auto run_start = Clock::now();
    DeepmrSummary summary;
    if (o.out.empty()) fail("--out is required");
    if (o.exposures.empty()) fail("no exposures given (--exposures)");
    if (o.regions_per_exposure < 3)
        fail("--regions-per-exposure must be at least 3 (a meta-analysis needs regions), not {}",
             o.regions_per_exposure);
    if (o.samples < 2)
        fail("--samples must be at least 2: MR needs MC-dropout standard errors, not {}", o.samples);
    if (!(o.min_z >= 0)) fail("--min-z must be >= 0, not {}", o.min_z);
    if (!(o.min_beta_exposure >= 0 && o.min_beta_exposure < 1))
        fail("--min-beta-exposure must be in [0, 1), not {}", o.min_beta_exposure);
    {
        std::set<std::string> seen;
        for (const std::string &e : o.exposures) {
            if (e == o.outcome) fail("exposure '{}' is the outcome itself", e);
            if (!seen.insert(e).second) fail("exposure '{}' is listed twice in --exposures", e);
        }
    }

    // Validate every input before computing anything.
    auto io_start = Clock::now();
    SeqcnnModel model = seqcnn_load(o.model);
    const SeqcnnConfig &config = model.config;
    std::vector<std::string> task_names = o.exposures;
    task_names.push_back(o.outcome);
    const std::vector<int> task_index = seqcnn_checked_tasks(config, task_names, o.model);
    bool any_dropout = false;
    for (int site = 0; site < config.dropout_sites(); ++site) any_dropout |= config.site_dropout(site) > 0;
    if (!any_dropout)
        fail("the model has no dropout ({}): MC-dropout standard errors would all be 0", o.model);

    IndexedFasta fasta(o.fasta);
    const int length = config.sequence_length;
    const std::vector<IsmRegion> regions = seqcnn_ism_regions(o.regions, fasta, length);
    std::map<std::string, size_t> region_by_name;
    for (size_t i = 0; i < regions.size(); ++i)
        if (!region_by_name.emplace(regions[i].name, i).second)
            fail("region name '{}' appears twice: {}", regions[i].name, regions[i].where);

    // Bound regions per exposure, in the label table's order.
    std::vector<std::vector<std::string>> bound(o.exposures.size());
    {
        TsvReader labels(o.labels);
        const size_t c_region = labels.column("region");
        std::vector<size_t> columns;
        for (const std::string &e : o.exposures) columns.push_back(labels.column(e));
        while (labels.next()) {
            const std::string name(labels.field(c_region));
            const bool known = region_by_name.count(name) > 0;
            for (size_t e = 0; e < columns.size(); ++e) {
                const std::string_view v = labels.field(columns[e]);
                if (v != "0" && v != "1") fail("a label must be 0 or 1: {}", labels.where(columns[e]));
                if (v == "1") {
                    if (!known)
                        fail("region '{}' is not in the regions file {}: {}", name, o.regions,
                             labels.where());
                    bound[e].push_back(name);
                }
            }
        }
    }
    std::vector<std::vector<std::string>> sampled(o.exposures.size());
    for (size_t e = 0; e < o.exposures.size(); ++e) {
        sampled[e] = deepmr_sample_regions(bound[e], o.regions_per_exposure, o.seed, o.exposures[e]);
        if (sampled[e].size() < 3)
            fail("exposure '{}' has {} bound regions in {}: at least 3 are needed", o.exposures[e],
                 bound[e].size(), o.labels);
        if (static_cast<int>(sampled[e].size()) < o.regions_per_exposure)
            fmt::print(stderr,
                       "causeway deepmr: warning: exposure '{}' has only {} bound regions; using all\n",
                       o.exposures[e], sampled[e].size());
    }
    std::vector<TruthTf> truth;
    if (!o.truth.empty()) truth = read_truth(o.truth);

    // The work folder and the settings its files were made with.
    study::make_output_folder(o.out);
    const std::string work = o.out + "/work";
    auto unit_path = [&](size_t e, const std::string &region_name) {
        return work + "/" + study::file_safe_name(o.exposures[e]) + "/" + study::file_safe_name(region_name) +
               ".tsv";
    };
    // Creates the folder, guards its settings and removes what a SIGKILL left half-written: the temporaries
    // of the unit files and of this run's outputs (a rerun would otherwise leave them beside the results).
    std::vector<std::string> unit_files;
    for (size_t e = 0; e < o.exposures.size(); ++e)
        for (const std::string &name : sampled[e]) unit_files.push_back(unit_path(e, name));
    open_work_folder(work, work_settings(o, config), unit_files);
    for (const std::string &e : o.exposures) study::make_output_folder(work + "/" + study::file_safe_name(e));
    std::vector<std::string> outputs;
    for (const char *table : {"effects.tsv.gz", "regions.tsv", "exposures.tsv", "naive.tsv", "summary.md"})
        outputs.push_back(o.out + "/" + table);
    for (const char *figure :
         {"region_estimates_density", "exposure_estimates", "median_region_scatter", "planted_vs_estimated"})
        for (const char *extension : {".png", ".svg"}) outputs.push_back(o.out + "/" + figure + extension);
    remove_stale_temporaries(outputs);
    summary.seconds_io += seconds_since(io_start);

    SeqcnnNetwork network(model);
    MutantBatchOptions batch;
    batch.tasks = {0, 0};
    batch.samples = o.samples;
    batch.seed = o.seed;
    batch.reverse_complement = o.reverse_complement;
    const int outcome_task = task_index.back();

    solver::MrSettings mr_settings;
    std::vector<RegionResult> results;
    int64_t total = 0;
    for (const auto &s : sampled) total += static_cast<int64_t>(s.size());
    const UnitRange units = shard_units(o.shard, static_cast<size_t>(total));
    summary.units = total;
    Progress progress("deepmr", static_cast<int64_t>(units.size()));
    int64_t done = 0;
    size_t unit = 0;
    for (size_t e = 0; e < o.exposures.size(); ++e) {
        batch.tasks = {task_index[e], outcome_task};
        for (const std::string &name : sampled[e]) {
            if (!units.contains(unit++)) continue;
            const IsmRegion &region = regions[region_by_name.at(name)];
            const std::string path = unit_path(e, name);
            RegionResult result;
            result.exposure = o.exposures[e];
            result.region = name;
            result.chrom = region.chrom;
            result.genome_start = region.start;
            if (file_exists(path)) {
                io_start = Clock::now();
                result.effects = read_region_effects(path);
                summary.seconds_io += seconds_since(io_start);
                ++summary.regions_resumed;
            } else {
                io_start = Clock::now();
                const std::vector<float> one_hot =
                    seqcnn_one_hot(fasta.fetch(region.chrom, region.start, region.start + length));
                summary.seconds_io += seconds_since(io_start);
                const auto batch_start = Clock::now();
                const MutantEffects effects = seqcnn_mutant_batch(network, one_hot.data(), batch);
                summary.seconds_mutants += seconds_since(batch_start);
                RegionEffects &r = result.effects;
                r.position = effects.position;
                r.ref = effects.ref;
                r.alt = effects.alt;
                for (size_t m = 0; m < effects.position.size(); ++m) {
                    r.beta_exposure.push_back(effects.beta[2 * m]);
                    r.se_exposure.push_back(effects.se[2 * m]);
                    r.beta_outcome.push_back(effects.beta[2 * m + 1]);
                    r.se_outcome.push_back(effects.se[2 * m + 1]);
                }
                io_start = Clock::now();
                write_region_effects(r, path);
                // Read back, so that a fresh run and a resumed one fit the very same numbers.
                result.effects = read_region_effects(path);
                summary.seconds_io += seconds_since(io_start);
                ++summary.regions_computed;
            }
            summary.mutants += static_cast<int64_t>(result.effects.size());

            // Instruments: mutations with a usable se on both sides and a strong enough exposure effect.
            const auto mr_start = Clock::now();
            const RegionEffects &r = result.effects;
            solver::MrData data;
            result.selected.assign(r.size(), 0);
            for (size_t m = 0; m < r.size(); ++m) {
                const bool usable = r.se_exposure[m] > 0 && r.se_outcome[m] > 0 &&
                                    std::abs(r.beta_exposure[m] / r.se_exposure[m]) >= o.min_z &&
                                    std::abs(r.beta_exposure[m]) >= o.min_beta_exposure;
                if (!usable) continue;
                result.selected[m] = 1;
                data.beta_exposure.push_back(r.beta_exposure[m]);
                data.se_exposure.push_back(r.se_exposure[m]);
                data.beta_outcome.push_back(r.beta_outcome[m]);
                data.se_outcome.push_back(r.se_outcome[m]);
            }
            result.instruments = data.size();
            if (data.size() < solver::mr_min_variants(o.method)) {
                result.mr.method = o.method;
                result.mr.status = solver::MrStatus::TooFewVariants;
                result.mr.estimate = result.mr.se = result.mr.pvalue = result.mr.intercept =
                    result.mr.intercept_se = result.mr.intercept_pvalue = NAN;
                result.mr.n_variants = data.size();
            } else {
                result.mr = solver::mr_run(o.method, data, mr_settings);
            }
            summary.seconds_mr += seconds_since(mr_start);
            results.push_back(std::move(result));
            progress.update(++done, o.exposures[e]);
        }
    }
    progress.finish();
    if (o.shard.enabled()) {
        // The rest needs every region: causeway merge resumes the unsharded run from the shards' work files.
        summary.exposures = static_cast<int>(o.exposures.size());
        summary.seconds_total = seconds_since(run_start);
        return summary;
    }

    // Meta-analysis per exposure over the regions with an estimate.
    const auto meta_start = Clock::now();
    solver::MetaSettings meta_settings;
    meta_settings.method = o.meta;
    std::vector<solver::MetaResult> meta(o.exposures.size());
    std::vector<double> meta_pvalue(o.exposures.size(), NAN);
    std::vector<std::vector<double>> region_estimates(o.exposures.size());
    for (size_t e = 0; e < o.exposures.size(); ++e) {
        std::vector<double> y, se;
        for (const RegionResult &r : results)
            if (r.exposure == o.exposures[e] && std::isfinite(r.mr.estimate) && r.mr.se > 0 &&
                std::isfinite(r.mr.se)) {
                y.push_back(r.mr.estimate);
                se.push_back(r.mr.se);
            }
        region_estimates[e] = y;
        if (y.size() < 2) {
            meta[e].ok = false;
            meta[e].method = solver::tau_method_name(o.meta);
            meta[e].note = fmt::format("{} regions with an estimate", y.size());
            meta[e].mu = meta[e].se = meta[e].ci_low = meta[e].ci_high = meta[e].tau2 = meta[e].tau =
                meta[e].i2 = meta[e].q = NAN;
            meta[e].k = y.size();
            fmt::print(stderr, "causeway deepmr: warning: exposure '{}': {}; no meta-analysis\n",
                       o.exposures[e], meta[e].note);
            continue;
        }
        meta[e] = solver::meta_analyse(y, se, meta_settings);
        if (std::isfinite(meta[e].mu) && meta[e].se > 0)
            meta_pvalue[e] = solver::normal_two_sided(meta[e].mu / meta[e].se);
    }
    summary.seconds_mr += seconds_since(meta_start);

    // The naive comparison: predicted binding against predicted outcome across regions (no dropout).
    const auto naive_start = Clock::now();
    std::vector<double> naive_r(o.exposures.size(), NAN), naive_slope(o.exposures.size(), NAN);
    int naive_count = 0;
    {
        std::vector<std::string> names;
        names.reserve(regions.size());
        for (const IsmRegion &r : regions) names.push_back(r.name);
        const std::vector<std::string> chosen =
            deepmr_sample_regions(names, o.naive_regions, o.seed, "naive");
        naive_count = static_cast<int>(chosen.size());
        const int chunk = 256, tasks = config.num_tasks();
        std::vector<std::vector<double>> exposure_p(o.exposures.size());
        std::vector<double> outcome_p;
        std::vector<float> one_hot, probabilities;
        for (size_t begin = 0; begin < chosen.size(); begin += chunk) {
            const size_t n = std::min<size_t>(chunk, chosen.size() - begin);
            one_hot.assign(n * 4 * length, 0.0f);
            for (size_t i = 0; i < n; ++i) {
                const IsmRegion &region = regions[region_by_name.at(chosen[begin + i])];
                const std::vector<float> x =
                    seqcnn_one_hot(fasta.fetch(region.chrom, region.start, region.start + length));
                std::copy(x.begin(), x.end(), one_hot.begin() + i * 4 * length);
            }
            probabilities.assign(n * tasks, 0.0f);
            network.forward(one_hot.data(), static_cast<int64_t>(n), probabilities.data());
            for (size_t i = 0; i < n; ++i) {
                for (size_t e = 0; e < o.exposures.size(); ++e)
                    exposure_p[e].push_back(probabilities[i * tasks + task_index[e]]);
                outcome_p.push_back(probabilities[i * tasks + outcome_task]);
            }
        }
        for (size_t e = 0; e < o.exposures.size(); ++e) {
            naive_r[e] = pearson_correlation(exposure_p[e], outcome_p);
            naive_slope[e] = ols_slope(exposure_p[e], outcome_p);
        }
    }
    summary.seconds_naive = seconds_since(naive_start);

    // Tables.
    io_start = Clock::now();
    const std::string method_name = solver::mr_method_name(o.method);
    {
        GzipWriter out(o.out + "/effects.tsv.gz");
        out.print("exposure\tregion\tchrom\tposition\tref\talt\tbeta_exposure\tse_exposure\tbeta_outcome\t"
                  "se_outcome\tinstrument\n");
        for (const RegionResult &r : results)
            for (size_t m = 0; m < r.effects.size(); ++m)
                out.print("{}\t{}\t{}\t{}\t{}\t{}\t{:.9g}\t{:.9g}\t{:.9g}\t{:.9g}\t{}\n", r.exposure,
                          r.region, r.chrom, r.genome_start + r.effects.position[m], kBases[r.effects.ref[m]],
                          kBases[r.effects.alt[m]], r.effects.beta_exposure[m], r.effects.se_exposure[m],
                          r.effects.beta_outcome[m], r.effects.se_outcome[m], int(r.selected[m]));
        out.commit();
    }
    {
        AtomicOutput out(o.out + "/regions.tsv");
        out.print("exposure\tregion\tmethod\testimate\tse\tpvalue\tintercept\tintercept_se\tn_variants\n");
        for (const RegionResult &r : results)
            out.print("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r.exposure, r.region, method_name,
                      na(r.mr.estimate, "{:.9g}"), na(r.mr.se, "{:.9g}"), na(r.mr.pvalue, "{:.6g}"),
                      na(r.mr.intercept, "{:.9g}"), na(r.mr.intercept_se, "{:.9g}"), r.instruments);
        out.commit();
    }
    const std::string meta_method = fmt::format("{}+{}", method_name, solver::tau_method_name(o.meta));
    {
        AtomicOutput out(o.out + "/exposures.tsv");
        out.print("exposure\tmethod\testimate\tse\tci_low\tci_high\tpvalue\ttau2\ttau\ti2\tq\tk\n");
        for (size_t e = 0; e < o.exposures.size(); ++e) {
            const solver::MetaResult &m = meta[e];
            out.print("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", o.exposures[e], meta_method,
                      na(m.mu, "{:.9g}"), na(m.se, "{:.9g}"), na(m.ci_low, "{:.9g}"), na(m.ci_high, "{:.9g}"),
                      na(meta_pvalue[e]), na(m.tau2, "{:.9g}"), na(m.tau, "{:.9g}"), na(m.i2, "{:.6g}"),
                      na(m.q, "{:.6g}"), m.k);
        }
        out.commit();
    }
    {
        AtomicOutput out(o.out + "/naive.tsv");
        out.print("exposure\toutcome\tregions\tpearson\tslope\n");
        for (size_t e = 0; e < o.exposures.size(); ++e)
            out.print("{}\t{}\t{}\t{}\t{}\n", o.exposures[e], o.outcome, naive_count, na(naive_r[e]),
                      na(naive_slope[e]));
        out.commit();
    }

    // Figures.
    {
        std::vector<DensitySeries> densities{{"all exposures", {}}};
        for (size_t e = 0; e < o.exposures.size(); ++e) {
            densities[0].values.insert(densities[0].values.end(), region_estimates[e].begin(),
                                       region_estimates[e].end());
            densities.push_back({o.exposures[e], region_estimates[e]});
        }
        plot_densities(
            fmt::format("Per-region causal estimates ({}) of binding on {}", method_name, o.outcome),
            "causal estimate (change in P(" + o.outcome + ") per change in P(bound))", densities,
            o.out + "/region_estimates_density");
        std::vector<ExposureBar> bars;
        for (size_t e = 0; e < o.exposures.size(); ++e)
            bars.push_back(
                {o.exposures[e], meta[e].mu, meta[e].ci_low, meta[e].ci_high, meta[e].tau, meta[e].se});
        plot_exposure_estimates(
            fmt::format("Per-exposure causal effects on {} ({}, 95% CI) with tau", o.outcome, meta_method),
            bars, o.out + "/exposure_estimates");
        // The region with the median estimate (the lower middle one for an even count), per exposure.
        std::vector<ScatterPanel> panels;
        for (const auto &exposure : o.exposures) {
            std::vector<const RegionResult *> rs;
            for (const RegionResult &r : results)
                if (r.exposure == exposure && std::isfinite(r.mr.estimate)) rs.push_back(&r);
            if (rs.empty()) continue;
            std::sort(rs.begin(), rs.end(), [](const RegionResult *a, const RegionResult *b) {
                return a->mr.estimate < b->mr.estimate;
            });
            const RegionResult &median = *rs[(rs.size() - 1) / 2];
            ScatterPanel p;
            p.title =
                fmt::format("{}: {} (estimate {:.3g})", median.exposure, median.region, median.mr.estimate);
            for (size_t m = 0; m < median.effects.size(); ++m)
                if (median.selected[m]) {
                    p.x.push_back(median.effects.beta_exposure[m]);
                    p.y.push_back(median.effects.beta_outcome[m]);
                }
            p.slope = median.mr.estimate;
            p.intercept = std::isfinite(median.mr.intercept) ? median.mr.intercept : 0.0;
            panels.push_back(std::move(p));
        }
        if (!panels.empty())
            plot_scatter_panels(
                fmt::format("Median region per exposure: mutation effects and the {} fit", method_name),
                "beta exposure (binding)", "beta outcome (" + o.outcome + ")", panels,
                o.out + "/median_region_scatter");
        if (!truth.empty()) {
            // Against the planted effects (log-odds): Deep MR estimates and naive slopes, with a zero line.
            ScatterPanel mr_panel{"Deep MR (" + meta_method + ")", {}, {}, 0, 0},
                naive_panel{"naive slope of predicted " + o.outcome + " on predicted binding", {}, {}, 0, 0};
            for (const TruthTf &tf : truth) {
                const auto it = std::find(o.exposures.begin(), o.exposures.end(), tf.name);
                if (it == o.exposures.end()) continue;
                const size_t e = static_cast<size_t>(it - o.exposures.begin());
                if (std::isfinite(meta[e].mu)) {
                    mr_panel.x.push_back(tf.effect);
                    mr_panel.y.push_back(meta[e].mu);
                }
                if (std::isfinite(naive_slope[e])) {
                    naive_panel.x.push_back(tf.effect);
                    naive_panel.y.push_back(naive_slope[e]);
                }
            }
            plot_scatter_panels("Per-exposure estimates against the planted effects",
                                "planted effect (log-odds of " + o.outcome + " when bound)",
                                "estimate (probability scale)", {mr_panel, naive_panel},
                                o.out + "/planted_vs_estimated");
        }
    }
    summary.seconds_io += seconds_since(io_start);
    summary.exposures = static_cast<int>(o.exposures.size());
    summary.seconds_total = seconds_since(run_start);

    // summary.md
    {
        AtomicOutput md(o.out + "/summary.md");
        md.print("# Deep MR: {} exposures on {}\n\n", o.exposures.size(), o.outcome);
        md.print("Model `{}`, regions `{}`, labels `{}`; {} regions per exposure (bound by it, seed {}), "
                 "{} MC-dropout samples, per-region {} with instruments |z| >= {} and |beta_exposure| >= {}, "
                 "then random-effects meta-analysis ({}).\n\n",
                 o.model, o.regions, o.labels, o.regions_per_exposure, o.seed, o.samples, method_name,
                 o.min_z, o.min_beta_exposure, solver::tau_method_name(o.meta));
        md.print(
            "## Files\n\n"
            "- `exposures.tsv`: per exposure, the meta-analysed causal estimate, its se and 95% CI, tau^2, "
            "tau, I^2, Q, k\n"
            "- `regions.tsv`: per exposure and region, the MR estimate, se, p-value, intercept and the "
            "number of instruments\n"
            "- `effects.tsv.gz`: per exposure, region and mutation, beta and se of exposure and outcome, "
            "and whether it served as an instrument\n"
            "- `naive.tsv`: per exposure, the correlation and regression slope of predicted {} on predicted "
            "binding across {} regions (the naive, confounded comparison)\n"
            "- `region_estimates_density.png/.svg`: density of per-region estimates, all and per exposure\n"
            "- `exposure_estimates.png/.svg`: per-exposure estimates with 95% CI, tau and se\n"
            "- `median_region_scatter.png/.svg`: beta_outcome against beta_exposure in each exposure's "
            "median region, with the fitted line\n"
            "- `work/`: per-region mutation effects (what a resumed run reads back)\n\n",
            o.outcome, naive_count);
        std::map<std::string, double> planted;
        for (const TruthTf &tf : truth) planted[tf.name] = tf.effect;
        md.print(
            "## Estimates\n\n| exposure |{} Deep MR estimate | 95% CI | tau | k | naive r | naive slope |\n"
            "|---|{}---|---|---|---|---|---|\n",
            truth.empty() ? "" : " planted (log-odds) |", truth.empty() ? "" : "---|");
        for (size_t e = 0; e < o.exposures.size(); ++e) {
            const auto it = planted.find(o.exposures[e]);
            const std::string planted_cell =
                truth.empty() ? "" : (it == planted.end() ? " NA |" : fmt::format(" {:+.2f} |", it->second));
            md.print("| {} |{} {} | [{}, {}] | {} | {} | {} | {} |\n", o.exposures[e], planted_cell,
                     na(meta[e].mu, "{:+.4f}"), na(meta[e].ci_low, "{:+.4f}"), na(meta[e].ci_high, "{:+.4f}"),
                     na(meta[e].tau, "{:.4f}"), meta[e].k, na(naive_r[e], "{:+.3f}"),
                     na(naive_slope[e], "{:+.3f}"));
        }
        if (!truth.empty()) {
            // Against the planted effects: signs of the non-zero ones, rank correlation, coverage of zero.
            std::vector<double> p, mr, naive;
            int nonzero = 0, mr_signs = 0, naive_signs = 0, zeros = 0, covered = 0, naive_nonzero_zero = 0;
            for (size_t e = 0; e < o.exposures.size(); ++e) {
                const auto it = planted.find(o.exposures[e]);
                if (it == planted.end() || !std::isfinite(meta[e].mu)) continue;
                p.push_back(it->second);
                mr.push_back(meta[e].mu);
                naive.push_back(naive_slope[e]);
                if (it->second != 0) {
                    ++nonzero;
                    mr_signs += (meta[e].mu > 0) == (it->second > 0);
                    naive_signs += (naive_slope[e] > 0) == (it->second > 0);
                } else {
                    ++zeros;
                    covered += meta[e].ci_low <= 0 && 0 <= meta[e].ci_high;
                    naive_nonzero_zero += std::abs(naive_r[e]) > 0.1;
                }
            }
            md.print("\n## Against the planted effects (`{}`)\n\n", o.truth);
            md.print("| | Deep MR | naive |\n|---|---|---|\n");
            md.print("| signs right, non-zero effects | {}/{} | {}/{} |\n", mr_signs, nonzero, naive_signs,
                     nonzero);
            md.print("| Spearman(planted, estimate) | {} | {} |\n", na(spearman_correlation(p, mr), "{:.3f}"),
                     na(spearman_correlation(p, naive), "{:.3f}"));
            md.print("| zero effects: 95% CI covers 0 (Deep MR); abs(r) > 0.1 (naive) | {}/{} | {}/{} |\n\n",
                     covered, zeros, naive_nonzero_zero, zeros);
            md.print(
                "Deep MR estimates are on the probability scale (change in P({}) per unit change in "
                "P(bound)); the planted effects are log-odds, so signs and ranks are compared, not values. "
                "The naive comparison is the slope of predicted {} on predicted binding across regions, "
                "confounded by GC content. Figure: `planted_vs_estimated.png/.svg` (both against the planted "
                "effects).\n",
                o.outcome, o.outcome);
        }
        // No timings here: the same inputs and seed give the same bytes, resumed or not (they go to stderr).
        md.print("\n## Run\n\n{} regions, {} mutations, {} as instruments.\n", results.size(),
                 summary.mutants,
                 std::accumulate(results.begin(), results.end(), size_t{0},
                                 [](size_t n, const RegionResult &r) { return n + r.instruments; }));
        // Weak-instrument regions: too few mutations pass the instrument rules for the method to fit.
        std::vector<std::string> weak_per_exposure;
        size_t weak = 0;
        for (const std::string &exposure : o.exposures) {
            const auto count = std::count_if(results.begin(), results.end(), [&](const RegionResult &r) {
                return r.exposure == exposure && r.mr.status == solver::MrStatus::TooFewVariants;
            });
            weak += static_cast<size_t>(count);
            weak_per_exposure.push_back(fmt::format("{} {}", exposure, count));
        }
        md.print(
            "{} of {} regions are weak instruments (fewer than {} mutations with |beta_exposure| >= {}), "
            "left out of the meta-analysis: {}.\n",
            weak, results.size(), solver::mr_min_variants(o.method), o.min_beta_exposure,
            join_list(weak_per_exposure, ", "));
        md.commit();
    }
    return summary;
}

} // namespace causeway::deepmr
