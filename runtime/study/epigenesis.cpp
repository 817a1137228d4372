#include "causeway/study/epigenesis.h"
#include "output_folder.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sys/stat.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/paths.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/progress.h"
#include "causeway/study/plot.h"

namespace causeway {

namespace {

std::string strip_version(const std::string &id) {
    const size_t dot = id.rfind('.');
    return dot == std::string::npos ? id : id.substr(0, dot);
}

std::vector<std::string> comma_items(const std::string &text) {
    std::vector<std::string> items;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        std::string item = text.substr(start, comma - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t\r") + 1);
        if (!item.empty()) items.push_back(item);
        start = comma + 1;
    }
    return items;
}

// Linear interpolation between order statistics (numpy's default).
double quantile(std::vector<double> &sorted, double q) {
    if (sorted.empty()) return std::nan("");
    const double at = q * (sorted.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(at)), hi = std::min(lo + 1, sorted.size() - 1);
    return sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);
}

// File names from gene ids: anything but [A-Za-z0-9._-] becomes '_'.
} // namespace

int64_t find_gene(const Dataset &data, const std::string &id) {
    const auto &table = data.gene_table();
    for (int64_t g = 0; g < data.genes(); ++g)
        if (table[g].gene_id == id || strip_version(table[g].gene_id) == strip_version(id)) return g;
    return -1;
}

std::vector<int64_t> select_genes(const Dataset &data, const std::string &spec) {
    std::vector<int64_t> rows;
    if (spec == "all") {
        for (int64_t g = 0; g < data.genes(); ++g) rows.push_back(g);
        return rows;
    }
    std::vector<std::string> ids;
    std::string source = "--genes";
    if (!spec.empty() && spec[0] == '@') {
        source = spec.substr(1);
        std::ifstream in(source);
        if (!in) fail("--genes: cannot read gene list: {}: {}", source, std::strerror(errno));
        std::string line;
        while (std::getline(in, line)) {
            line = line.substr(0, line.find('#'));
            for (std::string &id : comma_items(line)) ids.push_back(id);
        }
    } else {
        ids = comma_items(spec);
    }
    if (ids.empty()) fail("--genes: no gene named: {}", spec.empty() ? "''" : spec);
    for (const std::string &id : ids) {
        const int64_t found = find_gene(data, id);
        if (found < 0) fail("--genes: {} is not a gene of the dataset: {}", id, gene_table_path(data.path()));
        rows.push_back(found);
    }
    return rows;
}

std::vector<int> select_names(const std::vector<std::string> &names, const std::string &spec,
                              const std::string &option) {
    std::vector<int> indices;
    if (spec.empty()) {
        for (int i = 0; i < static_cast<int>(names.size()); ++i) indices.push_back(i);
        return indices;
    }
    for (const std::string &name : comma_items(spec)) {
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end())
            fail("{}: '{}' is not one of the dataset's {}", option, name, join_list(names));
        indices.push_back(static_cast<int>(it - names.begin()));
    }
    return indices;
}

std::vector<int> peak_starts(int bins, int peak_bins, int stride_bins) {
    std::vector<int> starts;
    for (int b = 0; b + peak_bins <= bins; b += stride_bins) starts.push_back(b);
    return starts;
}

float peak_input_value(PeakValue value) {
    // p = 1e-20: -log10 p = 20, and the inputs are log1p of -log10 p.
    return value == PeakValue::Log1p20 ? static_cast<float>(std::log1p(20.0)) : 20.0f;
}

int64_t perturbations_per_gene(const EpigenesisPlan &plan, int bins) {
    const int64_t targets = plan.scope == PeakScope::AllCells ? 1 : static_cast<int64_t>(plan.cells.size());
    return static_cast<int64_t>(plan.marks.size()) * targets *
           (1 + static_cast<int64_t>(peak_starts(bins, plan.peak_bins, plan.stride_bins).size()));
}

void build_perturbations(const EpigenesisPlan &plan, const float *gene, int cells, int marks, int bins,
                         float *out) {
    const std::vector<int> starts = peak_starts(bins, plan.peak_bins, plan.stride_bins);
    const size_t block = static_cast<size_t>(cells) * marks * bins;
    const float peak = peak_input_value(plan.peak_value);
    std::vector<int> all_cells(cells);
    for (int c = 0; c < cells; ++c) all_cells[c] = c;
    const size_t targets = plan.scope == PeakScope::AllCells ? 1 : plan.cells.size();
    for (int m : plan.marks)
        for (size_t t = 0; t < targets; ++t) {
            // The cell types whose track is ablated and receives the peak.
            const std::vector<int> touched =
                plan.scope == PeakScope::AllCells ? all_cells : std::vector<int>{plan.cells[t]};
            for (size_t k = 0; k <= starts.size(); ++k, out += block) {
                std::memcpy(out, gene, block * sizeof(float));
                for (int c : touched) {
                    float *track = out + (static_cast<size_t>(c) * marks + m) * bins;
                    const float *source = gene + (static_cast<size_t>(c) * marks + m) * bins;
                    const float background = plan.background == AblationBackground::Zero
                                                 ? 0.0f
                                                 : *std::min_element(source, source + bins);
                    std::fill(track, track + bins, background);
                    // k = 0 is the ablated baseline; k >= 1 places the peak at starts[k - 1].
                    if (k > 0) std::fill(track + starts[k - 1], track + starts[k - 1] + plan.peak_bins, peak);
                }
            }
        }
}

EpigenesisResult run_epigenesis(PecnnNetwork &network, const Dataset &data, const std::vector<int64_t> &genes,
                                const EpigenesisPlan &plan, int batch, bool show_progress) {
    const int C = data.cells(), M = data.marks(), L = data.bins();
    const std::vector<int> starts = peak_starts(L, plan.peak_bins, plan.stride_bins);
    const int P = static_cast<int>(starts.size());
    const int64_t per_gene = perturbations_per_gene(plan, L);
    const size_t block = static_cast<size_t>(C) * M * L;
    const size_t nm = plan.marks.size(), nc = plan.cells.size();
    EpigenesisResult r;
    r.genes = genes;
    // The window's bin `window / bin_size` starts at the TSS.
    const int tss_bin = data.window() / data.bin_size();
    for (int s : starts) r.positions.push_back((s - tss_bin) * data.bin_size());
    r.predicted.resize(genes.size() * nm * nc * P);
    r.delta.resize(r.predicted.size());
    r.baseline.resize(genes.size() * nm * nc);
    std::vector<float> inputs, predictions;
    std::optional<Progress> progress;
    if (show_progress) progress.emplace("epigenesis", static_cast<int64_t>(genes.size()));
    for (size_t first = 0; first < genes.size(); first += batch) {
        const size_t count = std::min<size_t>(batch, genes.size() - first);
        inputs.resize(count * per_gene * block);
        predictions.resize(count * per_gene * C);
        for (size_t i = 0; i < count; ++i)
            build_perturbations(plan, data.inputs(genes[first + i]), C, M, L,
                                inputs.data() + i * per_gene * block);
        network.forward(inputs.data(), static_cast<int64_t>(count * per_gene), C, predictions.data());
        for (size_t i = 0; i < count; ++i) {
            const size_t g = first + i;
            const float *pred = predictions.data() + i * per_gene * C;
            for (size_t m = 0; m < nm; ++m)
                for (size_t ci = 0; ci < nc; ++ci) {
                    const int cell = plan.cells[ci];
                    // Where this (mark, cell)'s run of 1 + P inputs starts.
                    const size_t run = plan.scope == PeakScope::AllCells ? m : m * nc + ci;
                    const float *p = pred + run * (1 + P) * C;
                    const float base = p[cell];
                    r.baseline[(g * nm + m) * nc + ci] = base;
                    for (int k = 0; k < P; ++k) {
                        const size_t at = ((g * nm + m) * nc + ci) * P + k;
                        r.predicted[at] = p[(1 + k) * C + cell];
                        r.delta[at] = r.predicted[at] - base;
                    }
                }
        }
        if (progress) progress->update(static_cast<int64_t>(first + count));
    }
    if (progress) progress->finish();
    return r;
}

std::vector<RuleRecovery> read_planted_rules(const std::string &truth_path) {
    std::ifstream in(truth_path);
    if (!in) fail("--truth: cannot read {}: {}", truth_path, std::strerror(errno));
    nlohmann::json truth;
    try {
        truth = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception &e) {
        fail("--truth: not JSON: {}: {}", truth_path, e.what());
    }
    if (!truth.contains("marks") || !truth["marks"].is_array())
        fail("--truth: no 'marks' array of planted rules: {}", truth_path);
    std::vector<RuleRecovery> rules;
    for (const auto &rule : truth["marks"]) {
        RuleRecovery r;
        try {
            r.mark = rule.at("mark").get<std::string>();
            r.effect = rule.at("effect").get<std::string>();
            r.region_begin = rule.at("region_bp").at(0).get<int>();
            r.region_end = rule.at("region_bp").at(1).get<int>();
        } catch (const nlohmann::json::exception &e) {
            fail("--truth: a rule lacks mark, effect or region_bp: {}: {}", truth_path, e.what());
        }
        if (r.effect != "raises" && r.effect != "lowers")
            fail("--truth: effect '{}' of {} is neither raises nor lowers: {}", r.effect, r.mark, truth_path);
        rules.push_back(r);
    }
    return rules;
}

std::vector<RuleRecovery> score_planted_rules(const std::vector<RuleRecovery> &planted,
                                              const std::vector<std::string> &marks,
                                              const std::vector<int> &positions, int peak_bp,
                                              const std::vector<std::vector<double>> &mean) {
    std::vector<RuleRecovery> rules;
    for (RuleRecovery r : planted) {
        const auto m = std::find(marks.begin(), marks.end(), r.mark);
        if (m == marks.end()) continue; // a mark this run did not perturb
        const std::vector<double> &values = mean[m - marks.begin()];
        const double sign = r.effect == "raises" ? 1 : -1;
        double right = 0, other = 0;
        for (size_t k = 0; k < positions.size(); ++k) {
            const double v = values[k];
            if (std::abs(v) > std::abs(r.change) || k == 0) {
                r.change = v;
                r.position = positions[k];
            }
            const bool inside = positions[k] < r.region_end && positions[k] + peak_bp > r.region_begin;
            if (inside && sign * v > 0)
                right = std::max(right, std::abs(v));
            else
                other = std::max(other, std::abs(v));
        }
        r.sign_ok = sign * r.change > 0;
        r.place_ok = r.position < r.region_end && r.position + peak_bp > r.region_begin;
        r.margin = other > 0 ? right / other : (right > 0 ? INFINITY : 0);
        rules.push_back(r);
    }
    return rules;
}

namespace {

// A gene's work file: its predicted and delta [marks, cells, positions], then baseline [marks, cells], as
// raw floats (exact on reading back).
std::string gene_work_path(const std::string &work, const Dataset &data, int64_t gene) {
    return work + "/" + study::file_safe_name(data.gene_table()[gene].gene_id) + ".f32";
}

// Runs the plan in batches of o.batch genes over the shard's batches, each gene's results written to its
// work file as soon as its batch is done; returns every gene's results read back from work/ (none for a
// shard). A batch whose genes all have work files is not recomputed.
EpigenesisResult epigenesis_work(PecnnNetwork &network, const Dataset &data,
                                 const std::vector<int64_t> &genes, const EpigenesisPlan &plan,
                                 const EpigenesisOptions &o, const std::string &work,
                                 EpigenesisSummary &summary) {
    study::make_output_folder(work);
    // What the work files depend on; a rerun into the same folder with other settings would mix results.
    struct stat model_stat {};
    ::stat(o.model.c_str(), &model_stat);
    const nlohmann::ordered_json settings = {{"model", o.model},
                                             {"model_bytes", static_cast<int64_t>(model_stat.st_size)},
                                             {"model_mtime", static_cast<int64_t>(model_stat.st_mtime)},
                                             {"dataset", o.dataset},
                                             {"marks", plan.marks},
                                             {"cells", plan.cells},
                                             {"peak_value", o.peak_value},
                                             {"scope", o.scope},
                                             {"background", o.background},
                                             {"peak_bp", o.peak_bp},
                                             {"stride_bp", o.stride_bp},
                                             {"batch", o.batch}};
    // Also removes the temporaries a SIGKILL left beside the work files.
    std::vector<std::string> work_files;
    work_files.reserve(genes.size());
    for (int64_t g : genes) work_files.push_back(gene_work_path(work, data, g));
    open_work_folder(work, settings, work_files);

    const size_t nm = plan.marks.size(), nc = plan.cells.size();
    const size_t P = peak_starts(data.bins(), plan.peak_bins, plan.stride_bins).size();
    const size_t per_gene = 2 * nm * nc * P + nm * nc; // floats in a work file
    const size_t batches = (genes.size() + o.batch - 1) / o.batch;
    const UnitRange units = shard_units(o.shard, batches);
    summary.units = static_cast<int64_t>(batches);
    const auto t0 = std::chrono::steady_clock::now();
    Progress progress("epigenesis", static_cast<int64_t>(units.size()));
    std::vector<float> floats(per_gene);
    for (size_t b = units.begin; b < units.end; ++b) {
        const size_t first = b * o.batch, last = std::min(genes.size(), first + o.batch);
        const std::vector<int64_t> batch(genes.begin() + first, genes.begin() + last);
        bool done = true;
        for (int64_t g : batch) done = done && file_exists(gene_work_path(work, data, g));
        summary.genes += static_cast<int64_t>(batch.size());
        if (done) {
            ++summary.units_resumed;
        } else {
            const EpigenesisResult part = run_epigenesis(network, data, batch, plan, o.batch, false);
            summary.evaluations +=
                static_cast<int64_t>(batch.size()) * perturbations_per_gene(plan, data.bins());
            for (size_t i = 0; i < batch.size(); ++i) {
                const size_t values = nm * nc * P;
                std::copy_n(part.predicted.begin() + i * values, values, floats.begin());
                std::copy_n(part.delta.begin() + i * values, values, floats.begin() + values);
                std::copy_n(part.baseline.begin() + i * nm * nc, nm * nc, floats.begin() + 2 * values);
                AtomicOutput out(gene_work_path(work, data, batch[i]));
                out.write(floats.data(), floats.size() * sizeof(float));
                out.commit();
            }
        }
        progress.update(static_cast<int64_t>(b + 1 - units.begin));
    }
    progress.finish();
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EpigenesisResult r;
    if (o.shard.enabled()) return r;

    // Every gene from its work file, so that a fresh run and a resumed one write the same bytes.
    r.genes = genes;
    const int tss_bin = data.window() / data.bin_size();
    for (int s : peak_starts(data.bins(), plan.peak_bins, plan.stride_bins))
        r.positions.push_back((s - tss_bin) * data.bin_size());
    r.predicted.resize(genes.size() * nm * nc * P);
    r.delta.resize(r.predicted.size());
    r.baseline.resize(genes.size() * nm * nc);
    for (size_t g = 0; g < genes.size(); ++g) {
        const std::string path = gene_work_path(work, data, genes[g]);
        std::FILE *f = std::fopen(path.c_str(), "rb");
        if (!f) fail("cannot open {}: {}", path, std::strerror(errno));
        const size_t got = std::fread(floats.data(), sizeof(float), per_gene, f);
        const bool longer = std::fgetc(f) != EOF;
        std::fclose(f);
        if (got != per_gene || longer)
            fail("{} is not a work file of this run ({} floats expected): remove it to recompute the gene",
                 path, per_gene);
        const size_t values = nm * nc * P;
        std::copy_n(floats.begin(), values, r.predicted.begin() + g * values);
        std::copy_n(floats.begin() + values, values, r.delta.begin() + g * values);
        std::copy_n(floats.begin() + 2 * values, nm * nc, r.baseline.begin() + g * nm * nc);
    }
    return r;
}

} // namespace

EpigenesisSummary epigenesis(const EpigenesisOptions &o) {
    if (o.batch < 1) fail("--batch must be at least 1, not {}", o.batch);
    if (o.heatmaps < 0) fail("--heatmaps must be 0 or more, not {}", o.heatmaps);
    PecnnModel model = pecnn_load(o.model);
    Dataset data(o.dataset);
    check_model_fits_dataset(model.config, data, o.model);
    EpigenesisPlan plan;
    plan.marks = select_names(data.mark_names(), o.marks, "--marks");
    plan.cells = select_names(data.cell_types(), o.cells, "--cells");
    if (o.peak_value == "log1p20")
        plan.peak_value = PeakValue::Log1p20;
    else if (o.peak_value == "raw20")
        plan.peak_value = PeakValue::Raw20;
    else
        fail("--peak-value must be log1p20 or raw20, not {}", o.peak_value);
    if (o.scope == "all-cells")
        plan.scope = PeakScope::AllCells;
    else if (o.scope == "one-cell")
        plan.scope = PeakScope::OneCell;
    else
        fail("--scope must be all-cells or one-cell, not {}", o.scope);
    if (o.background == "zero")
        plan.background = AblationBackground::Zero;
    else if (o.background == "gene-min")
        plan.background = AblationBackground::GeneMinimum;
    else
        fail("--background must be zero or gene-min, not {}", o.background);
    const int bin = data.bin_size();
    if (o.peak_bp < bin || o.peak_bp % bin || o.stride_bp < bin || o.stride_bp % bin)
        fail("--peak-bp and --stride-bp must be positive multiples of the dataset's bin size {} ({}, {}): {}",
             bin, o.peak_bp, o.stride_bp, o.dataset);
    plan.peak_bins = o.peak_bp / bin;
    plan.stride_bins = o.stride_bp / bin;
    if (plan.peak_bins > data.bins())
        fail("--peak-bp {} is longer than the window ({} bins of {} bp): {}", o.peak_bp, data.bins(), bin,
             o.dataset);
    const std::vector<int64_t> genes = select_genes(data, o.genes);
    const std::vector<RuleRecovery> planted =
        o.truth.empty() ? std::vector<RuleRecovery>{} : read_planted_rules(o.truth);

    PecnnNetwork network(model);
    study::make_output_folder(o.out_dir);
    const std::string dir = o.out_dir + "/";
    EpigenesisSummary summary;
    const EpigenesisResult r = epigenesis_work(network, data, genes, plan, o, dir + "work", summary);
    if (o.shard.enabled()) return summary; // the tables and figures need every gene: causeway merge

    remove_stale_temporaries({dir + "epigenesis.tsv", dir + "aggregate.tsv", dir + "aggregate.png",
                              dir + "aggregate.svg", dir + "rules.tsv"});
    const size_t nm = plan.marks.size(), nc = plan.cells.size(), P = r.positions.size();
    const auto &marks = data.mark_names();
    const auto &cells = data.cell_types();
    {
        AtomicOutput out(dir + "epigenesis.tsv");
        out.print("gene\tmark\tcell_type\tposition\tpredicted\tdelta\n");
        for (size_t g = 0; g < genes.size(); ++g)
            for (size_t m = 0; m < nm; ++m)
                for (size_t c = 0; c < nc; ++c)
                    for (size_t k = 0; k < P; ++k) {
                        const size_t at = ((g * nm + m) * nc + c) * P + k;
                        out.print("{}\t{}\t{}\t{}\t{:.6g}\t{:.6g}\n", data.gene_table()[genes[g]].gene_id,
                                  marks[plan.marks[m]], cells[plan.cells[c]], r.positions[k], r.predicted[at],
                                  r.delta[at]);
                    }
        out.commit();
    }
    // The aggregate: every (gene, cell type) delta at a mark and position.
    BandChart chart;
    chart.title = fmt::format("In-silico epigenesis: {} genes x {} cell types, peak {}, background {}",
                              genes.size(), nc, o.peak_value, o.background);
    chart.band_label = "line: mean; band: 25th-75th percentile; dashed: TSS";
    chart.xlabel = "peak centre (kb from TSS)";
    chart.ylabel = "#gD predicted log1p(TPM)";
    std::vector<std::vector<double>> means(nm, std::vector<double>(P));
    {
        AtomicOutput out(dir + "aggregate.tsv");
        out.print("mark\tposition\tmean\tsd\tq25\tmedian\tq75\tn\n");
        std::vector<double> values;
        for (size_t m = 0; m < nm; ++m) {
            BandPanel panel;
            panel.title = marks[plan.marks[m]];
            for (size_t k = 0; k < P; ++k) {
                values.clear();
                for (size_t g = 0; g < genes.size(); ++g)
                    for (size_t c = 0; c < nc; ++c)
                        values.push_back(r.delta[((g * nm + m) * nc + c) * P + k]);
                double sum = 0, squares = 0;
                for (double v : values) sum += v;
                const double mean = sum / values.size();
                means[m][k] = mean;
                for (double v : values) squares += (v - mean) * (v - mean);
                const double sd = values.size() > 1 ? std::sqrt(squares / (values.size() - 1)) : 0.0;
                std::sort(values.begin(), values.end());
                const double q25 = quantile(values, 0.25), median = quantile(values, 0.5),
                             q75 = quantile(values, 0.75);
                out.print("{}\t{}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{}\n", panel.title, r.positions[k],
                          mean, sd, q25, median, q75, values.size());
                panel.x.push_back((r.positions[k] + o.peak_bp / 2.0) / 1000);
                panel.centre.push_back(mean);
                panel.low.push_back(q25);
                panel.high.push_back(q75);
            }
            chart.panels.push_back(std::move(panel));
        }
        out.commit();
    }
    plot_band_chart(chart, dir + "aggregate");
    if (!o.truth.empty()) {
        std::vector<std::string> perturbed;
        for (int m : plan.marks) perturbed.push_back(marks[m]);
        summary.rules = score_planted_rules(planted, perturbed, r.positions, o.peak_bp, means);
        AtomicOutput out(dir + "rules.tsv");
        out.print("mark\teffect\tregion_begin\tregion_end\tposition\tchange\tsign_ok\tplace_ok\tmargin\t"
                  "recovered\n");
        for (const RuleRecovery &rule : summary.rules)
            out.print("{}\t{}\t{}\t{}\t{}\t{:.6g}\t{}\t{}\t{:.4g}\t{}\n", rule.mark, rule.effect,
                      rule.region_begin, rule.region_end, rule.position, rule.change,
                      rule.sign_ok ? "yes" : "no", rule.place_ok ? "yes" : "no", rule.margin,
                      rule.sign_ok && rule.place_ok ? "yes" : "no");
        out.commit();
    }
    const size_t figures = std::min<size_t>(genes.size(), static_cast<size_t>(o.heatmaps));
    if (figures > 0) study::make_output_folder(dir + "heatmaps");
    for (size_t g = 0; g < figures; ++g) {
        // Figure 2B: marks by peak position, the change averaged over the selected cell types.
        Heatmap map;
        const std::string &id = data.gene_table()[genes[g]].gene_id;
        map.title = fmt::format("{}: change in prediction, 1 kb peak ({}) vs the ablated mark; mean of {} "
                                "cell type{}",
                                id, o.peak_value, nc, nc == 1 ? "" : "s");
        map.xlabel = "peak start (kb from TSS; dashed: TSS)";
        map.colorbar_label = "#gD log1p(TPM)";
        map.columns = static_cast<int>(P);
        map.x0 = r.positions.front() / 1000.0;
        map.dx = o.stride_bp / 1000.0;
        for (size_t m = 0; m < nm; ++m) {
            map.rows.push_back(marks[plan.marks[m]]);
            for (size_t k = 0; k < P; ++k) {
                double sum = 0;
                for (size_t c = 0; c < nc; ++c) sum += r.delta[((g * nm + m) * nc + c) * P + k];
                map.values.push_back(sum / nc);
            }
        }
        plot_heatmap(map, dir + "heatmaps/" + study::file_safe_name(id));
    }
    return summary;
}

} // namespace causeway
