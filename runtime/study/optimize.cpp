#include "causeway/study/optimize.h"
#include "output_folder.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <sys/stat.h>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/progress.h"
#include "causeway/study/epigenesis.h"
#include "causeway/study/plot.h"

namespace causeway {

namespace {

// Within 5% of the expression target: |achieved TPM - desired TPM| <= 5% of the desired TPM, with a floor
// of 1e-3 TPM for targets of 0 TPM (genes predicted below 0: 100 x 0 = 0), which no relative bound reaches.
bool within_five_percent(double achieved_log1p, double desired_log1p) {
    const double desired = std::expm1(desired_log1p), achieved = std::expm1(achieved_log1p);
    return std::abs(achieved - desired) <= std::max(0.05 * desired, 1e-3);
}

} // namespace

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
        const float scale = static_cast<float>(known);
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

void InputOptimizerState::step(float *w, const float *w0, const float *grad) {
    ++t_;
    const double c1 = 1 - std::pow(s_.beta1, static_cast<double>(t_)),
                 c2 = 1 - std::pow(s_.beta2, static_cast<double>(t_));
    auto prox = [&](size_t i, double x, double step) {
        // The L1 pull toward W0 (soft threshold by l1 x the element's step), then W >= 0: in one
        // dimension, projecting the soft-thresholded value is the prox of their sum.
        double d = x - w0[i];
        const double tau = s_.l1 * step;
        d = d > tau ? d - tau : (d < -tau ? d + tau : 0.0);
        w[i] = static_cast<float>(std::max(0.0, w0[i] + d));
    };
    if (s_.method == InputOptimizer::Adam) {
        for (size_t i = 0; i < size_; ++i) {
            m_[i] = static_cast<float>(s_.beta1 * m_[i] + (1 - s_.beta1) * grad[i]);
            v_[i] = static_cast<float>(s_.beta2 * v_[i] + (1 - s_.beta2) * double(grad[i]) * grad[i]);
            // The element's effective step: the update is step x bias-corrected m.
            const double step = s_.lr / (std::sqrt(v_[i] / c2) + s_.eps);
            prox(i, w[i] - step * (m_[i] / c1), step);
        }
    } else {
        for (size_t i = 0; i < size_; ++i) prox(i, w[i] - s_.lr * grad[i], s_.lr);
    }
}

OptimizeResult optimize_inputs(PecnnNetwork &network, const float *w0, const float *targets, int64_t genes,
                               int cells, int marks, int bins, const InputOptimizerSettings &settings,
                               int batch) {
    const size_t block = static_cast<size_t>(cells) * marks * bins;
    OptimizeResult r;
    r.w.assign(w0, w0 + genes * block);
    r.achieved.resize(static_cast<size_t>(genes) * cells);
    std::vector<double> squares(settings.steps + 1, 0.0);
    int64_t known = 0;
    for (int64_t i = 0; i < genes * cells; ++i) known += !std::isnan(targets[i]);
    std::vector<float> grad;
    Progress progress("optimize", genes * settings.steps);
    for (int64_t first = 0; first < genes; first += batch) {
        const int64_t count = std::min<int64_t>(batch, genes - first);
        const size_t size = static_cast<size_t>(count) * block;
        float *w = r.w.data() + first * block;
        const float *start = w0 + first * block, *y = targets + first * cells;
        float *achieved = r.achieved.data() + first * cells;
        grad.resize(size);
        InputOptimizerState state(settings, size);
        for (int s = 0; s < settings.steps; ++s) {
            squares[s] += smooth_objective(network, w, start, y, count, cells, block, settings.l2,
                                           grad.data(), achieved)
                              .second;
            state.step(w, start, grad.data());
            progress.update(first * settings.steps + (s + 1) * count);
        }
        network.forward(w, count, cells, achieved);
        for (int64_t i = 0; i < count * cells; ++i)
            if (!std::isnan(y[i]))
                squares[settings.steps] += (achieved[i] - y[i]) * double(achieved[i] - y[i]);
    }
    progress.finish();
    for (double v : squares) r.mse.push_back(known ? v / known : 0.0);
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
    const std::vector<int64_t> genes = select_genes(data, o.genes);
    const std::vector<int> chosen = select_names(data.cell_types(), o.cells, "--cells");
    const int C = data.cells(), M = data.marks(), L = data.bins();
    const size_t block = static_cast<size_t>(C) * M * L, G = genes.size();

    std::vector<float> w0(G * block), start(G * C), targets(G * C, std::nanf(""));
    for (size_t g = 0; g < G; ++g)
        std::memcpy(w0.data() + g * block, data.inputs(genes[g]), block * sizeof(float));
    PecnnNetwork network(model);
    std::vector<float> predicted(G * C);
    network.forward(w0.data(), static_cast<int64_t>(G), C, predicted.data());
    for (size_t g = 0; g < G; ++g)
        for (int c : chosen) {
            const float base = o.from == "predicted" ? predicted[g * C + c] : data.targets(genes[g])[c];
            start[g * C + c] = base;
            // A prediction below 0 means no expression: 0 TPM, so the target is 0 too.
            if (!std::isnan(base))
                targets[g * C + c] =
                    static_cast<float>(std::log1p(o.fold * std::max(0.0, std::expm1(double(base)))));
        }
    const auto t0 = std::chrono::steady_clock::now();
    const OptimizeResult r = optimize_inputs(network, w0.data(), targets.data(), static_cast<int64_t>(G), C,
                                             M, L, settings, o.batch);
    OptimizeSummary summary;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    summary.genes = static_cast<int64_t>(G);
    summary.final_mse = r.mse.back();

    const auto &table = data.gene_table();
    const auto &marks = data.mark_names();
    const auto &cells = data.cell_types();
    study::make_output_folder(o.out_dir);
    const std::string dir = o.out_dir + "/";
    {
        AtomicOutput out(dir + "achieved.tsv");
        out.print(
            "gene\tcell_type\tstart\tdesired\tachieved\tstart_tpm\tdesired_tpm\tachieved_tpm\twithin_5pct\n");
        for (size_t g = 0; g < G; ++g) {
            bool all = true;
            for (int c : chosen) {
                const size_t at = g * C + c;
                if (std::isnan(targets[at])) continue;
                const bool ok = within_five_percent(r.achieved[at], targets[at]);
                all = all && ok;
                out.print("{}\t{}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{:.6g}\t{}\n",
                          table[genes[g]].gene_id, cells[c], start[at], targets[at], r.achieved[at],
                          std::expm1(double(start[at])), std::expm1(double(targets[at])),
                          std::expm1(double(r.achieved[at])), ok ? "yes" : "no");
            }
            summary.within += all;
        }
        out.commit();
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
                        out.print("\t{:.6g}", r.w[at] - w0[at]);
                    }
                    out.print("\n");
                }
        out.commit();
    }
    {
        AtomicOutput out(dir + "loss.tsv");
        out.print("step\tmse\n");
        for (size_t s = 0; s < r.mse.size(); ++s) out.print("{}\t{:.8g}\n", s, r.mse[s]);
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
                        sum += r.w[at] - w0[at];
                    }
                map.values.push_back(sum / (static_cast<double>(count) * C));
            }
        }
        return map;
    };
    const std::string goal = fmt::format("{:g}-fold {} expression in {} cell type{}", o.fold, o.from,
                                         chosen.size(), chosen.size() == 1 ? "" : "s");
    plot_heatmap(
        edit_map(
            fmt::format("W - W0 after optimising {} genes to {} (mean over genes and cell types)", G, goal),
            0, G),
        dir + "edits_mean");
    const size_t figures = std::min<size_t>(G, static_cast<size_t>(o.heatmaps));
    if (figures > 0) study::make_output_folder(dir + "heatmaps");
    for (size_t g = 0; g < figures; ++g)
        plot_heatmap(edit_map(fmt::format("{}: W - W0 after optimising to {} (mean over cell types)",
                                          table[genes[g]].gene_id, goal),
                              g, 1),
                     dir + "heatmaps/" + study::file_safe_name(table[genes[g]].gene_id));
    return summary;
}

} // namespace causeway
