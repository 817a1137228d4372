// Mendelian randomisation: against base R's lm() as MendelianRandomization uses it, R's own bootstrap of
// the weighted median (reference/*.tsv), and independent computations here (closed-form weighted least
// squares in long double, the RAPS estimating equation solved by bisection).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "causeway/solver/distributions.h"
#include "causeway/solver/mr.h"
#include "reference_table.h"

namespace causeway::solver {
namespace {

using testing::close;
using testing::read_reference;

std::map<std::string, MrData> reference_regions() {
    auto table = read_reference("mr_effects.tsv");
    std::map<std::string, MrData> regions;
    for (size_t r = 0; r < table.rows.size(); ++r) {
        MrData &d = regions[table.text(r, "region")];
        d.beta_exposure.push_back(table.number(r, "beta_exposure"));
        d.se_exposure.push_back(table.number(r, "se_exposure"));
        d.beta_outcome.push_back(table.number(r, "beta_outcome"));
        d.se_outcome.push_back(table.number(r, "se_outcome"));
    }
    return regions;
}

MrData simulate(size_t n, double beta, double noise, uint64_t seed, double pleiotropy = 0) {
    std::mt19937_64 random(seed);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform(0.01, 0.05);
    MrData d;
    for (size_t i = 0; i < n; ++i) {
        double bx = 0.15 * normal(random), by_se = uniform(random);
        d.beta_exposure.push_back(bx);
        d.se_exposure.push_back(0.5 * uniform(random));
        d.se_outcome.push_back(by_se);
        d.beta_outcome.push_back(beta * bx + pleiotropy + noise * by_se * normal(random));
    }
    return d;
}

struct Wls {
    long double slope, slope_var, intercept, intercept_var, rss;
};

// Weighted least squares with weights 1/se_outcome^2, in long double, from centred sums.
Wls closed_form(const std::vector<double> &x, const std::vector<double> &y, const std::vector<double> &se,
                bool intercept) {
    long double s0 = 0, sx = 0, sy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        long double w = 1.0L / ((long double)se[i] * se[i]);
        s0 += w, sx += w * x[i], sy += w * y[i];
    }
    long double mx = intercept ? sx / s0 : 0, my = intercept ? sy / s0 : 0;
    long double sxx = 0, sxy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        long double w = 1.0L / ((long double)se[i] * se[i]);
        sxx += w * (x[i] - mx) * (x[i] - mx);
        sxy += w * (x[i] - mx) * (y[i] - my);
    }
    Wls fit;
    fit.slope = sxy / sxx;
    fit.slope_var = 1 / sxx;
    fit.intercept = my - fit.slope * mx;
    fit.intercept_var = intercept ? 1 / s0 + mx * mx / sxx : 0;
    fit.rss = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        long double r = (y[i] - fit.intercept - fit.slope * x[i]) / se[i];
        fit.rss += r * r;
    }
    return fit;
}

TEST(SolverMr, IvwAndEggerMatchRLm) {
    auto regions = reference_regions();
    auto table = read_reference("mr_lm.tsv");
    for (size_t r = 0; r < table.rows.size(); ++r) {
        const MrData &data = regions.at(table.text(r, "region"));
        std::string method = table.text(r, "method");
        for (auto pvalues : {PvalueDistribution::Normal, PvalueDistribution::T}) {
            MrSettings settings;
            settings.pvalues = pvalues;
            MrResult got;
            if (method == "Egger") {
                got = mr_egger(data, settings);
            } else {
                settings.ivw_model = method == "IVW_fixed" ? IvwModel::Fixed : IvwModel::Random;
                got = mr_ivw(data, settings);
            }
            std::string where = table.text(r, "region") + " " + method;
            ASSERT_EQ(got.status, MrStatus::Ok) << where << ": " << got.note;
            EXPECT_TRUE(close(got.estimate, table.number(r, "estimate"), 1e-10)) << where;
            EXPECT_TRUE(close(got.se, table.number(r, "se"), 1e-10)) << where;
            std::string suffix = pvalues == PvalueDistribution::T ? "_t" : "_normal";
            EXPECT_TRUE(close(got.pvalue, table.number(r, "pvalue" + suffix), 1e-9)) << where << suffix;
            EXPECT_TRUE(close(got.intercept, table.number(r, "intercept"), 1e-10)) << where;
            EXPECT_TRUE(close(got.intercept_se, table.number(r, "intercept_se"), 1e-10)) << where;
            EXPECT_TRUE(close(got.intercept_pvalue, table.number(r, "intercept_pvalue" + suffix), 1e-9))
                << where << suffix;
        }
    }
}

TEST(SolverMr, WeightedMedianBootstrapMatchesR) {
    auto regions = reference_regions();
    auto table = read_reference("mr_median.tsv");
    for (size_t r = 0; r < table.rows.size(); ++r) {
        MrSettings settings;
        settings.bootstrap = static_cast<int>(table.number(r, "iterations"));
        settings.seed = 314159265;
        MrResult got = mr_weighted_median(regions.at(table.text(r, "region")), settings);
        ASSERT_EQ(got.status, MrStatus::Ok) << got.note;
        EXPECT_TRUE(close(got.estimate, table.number(r, "estimate"), 1e-13)) << table.text(r, "region");
        EXPECT_TRUE(close(got.se, table.number(r, "se"), 1e-10))
            << table.text(r, "region") << " " << settings.bootstrap << ": " << got.se;
        EXPECT_TRUE(close(got.pvalue, normal_two_sided(got.estimate / got.se), 1e-15));
    }
}

TEST(SolverMr, WeightedMedianInterpolation) {
    EXPECT_DOUBLE_EQ(weighted_median({1, 2, 3}, {1, 1, 1}), 2.0);
    // Positions (cumulative weight less half its own) 0.3, 0.7, 0.9: halfway between the first two.
    EXPECT_DOUBLE_EQ(weighted_median({1, 2, 3}, {3, 1, 1}), 1.5);
    EXPECT_DOUBLE_EQ(weighted_median({3, 1, 2}, {1, 3, 1}), 1.5);
}

// The package's algorithm written plainly: order() (a stable sort), long double cumsum() and sum().
double weighted_median_by_sorting(const std::vector<double> &theta, const std::vector<double> &weights) {
    std::vector<size_t> order(theta.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return theta[a] < theta[b]; });
    long double total = 0, running = 0;
    for (size_t i : order) total += weights[i];
    std::vector<double> position, sorted;
    for (size_t i : order) {
        running += weights[i];
        position.push_back(((double)running - 0.5 * weights[i]) / (double)total);
        sorted.push_back(theta[i]);
    }
    size_t above = 0;
    while (position[above] < 0.5) ++above;
    if (above == 0) return sorted[0];
    size_t below = above - 1;
    return sorted[below] +
           (sorted[above] - sorted[below]) * (0.5 - position[below]) / (position[above] - position[below]);
}

TEST(SolverMr, WeightedMedianIsTheStableSortAlgorithmExactly) {
    // The radix sort must reproduce order()'s order, ties (and -0 against 0) in input order included,
    // so that the running sums, and so the result, are the same to the last bit.
    std::mt19937_64 random(99);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> uniform(0.1, 3);
    for (size_t n : {3, 4, 17, 256, 3000}) {
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<double> theta(n), weights(n);
            for (size_t i = 0; i < n; ++i) {
                theta[i] = trial % 4 == 0   ? std::round(4 * normal(random)) / 4 // many ties
                           : trial % 4 == 1 ? 1.36 + 1e-9 * normal(random)       // a narrow range
                                            : normal(random) / normal(random);   // heavy tails, both signs
                if (trial % 4 == 0 && i % 5 == 0) theta[i] = i % 10 == 0 ? 0.0 : -0.0;
                weights[i] = uniform(random) * std::pow(10.0, trial % 3);
            }
            double expected = weighted_median_by_sorting(theta, weights);
            EXPECT_EQ(weighted_median(theta, weights), expected) << n << " " << trial;
        }
    }
}

TEST(SolverMr, IvwAndEggerMatchClosedFormOnSimulatedData) {
    double worst = 0;
    for (size_t n : {3, 4, 7, 30, 500, 3000}) {
        for (uint64_t seed = 1; seed <= 6; ++seed) {
            MrData data = simulate(n, 0.6, 1.5, seed * 1000 + n, 0.002);
            MrSettings settings;
            settings.ivw_model = IvwModel::Random;
            MrResult ivw = mr_ivw(data, settings);
            ASSERT_EQ(ivw.status, MrStatus::Ok) << ivw.note;
            Wls fit = closed_form(data.beta_exposure, data.beta_outcome, data.se_outcome, false);
            double sigma = std::sqrt((double)(fit.rss / (n - 1)));
            double se = std::sqrt((double)fit.slope_var) * std::max(1.0, sigma);
            EXPECT_TRUE(close(ivw.estimate, (double)fit.slope, 1e-10)) << n << " " << seed;
            EXPECT_TRUE(close(ivw.se, se, 1e-10)) << n << " " << seed;
            worst =
                std::max(worst, std::fabs(ivw.estimate - (double)fit.slope) / std::fabs((double)fit.slope));

            std::vector<double> x(n), y(n);
            for (size_t i = 0; i < n; ++i) {
                x[i] = std::fabs(data.beta_exposure[i]);
                y[i] = (data.beta_exposure[i] < 0 ? -1 : 1) * data.beta_outcome[i];
            }
            MrResult egger = mr_egger(data, MrSettings{});
            ASSERT_EQ(egger.status, MrStatus::Ok) << egger.note;
            Wls efit = closed_form(x, y, data.se_outcome, true);
            double rse = std::sqrt((double)(efit.rss / (n - 2)));
            EXPECT_TRUE(close(egger.estimate, (double)efit.slope, 1e-10, 1e-6)) << n << " " << seed;
            EXPECT_TRUE(close(egger.intercept, (double)efit.intercept, 1e-10, 1e-6)) << n << " " << seed;
            EXPECT_TRUE(close(egger.se, std::sqrt((double)efit.slope_var) * std::max(1.0, rse), 1e-10));
            EXPECT_TRUE(
                close(egger.intercept_se, std::sqrt((double)efit.intercept_var) * std::max(1.0, rse), 1e-10));
            worst = std::max(worst,
                             std::fabs(egger.estimate - (double)efit.slope) / std::fabs((double)efit.slope));
        }
    }
    {
        char text[32];
        std::snprintf(text, sizeof text, "%.3e", worst);
        RecordProperty("worst_relative_error", text);
    }
}

TEST(SolverMr, EggerUnderDispersedTPvalue) {
    // Residual noise well below the stated standard errors: rse < 1, so the t p-value is the wider of the
    // normal test and the t test on the unscaled fit.
    MrData data = simulate(12, 0.9, 0.3, 77);
    MrSettings settings;
    settings.pvalues = PvalueDistribution::T;
    MrResult egger = mr_egger(data, settings);
    ASSERT_EQ(egger.status, MrStatus::Ok);
    std::vector<double> x(12), y(12);
    for (size_t i = 0; i < 12; ++i) {
        x[i] = std::fabs(data.beta_exposure[i]);
        y[i] = (data.beta_exposure[i] < 0 ? -1 : 1) * data.beta_outcome[i];
    }
    Wls fit = closed_form(x, y, data.se_outcome, true);
    double rse = std::sqrt((double)(fit.rss / 10));
    ASSERT_LT(rse, 1.0);
    double z = (double)(fit.slope / std::sqrt(fit.slope_var));
    EXPECT_TRUE(close(egger.pvalue, std::max(normal_two_sided(z), t_two_sided(z / rse, 10)), 1e-9));
}

// d/dbeta of sum(rho_huber(t_i(beta))), the estimating equation mr.raps solves.
long double raps_score(const MrData &d, long double beta, double k) {
    long double score = 0;
    for (size_t i = 0; i < d.size(); ++i) {
        long double bx = d.beta_exposure[i], sx2 = (long double)d.se_exposure[i] * d.se_exposure[i];
        long double by = d.beta_outcome[i], sy2 = (long double)d.se_outcome[i] * d.se_outcome[i];
        long double v = sy2 + beta * beta * sx2, r = by - beta * bx;
        long double t = r / std::sqrt(v);
        long double dt = (-bx * v - r * beta * sx2) / (v * std::sqrt(v));
        long double psi = std::fabs(t) <= k ? t : (t > 0 ? k : -k);
        score += psi * dt;
    }
    return score;
}

long double raps_objective(const MrData &d, long double beta, double k) {
    long double sum = 0;
    for (size_t i = 0; i < d.size(); ++i) {
        long double v = (long double)d.se_outcome[i] * d.se_outcome[i] +
                        beta * beta * d.se_exposure[i] * d.se_exposure[i];
        long double t = std::fabs((d.beta_outcome[i] - beta * d.beta_exposure[i]) / std::sqrt(v));
        sum += t <= k ? t * t / 2 : k * (t - k / 2);
    }
    return sum;
}

TEST(SolverMr, RapsSolvesItsEstimatingEquation) {
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        // Outliers: a tenth of the variants act through another pathway (ratio 2.7 instead of 0.7).
        MrData data = simulate(200, 0.7, 1.0, seed);
        for (size_t i = 0; i < 20; ++i) data.beta_outcome[i] += 2.0 * data.beta_exposure[i];
        MrResult raps = mr_raps(data, MrSettings{});
        ASSERT_EQ(raps.status, MrStatus::Ok) << raps.note;
        // Brute force: the grid minimum of the objective, then bisection on the score in its neighbourhood.
        const double k = 1.345;
        long double best = 0, best_value = INFINITY, step = 0.002;
        for (long double b = -3; b <= 3; b += step) {
            long double value = raps_objective(data, b, k);
            if (value < best_value) best_value = value, best = b;
        }
        long double lo = best - step, hi = best + step;
        ASSERT_LT(raps_score(data, lo, k), 0);
        ASSERT_GT(raps_score(data, hi, k), 0);
        for (int i = 0; i < 200; ++i) {
            long double mid = 0.5L * (lo + hi);
            (raps_score(data, mid, k) < 0 ? lo : hi) = mid;
        }
        EXPECT_TRUE(close(raps.estimate, (double)lo, 1e-9))
            << seed << ": " << raps.estimate << " vs " << (double)lo;
        // Robust: much closer to the truth than IVW, which the outliers pull.
        MrResult ivw = mr_ivw(data, MrSettings{});
        EXPECT_LT(std::fabs(raps.estimate - 0.7), std::fabs(ivw.estimate - 0.7)) << seed;
    }
}

TEST(SolverMr, HuberConstantsMatchNumericalIntegration) {
    // mr.raps integrates these numerically; Simpson's rule on [-12, 12] here.
    const double k = 1.345;
    const int steps = 240000;
    const double a = -12, h = 24.0 / steps;
    long double delta = 0, c1 = 0;
    for (int i = 0; i <= steps; ++i) {
        double x = a + i * h;
        double weight = (i == 0 || i == steps) ? 1 : (i % 2 ? 4 : 2);
        double psi = std::fabs(x) <= k ? x : (x > 0 ? k : -k);
        double density = std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
        delta += weight * x * psi * density;
        c1 += weight * psi * psi * density;
    }
    delta *= h / 3, c1 *= h / 3;
    EXPECT_TRUE(close(huber_delta(k), (double)delta, 1e-9));
    EXPECT_TRUE(close(huber_c1(k), (double)c1, 1e-9));
}

TEST(SolverMr, RapsStandardErrorIsTheSandwich) {
    MrData data = simulate(60, -0.5, 1.2, 5);
    MrResult raps = mr_raps(data, MrSettings{});
    ASSERT_EQ(raps.status, MrStatus::Ok);
    long double score_var = 0, information = 0, b = raps.estimate;
    for (size_t i = 0; i < data.size(); ++i) {
        long double bx = data.beta_exposure[i], sx2 = (long double)data.se_exposure[i] * data.se_exposure[i];
        long double by = data.beta_outcome[i], sy2 = (long double)data.se_outcome[i] * data.se_outcome[i];
        long double v = sy2 + b * b * sx2;
        score_var += ((bx * bx - sx2) * sy2 + (by * by - sy2) * sx2 + sx2 * sy2) / (v * v);
        information += ((bx * bx - sx2) * sy2 + (by * by - sy2) * sx2) / (v * v);
    }
    double se =
        std::sqrt((double)(huber_c1(1.345) * score_var / std::pow(huber_delta(1.345) * information, 2)));
    EXPECT_TRUE(close(raps.se, se, 1e-9));
}

TEST(SolverMr, IvwDefaultModelSwitchesAtFourVariants) {
    for (size_t n : {3, 4}) {
        MrData data = simulate(n, 0.5, 4.0, 11); // over-dispersed: residual standard error above 1
        Wls fit = closed_form(data.beta_exposure, data.beta_outcome, data.se_outcome, false);
        double sigma = std::sqrt((double)(fit.rss / (n - 1)));
        ASSERT_GT(sigma, 1.0);
        MrResult ivw = mr_ivw(data, MrSettings{});
        double fixed_se = std::sqrt((double)fit.slope_var);
        EXPECT_TRUE(close(ivw.se, n < 4 ? fixed_se : fixed_se * sigma, 1e-10)) << n;
    }
}

TEST(SolverMr, TooFewVariants) {
    MrData two = simulate(2, 0.5, 1, 3);
    EXPECT_EQ(mr_ivw(two, MrSettings{}).status, MrStatus::Ok);
    EXPECT_EQ(mr_raps(two, MrSettings{}).status, MrStatus::Ok);
    MrResult egger = mr_egger(two, MrSettings{});
    EXPECT_EQ(egger.status, MrStatus::TooFewVariants);
    EXPECT_TRUE(std::isnan(egger.estimate));
    EXPECT_NE(egger.note.find("Egger needs at least 3"), std::string::npos) << egger.note;
    EXPECT_EQ(mr_weighted_median(two, MrSettings{}).status, MrStatus::TooFewVariants);
    MrData one = simulate(1, 0.5, 1, 3);
    EXPECT_EQ(mr_ivw(one, MrSettings{}).status, MrStatus::TooFewVariants);
}

TEST(SolverMr, ExposureAllNearZeroIsNaNotAWildNumber) {
    MrData data = simulate(40, 0.5, 1, 9);
    for (double &bx : data.beta_exposure) bx *= 1e-9;
    for (double &se : data.se_exposure) se = 0.02;
    for (MrMethod method : {MrMethod::Ivw, MrMethod::Egger, MrMethod::WeightedMedian, MrMethod::Raps}) {
        MrResult result = mr_run(method, data, MrSettings{});
        EXPECT_EQ(result.status, MrStatus::IllConditioned) << mr_method_name(method);
        EXPECT_TRUE(std::isnan(result.estimate) && std::isnan(result.se)) << mr_method_name(method);
        EXPECT_NE(result.note.find("ill-conditioned"), std::string::npos) << result.note;
    }
}

TEST(SolverMr, EggerWithConstantExposureIsIllConditioned) {
    MrData data = simulate(10, 0.5, 1, 4);
    for (size_t i = 0; i < data.size(); ++i) data.beta_exposure[i] = i % 2 ? 0.2 : -0.2;
    MrResult egger = mr_egger(data, MrSettings{});
    EXPECT_EQ(egger.status, MrStatus::IllConditioned);
    EXPECT_TRUE(std::isnan(egger.estimate));
    EXPECT_EQ(mr_ivw(data, MrSettings{}).status, MrStatus::Ok);
}

TEST(SolverMr, ParseMethods) {
    auto methods = parse_mr_methods("raps,ivw");
    ASSERT_EQ(methods.size(), 2u);
    EXPECT_EQ(methods[0], MrMethod::Raps);
    EXPECT_THROW(parse_mr_methods("ivw,mode"), std::runtime_error);
    EXPECT_THROW(parse_mr_methods("ivw,ivw"), std::runtime_error);
}

} // namespace
} // namespace causeway::solver

namespace causeway::solver {
namespace {

// The MendelianRandomization package's own worked example (its vignette; Yavorska & Burgess, Int J
// Epidemiol 2017): 28 uncorrelated variants' associations with LDL-cholesterol and coronary heart disease
// (Waterworth et al., Arterioscler Thromb Vasc Biol 2010), shipped with the package as ldlc, ldlcse,
// chdlodds, chdloddsse. The vignette prints, to 3 decimals: IVW 2.834 (se 0.530, 95% CI 1.796 to 3.873);
// MR-Egger 3.253 (se 0.770, CI 1.743 to 4.762), intercept -0.011 (se 0.015, p 0.451); weighted median
// 2.683.
TEST(SolverMr, PublishedLdlCholesterolExample) {
    const std::vector<double> ldlc = {0.026,  -0.044, -0.038, -0.023, -0.017, -0.031, -0.018,
                                      0.046,  0.059,  0.004,  0.011,  -0.005, 0.004,  0.022,
                                      -0.005, -0.002, -0.002, 0.004,  0.011,  0.009,  -0.011,
                                      -0.003, -0.012, 0.0003, -0.015, -0.008, 0.009,  -0.036};
    const std::vector<double> ldlcse = {0.004, 0.004, 0.004, 0.003, 0.003, 0.006, 0.004, 0.007, 0.004, 0.003,
                                        0.004, 0.005, 0.005, 0.005, 0.004, 0.004, 0.003, 0.004, 0.004, 0.003,
                                        0.004, 0.003, 0.004, 0.003, 0.003, 0.004, 0.003, 0.007};
    const std::vector<double> chdlodds = {0.0677,  -0.1625, -0.1054, -0.0619, -0.0834, -0.1278, -0.0408,
                                          0.0770,  0.1570,  -0.0305, 0.0100,  0.1823,  -0.0408, 0.1989,
                                          0.0100,  0.0488,  0.0100,  -0.0408, -0.0305, -0.0408, -0.0202,
                                          -0.0619, 0.0296,  0.0677,  -0.0726, -0.0726, 0.0000,  0.0198};
    const std::vector<double> chdloddsse = {0.0286, 0.0300, 0.0310, 0.0243, 0.0222, 0.0667, 0.0373,
                                            0.0543, 0.0306, 0.0236, 0.0277, 0.0403, 0.0344, 0.0335,
                                            0.0378, 0.0292, 0.0253, 0.0319, 0.0316, 0.0241, 0.0285,
                                            0.0217, 0.0298, 0.0239, 0.0220, 0.0246, 0.0255, 0.0647};
    MrData data;
    data.beta_exposure = ldlc;
    data.se_exposure = ldlcse;
    data.beta_outcome = chdlodds;
    data.se_outcome = chdloddsse;
    MrSettings settings;
    auto printed = [](double value, double expected) {
        return std::fabs(value - expected) <= 0.0005 + 1e-12;
    };
    MrResult ivw = mr_ivw(data, settings);
    EXPECT_TRUE(printed(ivw.estimate, 2.834)) << ivw.estimate;
    EXPECT_TRUE(printed(ivw.se, 0.530)) << ivw.se;
    EXPECT_TRUE(printed(ivw.estimate - 1.959964 * ivw.se, 1.796));
    EXPECT_TRUE(printed(ivw.estimate + 1.959964 * ivw.se, 3.873));
    MrResult egger = mr_egger(data, settings);
    EXPECT_TRUE(printed(egger.estimate, 3.253)) << egger.estimate;
    EXPECT_TRUE(printed(egger.se, 0.770)) << egger.se;
    EXPECT_TRUE(printed(egger.estimate - 1.959964 * egger.se, 1.743));
    EXPECT_TRUE(printed(egger.estimate + 1.959964 * egger.se, 4.762));
    EXPECT_TRUE(printed(egger.intercept, -0.011)) << egger.intercept;
    EXPECT_TRUE(printed(egger.intercept_se, 0.015)) << egger.intercept_se;
    EXPECT_TRUE(printed(egger.intercept_pvalue, 0.451)) << egger.intercept_pvalue;
    settings.bootstrap = 0;
    EXPECT_TRUE(printed(mr_weighted_median(data, settings).estimate, 2.683));
}

} // namespace
} // namespace causeway::solver
