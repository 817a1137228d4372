// In-silico epigenesis and expression optimisation against direct constructions: where the ablation and
// the peak land, batched runs against one gene at a time and against a hand-built input, the scoring of
// planted rules against hand-worked profiles, the input gradient against symmetric finite differences of the
// compiled forward pass, the optimiser step against a naive loop (any thread count), the projection onto
// W >= 0, the L1/L2 pulls toward W0, the sparse mode's support and the targets table's errors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/study/epigenesis.h"
#include "causeway/study/optimize.h"

namespace causeway {
namespace {

constexpr int kCells = 3, kMarks = 2, kBins = 40;
constexpr size_t kBlock = static_cast<size_t>(kCells) * kMarks * kBins;

PecnnConfig small_config() {
    PecnnConfig c;
    c.marks = {"H3K4me3", "H3K27me3"};
    c.bins = kBins;
    c.hidden = 8;
    c.depth = 1;
    c.kernel = 5;
    c.dilations = {1};
    return c;
}

std::vector<float> random_inputs(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 2.0f);
    std::vector<float> v(n);
    for (float &x : v) x = u(rng);
    return v;
}

float at(const float *block, int cell, int mark, int bin) {
    return block[(static_cast<size_t>(cell) * kMarks + mark) * kBins + bin];
}

TEST(Epigenesis, PeakStarts) {
    EXPECT_EQ(peak_starts(200, 10, 10).size(), 20u);
    EXPECT_EQ(peak_starts(200, 10, 10).back(), 190);
    EXPECT_EQ(peak_starts(40, 10, 5), (std::vector<int>{0, 5, 10, 15, 20, 25, 30}));
    EXPECT_FLOAT_EQ(peak_input_value(PeakValue::Log1p20), std::log1p(20.0f));
    EXPECT_FLOAT_EQ(peak_input_value(PeakValue::Raw20), 20.0f);
}

TEST(Epigenesis, PlacementAllCells) {
    const std::vector<float> gene = random_inputs(kBlock, 1);
    EpigenesisPlan plan;
    plan.marks = {1};
    plan.cells = {0, 1, 2};
    const int64_t n = perturbations_per_gene(plan, kBins);
    ASSERT_EQ(n, 1 + 4); // the baseline and 4 peaks
    std::vector<float> out(n * kBlock);
    build_perturbations(plan, gene.data(), kCells, kMarks, kBins, out.data());
    const float peak = std::log1p(20.0f);
    for (int64_t k = 0; k < n; ++k) {
        const float *b = out.data() + k * kBlock;
        for (int c = 0; c < kCells; ++c)
            for (int l = 0; l < kBins; ++l) {
                // The other mark is untouched; the ablated one is 0 but for the peak's 10 bins.
                EXPECT_EQ(at(b, c, 0, l), at(gene.data(), c, 0, l));
                const bool in_peak = k > 0 && l >= (k - 1) * 10 && l < k * 10;
                EXPECT_EQ(at(b, c, 1, l), in_peak ? peak : 0.0f) << k << " " << c << " " << l;
            }
    }
}

TEST(Epigenesis, PlacementOneCellAndMinimumBackground) {
    const std::vector<float> gene = random_inputs(kBlock, 2);
    EpigenesisPlan plan;
    plan.marks = {0};
    plan.cells = {2, 0};
    plan.scope = PeakScope::OneCell;
    plan.background = AblationBackground::GeneMinimum;
    plan.peak_value = PeakValue::Raw20;
    plan.peak_bins = 5;
    plan.stride_bins = 20;
    const int64_t n = perturbations_per_gene(plan, kBins);
    ASSERT_EQ(n, 2 * (1 + 2));
    std::vector<float> out(n * kBlock);
    build_perturbations(plan, gene.data(), kCells, kMarks, kBins, out.data());
    for (int t = 0; t < 2; ++t) {
        const int cell = plan.cells[t];
        float low = at(gene.data(), cell, 0, 0);
        for (int l = 0; l < kBins; ++l) low = std::min(low, at(gene.data(), cell, 0, l));
        for (int k = 0; k < 3; ++k) {
            const float *b = out.data() + (t * 3 + k) * kBlock;
            for (int c = 0; c < kCells; ++c)
                for (int m = 0; m < kMarks; ++m)
                    for (int l = 0; l < kBins; ++l) {
                        float expected = at(gene.data(), c, m, l);
                        if (c == cell && m == 0) {
                            const bool in_peak = k > 0 && l >= (k - 1) * 20 && l < (k - 1) * 20 + 5;
                            expected = in_peak ? 20.0f : low;
                        }
                        EXPECT_EQ(at(b, c, m, l), expected)
                            << t << " " << k << " " << c << " " << m << " " << l;
                    }
        }
    }
}

// A small dataset on disk with random inputs; removed at the end.
struct TinyDataset {
    std::string path;
    explicit TinyDataset(int genes) {
        path = ::testing::TempDir() + "epigenesis_" + std::to_string(::getpid()) + ".safetensors";
        DatasetContents d;
        d.cell_types = {"a", "b", "c"};
        d.marks = small_config().marks;
        d.bins = kBins;
        d.bin_size = 100;
        d.window = 2000;
        for (int g = 0; g < genes; ++g)
            d.genes.push_back({"G" + std::to_string(g) + ".1", "chr1", 1000 + 5000 * g, g % 2 ? '-' : '+'});
        d.inputs = random_inputs(genes * kBlock, 3);
        d.targets.assign(genes * kCells, 1.0f);
        write_dataset(d, path);
    }
    ~TinyDataset() {
        std::remove(path.c_str());
        std::remove(gene_table_path(path).c_str());
    }
};

TEST(Epigenesis, BatchEqualsOneAtATime) {
    TinyDataset tiny(5);
    Dataset data(tiny.path);
    PecnnNetwork network(pecnn_init(small_config(), 7));
    EpigenesisPlan plan;
    plan.marks = {0, 1};
    plan.cells = {0, 1, 2};
    const std::vector<int64_t> genes = {0, 1, 2, 3, 4};
    const EpigenesisResult batched = run_epigenesis(network, data, genes, plan, 5);
    EXPECT_EQ(batched.positions, (std::vector<int>{-2000, -1000, 0, 1000}));
    for (int64_t g : genes) {
        const EpigenesisResult single = run_epigenesis(network, data, {g}, plan, 1);
        const size_t per = single.predicted.size();
        for (size_t i = 0; i < per; ++i) {
            EXPECT_NEAR(batched.predicted[g * per + i], single.predicted[i], 1e-5);
            EXPECT_NEAR(batched.delta[g * per + i], single.delta[i], 1e-5);
        }
    }
    // Against a hand-built input: gene 3, mark 1 ablated to 0, the peak at bins 20-29 (0 bp from the TSS),
    // read in cell type 2.
    std::vector<float> input(data.inputs(3), data.inputs(3) + kBlock), base(kBlock), pred(kCells),
        ref(kCells);
    for (int c = 0; c < kCells; ++c)
        for (int l = 0; l < kBins; ++l)
            input[(c * kMarks + 1) * kBins + l] = l >= 20 && l < 30 ? std::log1p(20.0f) : 0;
    network.forward(input.data(), 1, kCells, pred.data());
    for (int c = 0; c < kCells; ++c)
        for (int l = 0; l < kBins; ++l) input[(c * kMarks + 1) * kBins + l] = 0;
    network.forward(input.data(), 1, kCells, ref.data());
    const size_t k = ((3 * 2 + 1) * 3 + 2) * 4 + 2;
    EXPECT_NEAR(batched.predicted[k], pred[2], 1e-5);
    EXPECT_NEAR(batched.delta[k], pred[2] - ref[2], 1e-5);
}

TEST(Epigenesis, SelectGenesAndNames) {
    TinyDataset tiny(3);
    Dataset data(tiny.path);
    EXPECT_EQ(select_genes(data, "all"), (std::vector<int64_t>{0, 1, 2}));
    EXPECT_EQ(select_genes(data, "G2,G0.1"), (std::vector<int64_t>{2, 0}));
    EXPECT_THROW(select_genes(data, "G9"), std::exception);
    EXPECT_EQ(select_names(data.cell_types(), "c,a", "--cells"), (std::vector<int>{2, 0}));
    EXPECT_THROW(select_names(data.cell_types(), "d", "--cells"), std::exception);
}

TEST(Optimize, GradientMatchesFiniteDifferences) {
    PecnnNetwork network(pecnn_init(small_config(), 11));
    const int genes = 2;
    std::vector<float> w0 = random_inputs(genes * kBlock, 4), w = random_inputs(genes * kBlock, 5);
    // Some targets free (NaN), the rest away from the predictions.
    std::vector<float> targets = {0.5f, std::nanf(""), 1.5f, 2.0f, 0.1f, std::nanf("")};
    std::vector<float> grad(w.size()), scratch(w.size()), pred(genes * kCells);
    const double l2 = 0.3;
    smooth_objective(network, w.data(), w0.data(), targets.data(), genes, kCells, kBlock, l2, grad.data(),
                     pred.data());
    auto objective = [&](const std::vector<float> &x) {
        std::vector<float> p(genes * kCells);
        network.forward(x.data(), genes, kCells, p.data());
        double j = 0;
        for (size_t i = 0; i < p.size(); ++i)
            if (!std::isnan(targets[i])) j += (double(p[i]) - targets[i]) * (double(p[i]) - targets[i]);
        for (size_t i = 0; i < x.size(); ++i) j += l2 * (double(x[i]) - w0[i]) * (double(x[i]) - w0[i]);
        return j;
    };
    std::mt19937 rng(9);
    std::uniform_int_distribution<size_t> pick(0, w.size() - 1);
    double max_error = 0, max_grad = 0;
    for (int trial = 0; trial < 40; ++trial) {
        const size_t i = pick(rng);
        const float h = 1e-2f;
        std::vector<float> up = w, down = w;
        up[i] += h;
        down[i] -= h;
        const double fd = (objective(up) - objective(down)) / (double(up[i]) - down[i]);
        max_error = std::max(max_error, std::abs(fd - grad[i]));
        max_grad = std::max(max_grad, std::abs(double(grad[i])));
        EXPECT_NEAR(grad[i], fd, 2e-3 + 2e-2 * std::abs(fd)) << "element " << i;
    }
    EXPECT_GT(max_grad, 1e-3); // the check is not vacuous
}

TEST(Optimize, ProjectionKeepsInputsNonNegative) {
    const size_t n = 50;
    std::vector<float> w0 = random_inputs(n, 6), w = w0, grad(n, 100.0f);
    for (InputOptimizer method : {InputOptimizer::GradientDescent, InputOptimizer::Adam}) {
        InputOptimizerSettings s;
        s.method = method;
        s.lr = 5.0;
        InputOptimizerState state(s, n);
        w = w0;
        for (int k = 0; k < 3; ++k) state.step(w.data(), w0.data(), grad.data());
        for (size_t i = 0; i < n; ++i) EXPECT_EQ(w[i], 0.0f) << i;
    }
    // A step that stays positive is the plain step.
    InputOptimizerSettings s;
    s.method = InputOptimizer::GradientDescent;
    s.lr = 0.01;
    InputOptimizerState state(s, n);
    std::vector<float> small(n, -1.0f);
    w = w0;
    state.step(w.data(), w0.data(), small.data());
    for (size_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ(w[i], w0[i] + 0.01f);
}

TEST(Optimize, L1SoftThresholdsTheEdit) {
    const size_t n = 4;
    std::vector<float> w0 = {1, 1, 1, 1}, grad = {-10, -2, 3, 0.5}, w = w0;
    InputOptimizerSettings s;
    s.method = InputOptimizer::GradientDescent;
    s.lr = 0.1;
    s.l1 = 4;
    InputOptimizerState state(s, n);
    state.step(w.data(), w0.data(), grad.data());
    // Edits -lr g = {1, 0.2, -0.3, -0.05}, shrunk by lr l1 = 0.4 toward 0.
    EXPECT_FLOAT_EQ(w[0], 1.6f);
    EXPECT_FLOAT_EQ(w[1], 1.0f);
    EXPECT_FLOAT_EQ(w[2], 1.0f);
    EXPECT_FLOAT_EQ(w[3], 1.0f);
    // Adam: an l1 weight above every gradient's size keeps W at W0.
    s.method = InputOptimizer::Adam;
    s.l1 = 11;
    InputOptimizerState adam(s, n);
    w = w0;
    for (int k = 0; k < 5; ++k) adam.step(w.data(), w0.data(), grad.data());
    EXPECT_EQ(w, w0);
}

TEST(Optimize, ReachesTargetsAndPenaltiesShrinkTheEdit) {
    PecnnNetwork network(pecnn_init(small_config(), 13));
    const int genes = 3;
    const std::vector<float> w0 = random_inputs(genes * kBlock, 8);
    std::vector<float> pred(genes * kCells), targets(genes * kCells);
    network.forward(w0.data(), genes, kCells, pred.data());
    for (size_t i = 0; i < pred.size(); ++i) targets[i] = pred[i] + 0.3f;
    InputOptimizerSettings s;
    s.steps = 300;
    s.lr = 0.02;
    auto edit = [&](double l1, double l2, int batch, OptimizeResult *out) {
        s.l1 = l1;
        s.l2 = l2;
        OptimizeResult r =
            optimize_inputs(network, w0.data(), targets.data(), genes, kCells, kMarks, kBins, s, batch);
        double l1_norm = 0, l2_norm = 0;
        for (size_t i = 0; i < r.w.size(); ++i) {
            EXPECT_GE(r.w[i], 0.0f);
            l1_norm += std::abs(r.w[i] - w0[i]);
            l2_norm += (r.w[i] - w0[i]) * double(r.w[i] - w0[i]);
        }
        if (out) *out = r;
        return std::make_pair(l1_norm, l2_norm);
    };
    OptimizeResult plain, batched;
    const auto free = edit(0, 0, 1, &plain);
    EXPECT_LT(plain.mse.back(), 1e-3 * plain.mse.front());
    // Genes are independent: one batch of 3 gives the same result as 3 batches of 1.
    edit(0, 0, 3, &batched);
    for (size_t i = 0; i < plain.w.size(); ++i) ASSERT_NEAR(plain.w[i], batched.w[i], 1e-4);
    const auto with_l2 = edit(0, 1.0, 3, nullptr);
    const auto with_l1 = edit(0.5, 0, 3, nullptr);
    EXPECT_LT(with_l2.second, free.second);
    EXPECT_LT(with_l1.first, free.first);
}

TEST(Epigenesis, ScorePlantedRules) {
    std::vector<RuleRecovery> planted(3);
    planted[0].mark = "a"; // raises over [0, 2000): best +0.9 at 0, elsewhere at most |-0.6|
    planted[0].effect = "raises";
    planted[0].region_begin = 0;
    planted[0].region_end = 2000;
    planted[1].mark = "b"; // lowers over [-1000, 1000): the largest change (+0.8 at 1000) is outside
    planted[1].effect = "lowers";
    planted[1].region_begin = -1000;
    planted[1].region_end = 1000;
    planted[2].mark = "absent"; // not perturbed: skipped
    planted[2].effect = "raises";
    const std::vector<int> positions = {-2000, -1000, 0, 1000};
    const std::vector<std::vector<double>> mean = {{0.1, -0.6, 0.9, 0.3}, {0.2, -0.4, 0.1, 0.8}};
    const std::vector<RuleRecovery> r = score_planted_rules(planted, {"a", "b"}, positions, 1000, mean);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].position, 0);
    EXPECT_DOUBLE_EQ(r[0].change, 0.9);
    EXPECT_TRUE(r[0].sign_ok && r[0].place_ok);
    EXPECT_DOUBLE_EQ(r[0].margin, 0.9 / 0.6);
    // b: the peak at 1000 bp starts where the region ends, so it is outside; the right-signed change
    // inside is -0.4 at -1000.
    EXPECT_EQ(r[1].position, 1000);
    EXPECT_FALSE(r[1].sign_ok);
    EXPECT_FALSE(r[1].place_ok);
    EXPECT_DOUBLE_EQ(r[1].margin, 0.4 / 0.8);
}

// The optimiser step as written out plainly: Adam's moments, bias correction, the element's step, soft
// threshold toward W0, W >= 0, and elements outside the support held at W0.
void naive_adam_steps(const InputOptimizerSettings &s, int steps, const std::vector<float> &w0,
                      const std::vector<float> &grad, const std::vector<uint8_t> &support,
                      std::vector<float> &w) {
    std::vector<float> m(w.size(), 0.0f), v(w.size(), 0.0f);
    for (int t = 1; t <= steps; ++t)
        for (size_t i = 0; i < w.size(); ++i) {
            if (!support[i]) {
                w[i] = w0[i];
                continue;
            }
            m[i] = static_cast<float>(s.beta1 * m[i] + (1 - s.beta1) * grad[i]);
            v[i] = static_cast<float>(s.beta2 * v[i] + (1 - s.beta2) * double(grad[i]) * grad[i]);
            const double step = s.lr / (std::sqrt(v[i] / (1 - std::pow(s.beta2, t))) + s.eps);
            const double x = w[i] - step * (m[i] / (1 - std::pow(s.beta1, t)));
            double d = x - w0[i];
            const double tau = s.l1 * step;
            d = d > tau ? d - tau : (d < -tau ? d + tau : 0.0);
            w[i] = static_cast<float>(std::max(0.0, w0[i] + d));
        }
}

TEST(Optimize, StepMatchesNaiveLoopOnAnyThreadCount) {
    // Large enough for the parallel loop's chunks, with a ragged last chunk.
    const size_t n = 3 * 16384 + 1000;
    const std::vector<float> w0 = random_inputs(n, 21);
    std::vector<float> grad = random_inputs(n, 22);
    for (float &g : grad) g -= 1.0f; // both signs
    std::vector<uint8_t> support(n);
    for (size_t i = 0; i < n; ++i) support[i] = i % 3 != 0;
    InputOptimizerSettings s;
    s.lr = 0.3;
    s.l1 = 0.5;
    std::vector<float> expected = w0;
    for (size_t i = 0; i < n; ++i) expected[i] += 0.25f; // a start off W0: frozen entries must snap back
    std::vector<float> start = expected;
    naive_adam_steps(s, 4, w0, grad, support, expected);
    for (int threads : {1, 2, 3}) {
        set_pipeline_threads(threads);
        std::vector<float> w = start;
        InputOptimizerState state(s, n);
        for (int k = 0; k < 4; ++k) state.step(w.data(), w0.data(), grad.data(), support.data());
        for (size_t i = 0; i < n; ++i)
            ASSERT_EQ(w[i], expected[i]) << "threads " << threads << " element " << i;
    }
    set_pipeline_threads(0);
    size_t moved = 0, outside = 0, frozen = 0;
    for (size_t i = 0; i < n; ++i) {
        moved += support[i] && expected[i] != start[i];
        outside += !support[i];
        frozen += !support[i] && expected[i] == w0[i];
    }
    EXPECT_GT(moved, n / 2); // the check is not vacuous
    EXPECT_EQ(frozen, outside);
}

TEST(Optimize, SparseRefitsOnTheL1Support) {
    PecnnNetwork network(pecnn_init(small_config(), 17));
    const int genes = 3;
    const std::vector<float> w0 = random_inputs(genes * kBlock, 18);
    std::vector<float> pred(genes * kCells), targets(genes * kCells);
    network.forward(w0.data(), genes, kCells, pred.data());
    for (size_t i = 0; i < pred.size(); ++i) targets[i] = pred[i] + 0.3f;
    InputOptimizerSettings s;
    s.steps = 200;
    s.lr = 0.02;
    // Adam moves an element off W0 while its (averaged) gradient exceeds l1: the 90th percentile of the
    // gradient's size at W0 lets about a tenth of the entries move.
    std::vector<float> grad(w0.size()), scratch(genes * kCells);
    smooth_objective(network, w0.data(), w0.data(), targets.data(), genes, kCells, kBlock, 0, grad.data(),
                     scratch.data());
    for (float &g : grad) g = std::abs(g);
    std::nth_element(grad.begin(), grad.begin() + grad.size() * 9 / 10, grad.end());
    s.l1 = grad[grad.size() * 9 / 10];
    // The L1 phase on its own: its support and how far it gets.
    const OptimizeResult l1_only =
        optimize_inputs(network, w0.data(), targets.data(), genes, kCells, kMarks, kBins, s, genes);
    s.sparse = true;
    s.refit_steps = 500;
    const OptimizeResult sparse =
        optimize_inputs(network, w0.data(), targets.data(), genes, kCells, kMarks, kBins, s, 2);
    ASSERT_EQ(sparse.mse.size(), static_cast<size_t>(s.steps + s.refit_steps + 1));
    // The first phase is the L1 run (the batch split does not matter: genes are independent).
    EXPECT_NEAR(sparse.mse[s.steps], l1_only.mse.back(), 1e-6 + 1e-4 * l1_only.mse.back());
    // The support: the (gene, mark, bin) tracks the L1 phase moved in some cell type, open in every cell
    // type; nothing outside it moves.
    size_t support = 0, edited = 0;
    for (int g = 0; g < genes; ++g)
        for (int m = 0; m < kMarks; ++m)
            for (int b = 0; b < kBins; ++b) {
                bool selected = false, moved = false;
                for (int c = 0; c < kCells; ++c) {
                    const size_t i = g * kBlock + (static_cast<size_t>(c) * kMarks + m) * kBins + b;
                    EXPECT_GE(sparse.w[i], 0.0f);
                    selected = selected || l1_only.w[i] != w0[i];
                    moved = moved || sparse.w[i] != w0[i];
                }
                ASSERT_TRUE(selected || !moved)
                    << "an entry outside the L1 support moved: " << g << " " << m << " " << b;
                support += selected;
                edited += moved;
            }
    const size_t tracks = static_cast<size_t>(genes) * kMarks * kBins;
    EXPECT_GT(support, 0u);
    EXPECT_LT(support, tracks / 2); // L1 selected a minority of the (mark, bin) entries
    EXPECT_LE(edited, support);
    // The refit reaches the target that the L1 phase alone trades off.
    EXPECT_GT(l1_only.mse.back(), 10 * sparse.mse.back());
    EXPECT_LT(sparse.mse.back(), 1e-3 * sparse.mse.front());
}

std::string write_file(const std::string &name, const std::string &text) {
    const std::string path = ::testing::TempDir() + name + "_" + std::to_string(::getpid()) + ".tsv";
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const TinyDataset &tiny, const std::string &text) {
    Dataset data(tiny.path);
    const std::string path = write_file("targets_bad", text);
    try {
        read_target_table(data, path);
    } catch (const Error &e) {
        std::remove(path.c_str());
        return e.what();
    }
    std::remove(path.c_str());
    return "no error";
}

TEST(Optimize, TargetTable) {
    TinyDataset tiny(3);
    Dataset data(tiny.path);
    const std::string path = write_file("targets", "# per-cell targets\ngene\tcell_type\tlog1p_tpm\n"
                                                   "G2\tc\t1.5\nG0.1\ta\t0\nG2.1\ta\t2.25\n");
    const TargetTable t = read_target_table(data, path);
    std::remove(path.c_str());
    EXPECT_EQ(t.scale, TargetTable::Scale::Log1pTpm);
    EXPECT_EQ(t.genes, (std::vector<int64_t>{2, 0}));
    ASSERT_EQ(t.values.size(), 2u);
    EXPECT_EQ(t.values[0][0], 2.25);
    EXPECT_TRUE(std::isnan(t.values[0][1]));
    EXPECT_EQ(t.values[0][2], 1.5);
    EXPECT_EQ(t.values[1][0], 0.0);
    const std::string fold = write_file("targets_fold", "gene\tcell_type\tfold\nG1\tb\t3\n");
    const TargetTable f = read_target_table(data, fold);
    std::remove(fold.c_str());
    EXPECT_EQ(f.scale, TargetTable::Scale::Fold);
    EXPECT_EQ(f.values[0][1], 3.0);

    auto expect_error = [&](const std::string &text, const std::string &part, const std::string &line) {
        const std::string message = error_of(tiny, text);
        EXPECT_NE(message.find(part), std::string::npos) << message;
        EXPECT_NE(message.find("targets_bad_" + std::to_string(::getpid()) + ".tsv:" + line),
                  std::string::npos)
            << message;
    };
    expect_error("gene\tcell_type\tlog1p_tpm\nG0\ta\t1\nG7\ta\t1\n", "gene 'G7' is not a gene", "3");
    expect_error("gene\tcell_type\tlog1p_tpm\nG0\tliver\t1\n", "cell type 'liver' is not one of", "2");
    expect_error("gene\tcell_type\tlog1p_tpm\nG0\ta\t1\nG0.1\ta\t2\n", "a second target", "3");
    expect_error("gene\tcell_type\tlog1p_tpm\nG0\ta\t-1\n", "0 or more", "2");
    expect_error("gene\tcell_type\tfold\nG0\ta\t0\n", "positive", "2");
    expect_error("gene\tcell_type\tlog1p_tpm\nG0\ta\tlots\n", "lots", "2");
    expect_error("gene\tcell\ttpm\nG0\ta\t1\n", "the header must be", "1");
}

} // namespace
} // namespace causeway
