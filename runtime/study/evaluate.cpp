#include "causeway/study/evaluate.h"
#include "output_folder.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <sys/stat.h>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/study/metrics.h"
#include "causeway/study/plot.h"
#include "causeway/study/split.h"

namespace causeway {

namespace {

// Network predictions [genes.size(), cells] for the listed genes, in batches through the compiled pass.
std::vector<float> predict(PecnnNetwork &network, const Dataset &data, const std::vector<int64_t> &genes,
                           int batch) {
    const int cells = data.cells();
    const size_t gene_inputs = static_cast<size_t>(cells) * data.marks() * data.bins();
    std::vector<float> predictions(genes.size() * cells), inputs;
    for (size_t start = 0; start < genes.size(); start += batch) {
        const size_t count = std::min<size_t>(batch, genes.size() - start);
        inputs.resize(count * gene_inputs);
        for (size_t i = 0; i < count; ++i)
            std::memcpy(inputs.data() + i * gene_inputs, data.inputs(genes[start + i]),
                        gene_inputs * sizeof(float));
        network.forward(inputs.data(), static_cast<int64_t>(count), cells,
                        predictions.data() + start * cells);
    }
    return predictions;
}

std::string number(double v) {
    return std::isfinite(v) ? fmt::format("{:.6f}", v) : std::string("NA");
}

} // namespace

std::vector<double> ridge_lambda_grid() {
    std::vector<double> grid;
    for (int k = -4; k <= 12; ++k) grid.push_back(std::pow(10.0, k / 2.0));
    return grid;
}

EvaluateResult evaluate_pecnn(const EvaluateOptions &o) {
    if (o.batch < 1) fail("--batch must be at least 1, not {}", o.batch);
    PecnnModel model = pecnn_load(o.model);
    Dataset data(o.dataset);
    const PecnnConfig &c = model.config;
    check_model_fits_dataset(c, data, o.model);
    const ChromSet train_set(o.train_chroms, "--train-chroms"), valid_set(o.valid_chroms, "--valid-chroms"),
        test_set(o.test_chroms, "--test-chroms");
    const GeneSplit split = split_genes(data, train_set, valid_set, test_set, true);
    if (split.valid.empty())
        fail("--valid-chroms {}: the ridge baseline chooses its lambda on the validation chromosomes, but no "
             "gene "
             "with a known target lies on them: {}",
             o.valid_chroms.empty() ? "''" : o.valid_chroms, o.dataset);

    const int cells = data.cells(), features = data.marks() * data.bins();
    EvaluateResult result;
    result.train_genes = static_cast<int64_t>(split.train.size());
    result.valid_genes = static_cast<int64_t>(split.valid.size());
    result.test_genes = static_cast<int64_t>(split.test.size());

    // The baseline: one row per (gene, cell type), the cell's marks x bins as features.
    RidgeRegression ridge(features);
    for (int64_t g : split.train) ridge.add(data.inputs(g), data.targets(g), cells);
    RidgeRegression::Fit best;
    double best_mse = std::numeric_limits<double>::infinity();
    for (double lambda : ridge_lambda_grid()) {
        RidgeRegression::Fit fit = ridge.solve(lambda);
        double squares = 0;
        int64_t known = 0;
        for (int64_t g : split.valid)
            for (int cell = 0; cell < cells; ++cell) {
                const float y = data.targets(g)[cell];
                if (std::isnan(y)) continue;
                const double r = fit.predict(data.inputs(g) + static_cast<size_t>(cell) * features) - y;
                squares += r * r;
                ++known;
            }
        const double mse = squares / static_cast<double>(known);
        result.lambda_path.emplace_back(lambda, mse);
        if (mse < best_mse) {
            best_mse = mse;
            best = fit;
        }
    }
    result.lambda = best.lambda;

    PecnnNetwork network(model);
    const std::vector<float> predicted = predict(network, data, split.test, o.batch);
    std::vector<std::vector<double>> observed(cells), net(cells), lin(cells);
    std::vector<double> ridge_predicted(predicted.size(), std::nan(""));
    for (size_t i = 0; i < split.test.size(); ++i) {
        const int64_t g = split.test[i];
        for (int cell = 0; cell < cells; ++cell) {
            const float y = data.targets(g)[cell];
            if (std::isnan(y)) continue;
            const double r = best.predict(data.inputs(g) + static_cast<size_t>(cell) * features);
            ridge_predicted[i * cells + cell] = r;
            observed[cell].push_back(y);
            net[cell].push_back(predicted[i * cells + cell]);
            lin[cell].push_back(r);
        }
    }
    double sums[4] = {0, 0, 0, 0};
    int counts[4] = {0, 0, 0, 0};
    for (int cell = 0; cell < cells; ++cell) {
        CellScores s;
        s.cell_type = data.cell_types()[cell];
        s.n = static_cast<int64_t>(observed[cell].size());
        s.network_pearson = pearson(net[cell], observed[cell]);
        s.network_spearman = spearman(net[cell], observed[cell]);
        s.ridge_pearson = pearson(lin[cell], observed[cell]);
        s.ridge_spearman = spearman(lin[cell], observed[cell]);
        const double values[4] = {s.network_pearson, s.network_spearman, s.ridge_pearson, s.ridge_spearman};
        for (int k = 0; k < 4; ++k)
            if (std::isfinite(values[k])) {
                sums[k] += values[k];
                ++counts[k];
            }
        result.cells.push_back(s);
    }
    auto mean = [&](int k) { return counts[k] ? sums[k] / counts[k] : std::nan(""); };
    result.mean.cell_type = "mean";
    result.mean.n = result.test_genes;
    result.mean.network_pearson = mean(0);
    result.mean.network_spearman = mean(1);
    result.mean.ridge_pearson = mean(2);
    result.mean.ridge_spearman = mean(3);

    // Everything is computed: now the outputs, each whole or not at all.
    study::make_output_folder(o.out_dir);
    const std::string dir = o.out_dir + "/";
    {
        AtomicOutput out(dir + "correlations.tsv");
        out.print("cell_type\tn\tnetwork_pearson\tnetwork_spearman\tridge_pearson\tridge_spearman\n");
        auto row = [&](const CellScores &s) {
            out.print("{}\t{}\t{}\t{}\t{}\t{}\n", s.cell_type, s.n, number(s.network_pearson),
                      number(s.network_spearman), number(s.ridge_pearson), number(s.ridge_spearman));
        };
        for (const CellScores &s : result.cells) row(s);
        row(result.mean);
        out.commit();
    }
    {
        AtomicOutput out(dir + "predictions.tsv");
        out.print("gene_id\tchrom\tcell_type\tobserved\tnetwork\tridge\n");
        for (size_t i = 0; i < split.test.size(); ++i) {
            const GeneRecord &gene = data.gene_table()[split.test[i]];
            for (int cell = 0; cell < cells; ++cell) {
                const float y = data.targets(split.test[i])[cell];
                if (std::isnan(y)) continue;
                out.print("{}\t{}\t{}\t{:.9g}\t{:.9g}\t{:.9g}\n", gene.gene_id, gene.chrom,
                          data.cell_types()[cell], y, predicted[i * cells + cell],
                          ridge_predicted[i * cells + cell]);
            }
        }
        out.commit();
    }
    {
        AtomicOutput out(dir + "ridge.tsv");
        out.print("lambda\tvalid_mse\tchosen\n");
        for (auto &[lambda, mse] : result.lambda_path)
            out.print("{:g}\t{:.6f}\t{}\n", lambda, mse, lambda == result.lambda ? "yes" : "no");
        out.commit();
    }
    CorrelationChart chart;
    chart.title = fmt::format("Held-out chromosomes: {} genes (trained on {}; ridge lambda {:g})",
                              result.test_genes, result.train_genes, result.lambda);
    for (const CellScores &s : result.cells) {
        chart.groups.push_back(s.cell_type);
        chart.network_pearson.push_back(s.network_pearson);
        chart.network_spearman.push_back(s.network_spearman);
        chart.baseline_pearson.push_back(s.ridge_pearson);
        chart.baseline_spearman.push_back(s.ridge_spearman);
    }
    chart.groups.emplace_back("mean");
    chart.network_pearson.push_back(result.mean.network_pearson);
    chart.network_spearman.push_back(result.mean.network_spearman);
    chart.baseline_pearson.push_back(result.mean.ridge_pearson);
    chart.baseline_spearman.push_back(result.mean.ridge_spearman);
    plot_correlation_chart(chart, dir + "correlations");
    return result;
}

} // namespace causeway
