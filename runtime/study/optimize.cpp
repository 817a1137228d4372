#include "causeway/study/optimize.h"
#include "output_folder.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sys/stat.h>
#include <unordered_map>

#include <HalideRuntime.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/progress.h"
#include "causeway/study/epigenesis.h"
#include "causeway/study/plot.h"
#include "causeway/tsv.h"

namespace causeway {

namespace {

// Within 5% of the expression target: |achieved TPM - desired TPM| <= 5% of the desired TPM, with a floor
// of 1e-3 TPM for targets of 0 TPM (genes predicted below 0: 100 x 0 = 0), which no relative bound reaches.
bool within_five_percent(double achieved_log1p, double desired_log1p) {
    const double desired = std::expm1(desired_log1p), achieved = std::expm1(achieved_log1p);
    return std::abs(achieved - desired) <= std::max(0.05 * desired, 1e-3);
}

} // namespace

TargetTable read_target_table(const Dataset &data, const std::string &path) {
    TsvReader in(path);
    const auto &header = in.header();
    if (header.size() < 3 || header[0] != "gene" || header[1] != "cell_type" ||
        (header[2] != "log1p_tpm" && header[2] != "fold"))
        fail("--targets: the header must be 'gene<TAB>cell_type<TAB>log1p_tpm' or "
             "'gene<TAB>cell_type<TAB>fold': {}:1",
             path);
    TargetTable table;
    table.scale = header[2] == "fold" ? TargetTable::Scale::Fold : TargetTable::Scale::Log1pTpm;
    const auto &cells = data.cell_types();
    std::unordered_map<std::string, int64_t> row_of_id;
    std::unordered_map<int64_t, int64_t> index_of_row;
    while (in.next()) {
        const std::string id(in.field(0)), cell(in.field(1));
        auto known = row_of_id.find(id);
        if (known == row_of_id.end()) known = row_of_id.emplace(id, find_gene(data, id)).first;
        if (known->second < 0)
            fail("--targets: gene '{}' is not a gene of the dataset ({}): {}", id,
                 gene_table_path(data.path()), in.where());
        const auto c = std::find(cells.begin(), cells.end(), cell);
        if (c == cells.end())
            fail("--targets: cell type '{}' is not one of the dataset's {}: {}", cell, join_list(cells),
                 in.where());
        const double value = in.number(2);
        if (!std::isfinite(value) || value < 0 || (table.scale == TargetTable::Scale::Fold && value == 0))
            fail("--targets: the {} must be {}: {}", header[2],
                 table.scale == TargetTable::Scale::Fold ? "positive" : "0 or more (log1p of a TPM)",
                 in.where(2));
        auto index = index_of_row.find(known->second);
        if (index == index_of_row.end()) {
            index = index_of_row.emplace(known->second, static_cast<int64_t>(table.genes.size())).first;
            table.genes.push_back(known->second);
            table.values.emplace_back(cells.size(), std::nan(""));
        }
        double &slot = table.values[index->second][c - cells.begin()];
        if (!std::isnan(slot)) fail("--targets: a second target for {} in {}: {}", id, cell, in.where());
        slot = value;
    }
    if (table.genes.empty()) fail("--targets: no target in the file: {}", path);
    return table;
}

std::pair<double, double> smooth_objective(PecnnNetwork &network, const float *w, const float *w0,
                                           const float *targets, int64_t genes, int cells, size_t block,
                                           double l2, float *grad, float *predictions) {
    int64_t known = 0;
    for (int64_t i = 0; i < genes * cells; ++i) known += !std::isnan(targets[i]);
    const size_t size = static_cast<size_t>(genes) * block;
    double squares = 0;
    if (known == 0) {
        network.forward(w, genes, cells, predictions);
        std::fill(grad, grad + size, 0.0f);
    } else {
        // backward()'s loss is the mean over known targets: scale by their count for the sum.
        squares =
            static_cast<double>(network.compute_gradients(w, targets, genes, cells, grad, predictions)) *
            known;
        const auto scale = static_cast<float>(known);
        for (size_t i = 0; i < size; ++i) grad[i] *= scale;
    }
    double penalty = 0;
    if (l2 > 0)
        for (size_t i = 0; i < size; ++i) {
            const double d = static_cast<double>(w[i]) - w0[i];
            penalty += l2 * d * d;
            grad[i] += static_cast<float>(2 * l2 * d);
        }
    return {squares + penalty, squares};
}

InputOptimizerState::InputOptimizerState(const InputOptimizerSettings &settings, size_t size)
    : s_(settings), size_(size), m_(settings.method == InputOptimizer::Adam ? size : 0),
      v_(settings.method == InputOptimizer::Adam ? size : 0) {}

namespace {

// One step over elements [begin, end): Adam (or plain descent), the L1 prox toward W0, W >= 0, and the
// support (elements outside it stay at W0).
struct StepTask {
    const InputOptimizerSettings *s;
    float *w, *m, *v;
    const float *w0, *grad;
    const uint8_t *support;
    double c1, c2;
    size_t size;

    void run(size_t begin, size_t end) const {
        auto prox = [&](size_t i, double x, double step) {
            // The L1 pull toward W0 (soft threshold by l1 x the element's step), then W >= 0: in one
            // dimension, projecting the soft-thresholded value is the prox of their sum.
            double d = x - w0[i];
            const double tau = s->l1 * step;
            d = d > tau ? d - tau : (d < -tau ? d + tau : 0.0);
            w[i] = static_cast<float>(std::max(0.0, w0[i] + d));
        };
        for (size_t i = begin; i < end; ++i) {
            if (support && !support[i]) {
                w[i] = w0[i];
                continue;
            }
            if (s->method == InputOptimizer::Adam) {
                m[i] = static_cast<float>(s->beta1 * m[i] + (1 - s->beta1) * grad[i]);
                v[i] = static_cast<float>(s->beta2 * v[i] + (1 - s->beta2) * double(grad[i]) * grad[i]);
                // The element's effective step: the update is step x bias-corrected m.
                const double step = s->lr / (std::sqrt(v[i] / c2) + s->eps);
                prox(i, w[i] - step * (m[i] / c1), step);
            } else {
                prox(i, w[i] - s->lr * grad[i], s->lr);
            }
        }
    }
};

// Elements per task of the parallel loop: large enough to amortise a task, small enough to balance.
constexpr size_t kStepChunk = 16384;

int run_step_chunk(void *, int chunk, uint8_t *closure) {
    const StepTask &task = *reinterpret_cast<const StepTask *>(closure);
    const size_t begin = static_cast<size_t>(chunk) * kStepChunk;
    task.run(begin, std::min(task.size, begin + kStepChunk));
    return 0;
}

} // namespace

void InputOptimizerState::step(float *w, const float *w0, const float *grad, const uint8_t *support) {
    ++t_;
    StepTask task{&s_,
                  w,
                  m_.data(),
                  v_.data(),
                  w0,
                  grad,
                  support,
                  1 - std::pow(s_.beta1, static_cast<double>(t_)),
                  1 - std::pow(s_.beta2, static_cast<double>(t_)),
                  size_};
    // Element-wise, so any split gives the same bytes; Halide's thread pool (--threads) runs the chunks.
    const int chunks = static_cast<int>((size_ + kStepChunk - 1) / kStepChunk);
    if (chunks <= 1)
        task.run(0, size_);
    else
        halide_do_par_for(nullptr, run_step_chunk, 0, chunks, reinterpret_cast<uint8_t *>(&task));
}

std::vector<double> optimize_mse(const std::vector<double> &squares, int64_t genes, int64_t known) {
    const size_t steps = genes > 0 ? squares.size() / static_cast<size_t>(genes) : 0;
    std::vector<double> mse(steps, 0.0);
    for (int64_t g = 0; g < genes; ++g)
        for (size_t s = 0; s < steps; ++s) mse[s] += squares[g * steps + s];
    for (double &v : mse) v = known ? v / known : 0.0;
    return mse;
}

OptimizeResult optimize_inputs(PecnnNetwork &network, const float *w0, const float *targets, int64_t genes,
                               int cells, int marks, int bins, const InputOptimizerSettings &settings,
                               int batch, Progress *progress, int64_t progress_done) {
    using Clock = std::chrono::steady_clock;
    const size_t block = static_cast<size_t>(cells) * marks * bins;
    OptimizeResult r;
    r.w.assign(w0, w0 + genes * block);
    r.achieved.resize(static_cast<size_t>(genes) * cells);
    // The phases: the L1 phase (or the only one), then with `sparse` the refit on its support.
    InputOptimizerSettings refit = settings;
    refit.l1 = 0;
    const int total_steps = settings.steps + (settings.sparse ? settings.refit_steps : 0);
    // Per gene, so that any split of the genes into runs sums to the same loss.
    const size_t per_gene_steps = static_cast<size_t>(total_steps) + 1;
    r.squares.assign(static_cast<size_t>(genes) * per_gene_steps, 0.0);
    int64_t known = 0;
    for (int64_t i = 0; i < genes * cells; ++i) known += !std::isnan(targets[i]);
    std::vector<float> grad;
    std::vector<uint8_t> support;
    std::optional<Progress> own_progress;
    if (progress == nullptr) progress = &own_progress.emplace("optimize", genes * total_steps);
    for (int64_t first = 0; first < genes; first += batch) {
        const int64_t count = std::min<int64_t>(batch, genes - first);
        const size_t size = static_cast<size_t>(count) * block;
        float *w = r.w.data() + first * block;
        const float *start = w0 + first * block, *y = targets + first * cells;
        float *achieved = r.achieved.data() + first * cells;
        grad.resize(size);
        int done = 0;
        // Each gene's (f(W) - y)^2 over its optimised cell types, from the predictions of step `step`.
        auto record_squares = [&](int step) {
            for (int64_t g = 0; g < count; ++g) {
                double sum = 0;
                for (int c = 0; c < cells; ++c) {
                    const size_t at = static_cast<size_t>(g) * cells + c;
                    if (!std::isnan(y[at])) sum += (achieved[at] - y[at]) * double(achieved[at] - y[at]);
                }
                r.squares[(first + g) * per_gene_steps + step] = sum;
            }
        };
        auto run_phase = [&](const InputOptimizerSettings &phase, int steps, const uint8_t *mask) {
            InputOptimizerState state(phase, size);
            for (int s = 0; s < steps; ++s, ++done) {
                const auto t0 = Clock::now();
                smooth_objective(network, w, start, y, count, cells, block, phase.l2, grad.data(), achieved);
                const auto t1 = Clock::now();
                record_squares(done);
                state.step(w, start, grad.data(), mask);
                r.pass_seconds += std::chrono::duration<double>(t1 - t0).count();
                r.update_seconds += std::chrono::duration<double>(Clock::now() - t1).count();
                progress->update(progress_done + first * total_steps + (done + 1) * count);
            }
        };
        run_phase(settings, settings.steps, nullptr);
        if (settings.sparse) {
            // The support: every (mark, bin) the L1 phase moved off W0 in some cell type (its prox leaves the
            // rest exactly at W0), open in every cell type: the refit may then also hold the cell types that
            // the edit reaches through the invariant pooling, at no extra (mark, bin) entries.
            support.assign(size, 0);
            const size_t track = static_cast<size_t>(marks) * bins;
            for (int64_t g = 0; g < count; ++g)
                for (size_t j = 0; j < track; ++j) {
                    uint8_t moved = 0;
                    for (int c = 0; c < cells; ++c) {
                        const size_t i = g * block + c * track + j;
                        moved |= w[i] != start[i];
                    }
                    for (int c = 0; c < cells; ++c) support[g * block + c * track + j] = moved;
                }
            run_phase(refit, settings.refit_steps, support.data());
        }
        network.forward(w, count, cells, achieved);
        record_squares(total_steps);
    }
    if (own_progress) own_progress->finish();
    r.mse = optimize_mse(r.squares, genes, known);
    return r;
}

OptimizeSummary optimize_expression(const OptimizeOptions &o) {
    if (o.batch < 1) fail("--batch must be at least 1, not {}", o.batch);
    if (o.heatmaps < 0) fail("--heatmaps must be 0 or more, not {}", o.heatmaps);
    if (!(o.fold > 0) || !std::isfinite(o.fold)) fail("--fold must be positive, not {}", o.fold);
    if (o.settings.steps < 1) fail("--steps must be at least 1, not {}", o.settings.steps);
    if (!(o.settings.lr > 0)) fail("--lr must be positive, not {}", o.settings.lr);
    if (o.settings.l1 < 0 || o.settings.l2 < 0)
        fail("--l1 and --l2 must be 0 or more ({}, {})", o.settings.l1, o.settings.l2);
    if (o.from != "predicted" && o.from != "observed")
        fail("--from must be predicted or observed, not {}", o.from);
    if (o.settings.sparse && !(o.settings.l1 > 0))
        fail("--sparse needs --l1 above 0: its L1 phase chooses the entries to edit");
    if (o.settings.sparse && o.settings.refit_steps < 1)
        fail("--refit-steps must be at least 1, not {}", o.settings.refit_steps);
    InputOptimizerSettings settings = o.settings;
    if (o.method == "adam")
        settings.method = InputOptimizer::Adam;
    else if (o.method == "gd")
        settings.method = InputOptimizer::GradientDescent;
    else
        fail("--method must be adam or gd, not {}", o.method);
    PecnnModel model = pecnn_load(o.model);
    Dataset data(o.dataset);
    check_model_fits_dataset(model.config, data, o.model);
    const int C = data.cells(), M = data.marks(), L = data.bins();
    // Per gene and dataset cell type: the desired log1p(TPM) (a fold of the start's TPM), NaN = free.
    TargetTable wanted;
    if (!o.targets.empty()) {
        wanted = read_target_table(data, o.targets);
    } else {
        wanted.scale = TargetTable::Scale::Fold;
        wanted.genes = select_genes(data, o.genes);
        std::vector<double> row(C, std::nan(""));
        for (int c : select_names(data.cell_types(), o.cells, "--cells")) row[c] = o.fold;
        wanted.values.assign(wanted.genes.size(), row);
    }
    const std::vector<int64_t> &genes = wanted.genes;
    const size_t block = static_cast<size_t>(C) * M * L, G = genes.size();
    size_t optimised_cells = 0;
    for (const std::vector<double> &row : wanted.values)
        for (double value : row) optimised_cells += !std::isnan(value);

    study::make_output_folder(o.out_dir);
    const std::string dir = o.out_dir + "/", work = dir + "work";
    const auto &table = data.gene_table();
    std::vector<std::string> work_paths;
    std::string gene_list;
    std::map<std::string, size_t> gene_of_work_file;
    for (size_t g = 0; g < G; ++g) {
        const std::string &id = table[genes[g]].gene_id;
        const std::string name = study::file_safe_name(id) + ".bin";
        const auto [other, inserted] = gene_of_work_file.emplace(name, g);
        if (!inserted)
            fail("{} and {} would share the work file {}/{} (a gene given twice?): {}",
                 table[genes[other->second]].gene_id, id, work, name,
                 o.targets.empty() ? "--genes " + o.genes : o.targets);
        work_paths.push_back(fmt::format("{}/{}", work, name));
        gene_list += id + "\n";
    }
    // What a gene's work file depends on: its batch (the gene list and --batch), its targets and the
    // optimiser; a rerun into the same folder with others would mix results.
    const nlohmann::ordered_json work_settings = {
        {"model", o.model},
        {"model_checksum", file_checksum(o.model)},
        {"dataset", o.dataset},
        {"dataset_checksum", file_checksum(o.dataset)},
        {"genes", text_checksum(gene_list)},
        {"targets", o.targets.empty() ? std::string() : file_checksum(o.targets)},
        {"cells", o.cells},
        {"fold", o.fold},
        {"from", o.from},
        {"method", o.method},
        {"steps", settings.steps},
        {"lr", settings.lr},
        {"l2", settings.l2},
        {"l1", settings.l1},
        {"sparse", settings.sparse},
        {"refit_steps", settings.sparse ? settings.refit_steps : 0},
        {"batch", o.batch}};
    open_work_folder(work, work_settings, work_paths);

    // A gene's work file (raw, exact on reading back): start, desired and achieved [C] and W [C, M, L] as
    // floats, then its sum of squares at each step as doubles.
    const int total_steps = settings.steps + (settings.sparse ? settings.refit_steps : 0);
    const size_t steps1 = static_cast<size_t>(total_steps) + 1;
    const size_t work_floats = 3 * static_cast<size_t>(C) + block;
    const size_t work_bytes = work_floats * sizeof(float) + steps1 * sizeof(double);
    PecnnNetwork network(model);
    OptimizeSummary summary;
    const size_t batches = (G + o.batch - 1) / o.batch;
    const UnitRange units = shard_units(o.shard, batches);
    summary.units = static_cast<int64_t>(batches);
    const size_t shard_first = std::min(G, units.begin * o.batch),
                 shard_last = std::min(G, units.end * o.batch);
    summary.genes = static_cast<int64_t>(shard_last - shard_first);
    const auto t0 = std::chrono::steady_clock::now();
    Progress progress("optimize", summary.genes * total_steps);
    std::string bytes(work_bytes, '\0');
    for (size_t u = units.begin; u < units.end; ++u) {
        const size_t first = u * o.batch, count = std::min<size_t>(o.batch, G - first);
        bool done = true;
        for (size_t g = first; g < first + count; ++g) done = done && std::filesystem::exists(work_paths[g]);
        if (done) {
            ++summary.units_resumed;
            continue;
        }
        // The batch's targets: a fold of the start's TPM (the batch's own prediction of W0, or the observed).
        std::vector<float> w0(count * block), predicted(count * C), start(count * C, 0.0f),
            targets(count * C, std::nanf(""));
        for (size_t i = 0; i < count; ++i)
            std::memcpy(w0.data() + i * block, data.inputs(genes[first + i]), block * sizeof(float));
        network.forward(w0.data(), static_cast<int64_t>(count), C, predicted.data());
        for (size_t i = 0; i < count; ++i)
            for (int c = 0; c < C; ++c) {
                const double value = wanted.values[first + i][c];
                if (std::isnan(value)) continue;
                const float base =
                    o.from == "predicted" ? predicted[i * C + c] : data.targets(genes[first + i])[c];
                start[i * C + c] = base;
                if (wanted.scale == TargetTable::Scale::Log1pTpm)
                    targets[i * C + c] = static_cast<float>(value);
                else if (!std::isnan(base)) // A prediction below 0 means no expression: 0 TPM, so 0 x fold.
                    targets[i * C + c] =
                        static_cast<float>(std::log1p(value * std::max(0.0, std::expm1(double(base)))));
            }
        const OptimizeResult r = optimize_inputs(
            network, w0.data(), targets.data(), static_cast<int64_t>(count), C, M, L, settings, o.batch,
            &progress, static_cast<int64_t>(first - shard_first) * total_steps);
        summary.pass_seconds += r.pass_seconds;
        summary.update_seconds += r.update_seconds;
        summary.genes_computed += static_cast<int64_t>(count);
        for (size_t i = 0; i < count; ++i) {
            char *at = bytes.data();
            auto put = [&](const void *data, size_t size) {
                std::memcpy(at, data, size);
                at += size;
            };
            put(start.data() + i * C, C * sizeof(float));
            put(targets.data() + i * C, C * sizeof(float));
            put(r.achieved.data() + i * C, C * sizeof(float));
            put(r.w.data() + i * block, block * sizeof(float));
            put(r.squares.data() + i * steps1, steps1 * sizeof(double));
            AtomicOutput out(work_paths[first + i]);
            out.write(bytes.data(), bytes.size());
            out.commit();
        }
    }
    progress.finish();
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.shard.enabled()) return summary; // the tables and figures need every gene: causeway merge

    // Every gene from its work file, so that a fresh run, a resumed one and a merge write the same bytes.
    std::vector<float> w0(G * block), w(G * block), start(G * C), targets(G * C), achieved(G * C);
    std::vector<double> squares(G * steps1);
    for (size_t g = 0; g < G; ++g) {
        std::memcpy(w0.data() + g * block, data.inputs(genes[g]), block * sizeof(float));
        bytes = read_work_file(work_paths[g]);
        if (bytes.size() != work_bytes)
            fail("{} is not a work file of this run ({} bytes, not {}): remove it to recompute the gene",
                 work_paths[g], bytes.size(), work_bytes);
        const char *at = bytes.data();
        auto get = [&](void *data, size_t size) {
            std::memcpy(data, at, size);
            at += size;
        };
        get(start.data() + g * C, C * sizeof(float));
        get(targets.data() + g * C, C * sizeof(float));
        get(achieved.data() + g * C, C * sizeof(float));
        get(w.data() + g * block, block * sizeof(float));
        get(squares.data() + g * steps1, steps1 * sizeof(double));
    }
    int64_t known = 0;
    for (float y : targets) known += !std::isnan(y);
    const std::vector<double> mse = optimize_mse(squares, static_cast<int64_t>(G), known);
    summary.genes = static_cast<int64_t>(G);
    summary.final_mse = mse.back();

    const auto &marks = data.mark_names();
    const auto &cells = data.cell_types();
    // Edited entries: W != W0 exactly (the sparse mode's frozen entries and the L1 prox's zeros stay W0).
    auto edited = [&](size_t g, int c, int m, int b) {
        const size_t at = g * block + (static_cast<size_t>(c) * M + m) * L + b;
        return w[at] != w0[at];
    };
    std::vector<int64_t> edited_per_gene(G, 0);
    remove_stale_temporaries({dir + "achieved.tsv", dir + "genes.tsv", dir + "edits.tsv", dir + "loss.tsv",
                              dir + "edits_mean.png", dir + "edits_mean.svg"});
    {
        AtomicOutput out(dir + "achieved.tsv");
        out.print(
            "gene\tcell_type\tstart\tdesired\tachieved\tstart_tpm\tdesired_tpm\tachieved_tpm\twithin_5pct"
            "\tedited\n");
        AtomicOutput per_gene(dir + "genes.tsv");
        per_gene.print("gene\tcell_types\treached\tedited\tedited_values\tedit_l1\n");
        for (size_t g = 0; g < G; ++g) {
            bool all = true;
            int targeted = 0;
            for (int c = 0; c < C; ++c) {
                const size_t at = g * C + c;
                if (std::isnan(targets[at])) continue;
                ++targeted;
                const bool ok = within_five_percent(achieved[at], targets[at]);
                all = all && ok;
                int64_t count = 0;
                for (int m = 0; m < M; ++m)
                    for (int b = 0; b < L; ++b) count += edited(g, c, m, b);
                out.print("{}\t{}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{}\t{}\n",
                          table[genes[g]].gene_id, cells[c], start[at], targets[at], achieved[at],
                          std::expm1(double(start[at])), std::expm1(double(targets[at])),
                          std::expm1(double(achieved[at])), ok ? "yes" : "no", count);
            }
            summary.within += all && targeted > 0;
            // The (mark, bin) entries edited in any cell type, and every edited value.
            int64_t values = 0;
            double l1 = 0;
            for (int m = 0; m < M; ++m)
                for (int b = 0; b < L; ++b) {
                    bool any = false;
                    for (int c = 0; c < C; ++c) {
                        const size_t at = g * block + (static_cast<size_t>(c) * M + m) * L + b;
                        any = any || edited(g, c, m, b);
                        values += edited(g, c, m, b);
                        l1 += std::abs(double(w[at]) - w0[at]);
                    }
                    edited_per_gene[g] += any;
                }
            per_gene.print("{}\t{}\t{}\t{}\t{}\t{:.6g}\n", table[genes[g]].gene_id, targeted,
                           targeted > 0 && all ? "yes" : "no", edited_per_gene[g], values, l1);
        }
        out.commit();
        per_gene.commit();
    }
    if (G > 0) {
        std::vector<int64_t> sorted = edited_per_gene;
        std::sort(sorted.begin(), sorted.end());
        summary.median_edited = G % 2 ? double(sorted[G / 2]) : (sorted[G / 2 - 1] + sorted[G / 2]) / 2.0;
    }
    {
        AtomicOutput out(dir + "edits.tsv");
        out.print("gene\tmark\tbin\tposition");
        for (const std::string &cell : cells) out.print("\t{}", cell);
        out.print("\n");
        const int tss_bin = data.window() / data.bin_size();
        for (size_t g = 0; g < G; ++g)
            for (int m = 0; m < M; ++m)
                for (int b = 0; b < L; ++b) {
                    out.print("{}\t{}\t{}\t{}", table[genes[g]].gene_id, marks[m], b,
                              (b - tss_bin) * data.bin_size());
                    for (int c = 0; c < C; ++c) {
                        const size_t at = g * block + (static_cast<size_t>(c) * M + m) * L + b;
                        out.print("\t{:.6g}", w[at] - w0[at]);
                    }
                    out.print("\n");
                }
        out.commit();
    }
    {
        AtomicOutput out(dir + "loss.tsv");
        out.print("step\tmse\n");
        for (size_t s = 0; s < mse.size(); ++s) out.print("{}\t{:.8g}\n", s, mse[s]);
        out.commit();
    }
    // Figure 2C: W - W0 by mark and bin, averaged over cell types (one gene), and over genes too.
    const int tss_bin = data.window() / data.bin_size();
    auto edit_map = [&](const std::string &title, size_t first, size_t count) {
        Heatmap map;
        map.title = title;
        map.xlabel = "bin start (kb from TSS; dashed: TSS)";
        map.colorbar_label = "W - W#d0#u (log1p -log10 p)";
        map.columns = L;
        map.x0 = -tss_bin * data.bin_size() / 1000.0;
        map.dx = data.bin_size() / 1000.0;
        for (int m = 0; m < M; ++m) {
            map.rows.push_back(marks[m]);
            for (int b = 0; b < L; ++b) {
                double sum = 0;
                for (size_t g = first; g < first + count; ++g)
                    for (int c = 0; c < C; ++c) {
                        const size_t at = g * block + (static_cast<size_t>(c) * M + m) * L + b;
                        sum += w[at] - w0[at];
                    }
                map.values.push_back(sum / (static_cast<double>(count) * C));
            }
        }
        return map;
    };
    const std::string goal =
        !o.targets.empty()
            ? fmt::format("the targets of {} ({} gene x cell type pairs)", o.targets, optimised_cells)
            : fmt::format("{:g}-fold {} expression in {} cell type{}", o.fold, o.from,
                          optimised_cells / std::max<size_t>(G, 1), optimised_cells == G ? "" : "s");
    plot_heatmap(
        edit_map(
            fmt::format("W - W0 after optimising {} genes to {} (mean over genes and cell types)", G, goal),
            0, G),
        dir + "edits_mean");
    const size_t figures = std::min<size_t>(G, static_cast<size_t>(o.heatmaps));
    if (figures > 0) study::make_output_folder(dir + "heatmaps");
    std::vector<std::string> heatmap_paths;
    for (size_t g = 0; g < figures; ++g)
        for (const char *ext : {".png", ".svg"})
            heatmap_paths.push_back(dir + "heatmaps/" + study::file_safe_name(table[genes[g]].gene_id) + ext);
    remove_stale_temporaries(heatmap_paths);
    for (size_t g = 0; g < figures; ++g)
        plot_heatmap(edit_map(fmt::format("{}: W - W0 after optimising to {} (mean over cell types)",
                                          table[genes[g]].gene_id, goal),
                              g, 1),
                     dir + "heatmaps/" + study::file_safe_name(table[genes[g]].gene_id));
    return summary;
}

} // namespace causeway
