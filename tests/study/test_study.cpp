// The study's library against references: Adam and a few training steps against PyTorch (fixtures made by
// make_fixtures.py), Pearson/Spearman against naive formulas (with ties), ridge against a closed-form
// solve, chromosome splits, learning-rate schedules.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/safetensors.h"
#include "causeway/study/adam.h"
#include "causeway/study/metrics.h"
#include "causeway/study/split.h"
#include "causeway/study/train.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_STUDY_FIXTURES;

std::vector<float> tensor(const SafetensorsFile &file, const std::string &name) {
    const TensorInfo *info = file.find(name);
    EXPECT_NE(info, nullptr) << name;
    const float *data = file.f32(name, info->shape);
    return std::vector<float>(data, data + info->elements());
}

// |a - b| <= atol + rtol |b|
void expect_close(const std::vector<float> &actual, const std::vector<float> &expected, double rtol,
                  double atol, const std::string &what) {
    ASSERT_EQ(actual.size(), expected.size()) << what;
    int bad = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
        const double tolerance = atol + rtol * std::abs(expected[i]);
        if (!(std::abs(double(actual[i]) - expected[i]) <= tolerance) && ++bad <= 5)
            ADD_FAILURE() << what << "[" << i << "]: " << actual[i] << " vs " << expected[i];
    }
    EXPECT_EQ(bad, 0) << what;
}

TEST(Adam, MatchesTorchOptimAdamStepByStep) {
    SafetensorsFile f(kFixtures + "/adam.safetensors");
    std::vector<float> p = tensor(f, "start"), grads = tensor(f, "gradients"), lrs = tensor(f, "lrs"),
                       after = tensor(f, "parameters");
    const size_t n = p.size();
    Adam adam(static_cast<int64_t>(n), AdamSettings{});
    for (size_t step = 0; step < lrs.size(); ++step) {
        adam.step(p.data(), grads.data() + step * n, lrs[step]);
        std::vector<float> expected(after.begin() + step * n, after.begin() + (step + 1) * n);
        // PyTorch's vectorised kernels may fuse or not fuse a multiply-add: a few ulps per step.
        expect_close(p, expected, 1e-6, 1e-7, "parameters after step " + std::to_string(step + 1));
    }
    EXPECT_EQ(adam.steps(), static_cast<int64_t>(lrs.size()));
    expect_close(adam.exp_avg(), tensor(f, "exp_avg"), 1e-5, 1e-12, "exp_avg");
    expect_close(adam.exp_avg_sq(), tensor(f, "exp_avg_sq"), 1e-5, 1e-20, "exp_avg_sq");
}

TEST(Adam, ZeroGradientsLeaveZeroMomentsAndParameters) {
    // The packed layout's padding has zero gradients and must stay exactly zero.
    std::vector<float> p(100, 0.f), g(100, 0.f);
    p[3] = 1.f;
    g[3] = 0.5f;
    Adam adam(100, AdamSettings{});
    for (int i = 0; i < 3; ++i) adam.step(p.data(), g.data(), 1e-3);
    for (int i = 0; i < 100; ++i)
        if (i != 3) {
            EXPECT_EQ(p[i], 0.f);
            EXPECT_EQ(adam.exp_avg()[i], 0.f);
            EXPECT_EQ(adam.exp_avg_sq()[i], 0.f);
        }
    EXPECT_NEAR(p[3], 1.f - 3e-3f, 1e-6);
}

TEST(Adam, RejectsBadSettings) {
    EXPECT_THROW(Adam(0, AdamSettings{}), Error);
    AdamSettings bad;
    bad.beta1 = 1.0;
    EXPECT_THROW(Adam(10, bad), Error);
}

TEST(Training, StepsMatchPyTorch) {
    PecnnModel model = pecnn_load(kFixtures + "/training.model.safetensors");
    SafetensorsFile f(kFixtures + "/training.expected.safetensors");
    std::vector<float> x = tensor(f, "inputs"), y = tensor(f, "targets"), losses = tensor(f, "losses");
    const TensorInfo *shape = f.find("inputs");
    const int64_t genes = shape->shape[0];
    const int cells = static_cast<int>(shape->shape[1]);
    PecnnNetwork network(model);
    Adam adam(network.packed_size(), AdamSettings{});
    std::vector<float> ours;
    for (size_t step = 0; step < losses.size(); ++step) {
        ours.push_back(network.compute_gradients(x.data(), y.data(), genes, cells));
        adam.step(network.packed_parameters(), network.packed_gradients(), 3e-3);
    }
    expect_close(ours, losses, 1e-5, 1e-7, "loss before each step");
    PecnnModel trained = network.model();
    for (auto &[name, t] : trained.parameters())
        expect_close(t->data, tensor(f, "final." + name), 1e-4, 1e-6, "final " + name);
    // Export and repack give back the same packed buffer: the padding stayed exactly zero.
    std::vector<float> repacked(static_cast<size_t>(network.packed_size()));
    network.pack(trained, repacked.data());
    EXPECT_TRUE(std::equal(repacked.begin(), repacked.end(), network.packed_parameters()));
}

TEST(Training, PackedGradientsEqualBackwardsGradients) {
    PecnnModel model = pecnn_load(kFixtures + "/training.model.safetensors");
    SafetensorsFile f(kFixtures + "/training.expected.safetensors");
    std::vector<float> x = tensor(f, "inputs"), y = tensor(f, "targets");
    PecnnNetwork network(model);
    PecnnModel grads(model.config);
    const float loss = network.backward(x.data(), y.data(), 6, 4, grads);
    EXPECT_EQ(network.compute_gradients(x.data(), y.data(), 6, 4), loss);
    PecnnModel unpacked(model.config);
    network.unpack(network.packed_gradients(), unpacked);
    for (size_t i = 0; i < grads.parameters().size(); ++i)
        EXPECT_EQ(grads.parameters()[i].second->data, unpacked.parameters()[i].second->data);
}

// --- correlations ---------------------------------------------------------------------------------------

double naive_pearson(const std::vector<double> &x, const std::vector<double> &y) {
    const double n = static_cast<double>(x.size());
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        syy += y[i] * y[i];
        sxy += x[i] * y[i];
    }
    return (n * sxy - sx * sy) / std::sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

// Rank by counting: 1 + (values below) + (other values equal) / 2.
std::vector<double> naive_ranks(const std::vector<double> &v) {
    std::vector<double> r(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        double below = 0, equal = 0;
        for (size_t j = 0; j < v.size(); ++j) {
            if (v[j] < v[i]) below += 1;
            if (v[j] == v[i] && j != i) equal += 1;
        }
        r[i] = 1 + below + equal / 2;
    }
    return r;
}

TEST(Correlation, PearsonAndSpearmanMatchNaiveFormulas) {
    std::mt19937_64 rng(7);
    for (int trial = 0; trial < 20; ++trial) {
        const size_t n = 5 + trial * 13;
        std::vector<double> x(n), y(n);
        for (size_t i = 0; i < n; ++i) {
            // Few distinct values on x: many ties.
            x[i] = static_cast<double>(rng() % 7);
            y[i] = 0.3 * x[i] + static_cast<double>(rng() % 1000) / 500.0;
        }
        EXPECT_NEAR(pearson(x, y), naive_pearson(x, y), 1e-12);
        EXPECT_EQ(average_ranks(x), naive_ranks(x));
        EXPECT_NEAR(spearman(x, y), naive_pearson(naive_ranks(x), naive_ranks(y)), 1e-12);
    }
}

TEST(Correlation, KnownValuesWithTies) {
    // R: cor(c(1,2,2,3), c(1,3,2,4), method = "spearman") = 0.9486833 (ranks 1, 2.5, 2.5, 4 vs 1, 3, 2, 4).
    EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 3, 2, 4}), 0.9486833, 1e-7);
    EXPECT_EQ(average_ranks({10, 20, 10, 10, 5}), (std::vector<double>{3, 5, 3, 3, 1}));
    EXPECT_NEAR(pearson({1, 2, 3}, {2, 4, 6}), 1.0, 1e-15);
    EXPECT_NEAR(spearman({1, 2, 3, 4}, {1, 4, 9, 16}), 1.0, 1e-15);
    EXPECT_NEAR(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0, 1e-15);
    EXPECT_TRUE(std::isnan(pearson({1, 1, 1}, {1, 2, 3})));
    EXPECT_TRUE(std::isnan(spearman({1}, {2})));
}

// --- ridge ----------------------------------------------------------------------------------------------

// Gaussian elimination with partial pivoting.
std::vector<double> naive_solve(std::vector<std::vector<double>> a, std::vector<double> b) {
    const size_t n = b.size();
    for (size_t c = 0; c < n; ++c) {
        size_t pivot = c;
        for (size_t r = c + 1; r < n; ++r)
            if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
        std::swap(a[c], a[pivot]);
        std::swap(b[c], b[pivot]);
        for (size_t r = c + 1; r < n; ++r) {
            const double factor = a[r][c] / a[c][c];
            for (size_t k = c; k < n; ++k) a[r][k] -= factor * a[c][k];
            b[r] -= factor * b[c];
        }
    }
    std::vector<double> x(n);
    for (size_t r = n; r-- > 0;) {
        double s = b[r];
        for (size_t k = r + 1; k < n; ++k) s -= a[r][k] * x[k];
        x[r] = s / a[r][r];
    }
    return x;
}

TEST(Ridge, MatchesClosedFormWithUnpenalisedIntercept) {
    const int f = 6, rows = 80;
    std::mt19937_64 rng(11);
    auto uniform = [&] { return static_cast<double>(rng() >> 11) / 9007199254740992.0; };
    std::vector<float> x(rows * f), y(rows);
    for (int r = 0; r < rows; ++r) {
        double target = 2.0;
        for (int k = 0; k < f; ++k) {
            x[r * f + k] = static_cast<float>(uniform() * 3 + (k == 2 ? 5 : 0));
            target += (k - 2.5) * 0.4 * x[r * f + k];
        }
        y[r] = static_cast<float>(target + uniform() - 0.5);
    }
    y[7] = y[30] = std::nanf(""); // skipped rows
    RidgeRegression ridge(f);
    ridge.add(x.data(), y.data(), 33); // in two blocks
    ridge.add(x.data() + 33 * f, y.data() + 33, rows - 33);
    EXPECT_EQ(ridge.rows(), rows - 2);
    for (double lambda : {0.01, 1.0, 100.0}) {
        // Normal equations over (b, w): [n, 1'X; X'1, X'X + lambda I] [b; w] = [1'y; X'y].
        std::vector<std::vector<double>> a(f + 1, std::vector<double>(f + 1, 0.0));
        std::vector<double> rhs(f + 1, 0.0);
        for (int r = 0; r < rows; ++r) {
            if (std::isnan(y[r])) continue;
            std::vector<double> z = {1.0};
            for (int k = 0; k < f; ++k) z.push_back(x[r * f + k]);
            for (int i = 0; i <= f; ++i) {
                rhs[i] += z[i] * y[r];
                for (int j = 0; j <= f; ++j) a[i][j] += z[i] * z[j];
            }
        }
        for (int k = 1; k <= f; ++k) a[k][k] += lambda;
        const std::vector<double> expected = naive_solve(a, rhs);
        const RidgeRegression::Fit fit = ridge.solve(lambda);
        EXPECT_NEAR(fit.intercept, expected[0], 1e-8 * (1 + std::abs(expected[0]))) << lambda;
        for (int k = 0; k < f; ++k) EXPECT_NEAR(fit.weights[k], expected[k + 1], 1e-8) << lambda << " " << k;
        double direct = expected[0];
        for (int k = 0; k < f; ++k) direct += expected[k + 1] * x[k];
        EXPECT_NEAR(fit.predict(x.data()), direct, 1e-8);
    }
    EXPECT_THROW(ridge.solve(0.0), Error);
}

TEST(Ridge, NeedsRows) {
    RidgeRegression ridge(3);
    float x[3] = {1, 2, 3}, y[1] = {std::nanf("")};
    ridge.add(x, y, 1);
    EXPECT_THROW(ridge.solve(1.0), Error);
}

// --- splits and schedules ------------------------------------------------------------------------------

TEST(Split, ChromosomeRangesListsAndNameStyles) {
    ChromSet set("chr1-chr12,chrX", "--train-chroms");
    for (const char *in : {"chr1", "1", "chr7", "CHR12", "12", "chrX", "X"})
        EXPECT_TRUE(set.contains(in)) << in;
    for (const char *out : {"chr13", "chr0", "chrY", "chrM", "chr1_random", "chr22"})
        EXPECT_FALSE(set.contains(out)) << out;
    ChromSet numbers("1-3, 5", "--x");
    EXPECT_TRUE(numbers.contains("chr2"));
    EXPECT_TRUE(numbers.contains("chr5"));
    EXPECT_FALSE(numbers.contains("chr4"));
    EXPECT_TRUE(ChromSet("chrMT", "--x").contains("chrM"));
    EXPECT_TRUE(ChromSet("M", "--x").contains("MT"));
    EXPECT_TRUE(ChromSet("", "--x").empty());
    EXPECT_EQ(canonical_chrom("chr7"), "7");
    EXPECT_THROW(ChromSet("chr12-chr1", "--x"), Error);
    EXPECT_THROW(ChromSet("chr1,,chr2", "--x"), Error);
}

TEST(Schedule, LearningRateByEpoch) {
    TrainOptions o;
    o.lr = 1e-3;
    EXPECT_EQ(scheduled_lr(o, 0), 1e-3);
    EXPECT_EQ(scheduled_lr(o, 50), 1e-3);
    o.schedule = LrSchedule::Step;
    o.lr_step = 10;
    o.lr_gamma = 0.5;
    EXPECT_DOUBLE_EQ(scheduled_lr(o, 9), 1e-3);
    EXPECT_DOUBLE_EQ(scheduled_lr(o, 10), 5e-4);
    EXPECT_DOUBLE_EQ(scheduled_lr(o, 25), 2.5e-4);
    o.schedule = LrSchedule::Cosine;
    o.epochs = 20;
    EXPECT_DOUBLE_EQ(scheduled_lr(o, 0), 1e-3);
    EXPECT_NEAR(scheduled_lr(o, 10), 5e-4, 1e-15);
    EXPECT_THROW(parse_lr_schedule("linear"), Error);
}

TEST(Paths, CheckpointAndLogBesideTheModel) {
    EXPECT_EQ(default_checkpoint_path("out/m.safetensors"), "out/m.checkpoint.safetensors");
    EXPECT_EQ(default_log_path("out/m.safetensors"), "out/m.log.tsv");
    EXPECT_EQ(default_log_path("model"), "model.log.tsv");
}

} // namespace
} // namespace causeway
