// Random-effects meta-analysis: against metafor's rma() (reference/metafor_rma.tsv), the published dat.bcg
// values, closed forms and a brute-force grid for the REML and ML optima.
#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "causeway/solver/distributions.h"
#include "causeway/solver/meta.h"
#include "reference_table.h"

namespace causeway::solver {
namespace {

using testing::close;
using testing::read_reference;

struct Studies {
    std::vector<double> y, se;
};

std::map<std::string, Studies> reference_groups() {
    auto table = read_reference("meta_estimates.tsv");
    std::map<std::string, Studies> groups;
    for (size_t r = 0; r < table.rows.size(); ++r) {
        Studies &s = groups[table.text(r, "group")];
        s.y.push_back(table.number(r, "estimate"));
        s.se.push_back(table.number(r, "se"));
    }
    return groups;
}

MetaSettings settings_for(const std::string &label) {
    MetaSettings settings;
    settings.hartung_knapp = label.size() > 3 && label.substr(label.size() - 3) == "_HK";
    settings.method = parse_tau_method(settings.hartung_knapp ? label.substr(0, label.size() - 3) : label);
    return settings;
}

// sum(w) - sum(w^2)/sum(w) = 2 sum_{i<j} w_i w_j / sum(w), in long double without cancellation.
long double exact_dl_denominator(const std::vector<double> &se) {
    long double total = 0, pairs = 0;
    std::vector<long double> w;
    for (double s : se) w.push_back(1.0L / ((long double)s * s)), total += w.back();
    for (size_t i = 0; i < w.size(); ++i)
        for (size_t j = i + 1; j < w.size(); ++j) pairs += w[i] * w[j];
    return 2 * pairs / total;
}

TEST(SolverMeta, MatchesMetafor) {
    auto groups = reference_groups();
    auto table = read_reference("metafor_rma.tsv");
    ASSERT_EQ(table.rows.size(), 40u);
    for (size_t r = 0; r < table.rows.size(); ++r) {
        std::string group = table.text(r, "group"), method = table.text(r, "method");
        const Studies &s = groups.at(group);
        MetaResult got = meta_analyse(s.y, s.se, settings_for(method));
        std::string where = group + " " + method;
        ASSERT_TRUE(got.ok) << where << ": " << got.note;
        EXPECT_EQ(got.method, method);
        EXPECT_EQ(got.k, static_cast<size_t>(table.number(r, "k")));
        // metafor forms sum(w) - sum(w^2)/sum(w) directly; with one standard error of 1e-7 among ordinary
        // ones that loses about 10 digits (ours keeps them, see TinyStandardErrorKeepsDigits), and the DL
        // tau2 and every I^2 inherit the loss.
        bool tiny = group == "tiny_se";
        double tau2_tolerance = tiny && method.rfind("DL", 0) == 0 ? 1e-4 : 1e-9;
        const std::map<std::string, double> values = {{"mu", got.mu},         {"se", got.se},
                                                      {"ci_low", got.ci_low}, {"ci_high", got.ci_high},
                                                      {"pi_low", got.pi_low}, {"pi_high", got.pi_high}};
        for (const auto &[field, value] : values)
            EXPECT_TRUE(close(value, table.number(r, field), tau2_tolerance)) << where << " " << field;
        EXPECT_TRUE(close(got.tau2, table.number(r, "tau2"), tau2_tolerance, 1e-12))
            << where << " tau2 " << got.tau2;
        EXPECT_TRUE(close(got.tau, table.number(r, "tau"), tau2_tolerance, 1e-6)) << where;
        EXPECT_TRUE(close(got.i2, table.number(r, "i2"), tiny ? 1e-4 : 1e-9, 1e-9))
            << where << " i2 " << got.i2;
        // metafor's Q is off by 4e-5 (relative) there too; its p-value follows.
        EXPECT_TRUE(close(got.q, table.number(r, "q"), tiny ? 1e-4 : 1e-12)) << where;
        EXPECT_TRUE(close(got.q_pvalue, table.number(r, "q_pvalue"), tiny ? 1e-2 : 1e-9, 1e-300)) << where;
    }
}

TEST(SolverMeta, PublishedBcgValues) {
    // Viechtbauer (2010) and metafor's documentation: REML on the BCG log risk ratios.
    auto groups = reference_groups();
    const Studies &bcg = groups.at("bcg");
    ASSERT_EQ(bcg.y.size(), 13u);
    MetaResult reml = meta_analyse(bcg.y, bcg.se, MetaSettings{});
    EXPECT_EQ(reml.method, "REML");
    EXPECT_NEAR(reml.tau2, 0.3132, 0.00005);
    EXPECT_NEAR(reml.mu, -0.7145, 0.00005);
    EXPECT_NEAR(reml.se, 0.1798, 0.00005);
    EXPECT_NEAR(reml.i2, 92.22, 0.005);
    EXPECT_NEAR(reml.q, 152.23, 0.005);
    EXPECT_EQ(reml.k, 13u);
    EXPECT_LT(reml.q_pvalue, 1e-20);
}

TEST(SolverMeta, DerSimonianLairdClosedForm) {
    std::mt19937_64 random(3);
    std::normal_distribution<double> normal;
    for (int rep = 0; rep < 20; ++rep) {
        size_t k = 2 + rep;
        Studies s;
        for (size_t i = 0; i < k; ++i) {
            s.se.push_back(0.05 + 0.3 * std::fabs(normal(random)));
            s.y.push_back(0.2 + std::sqrt(s.se.back() * s.se.back() + 0.04) * normal(random));
        }
        long double w_sum = 0, wy = 0;
        for (size_t i = 0; i < k; ++i)
            w_sum += 1.0L / (s.se[i] * s.se[i]), wy += s.y[i] / ((long double)s.se[i] * s.se[i]);
        long double mean = wy / w_sum, q = 0;
        for (size_t i = 0; i < k; ++i)
            q += (s.y[i] - mean) * (s.y[i] - mean) / ((long double)s.se[i] * s.se[i]);
        long double tau2 = std::max(0.0L, (q - (k - 1)) / exact_dl_denominator(s.se));
        long double w2 = 0, wy2 = 0;
        for (size_t i = 0; i < k; ++i) {
            long double w = 1 / ((long double)s.se[i] * s.se[i] + tau2);
            w2 += w, wy2 += w * s.y[i];
        }
        MetaSettings settings;
        settings.method = TauMethod::DL;
        MetaResult got = meta_analyse(s.y, s.se, settings);
        EXPECT_TRUE(close(got.q, (double)q, 1e-13)) << k;
        EXPECT_TRUE(close(got.tau2, (double)tau2, 1e-12, 1e-300)) << k;
        EXPECT_TRUE(close(got.mu, (double)(wy2 / w2), 1e-13)) << k;
        EXPECT_TRUE(close(got.se, (double)std::sqrt(1 / w2), 1e-13)) << k;
        EXPECT_EQ(got.iterations, 0);
    }
}

// -2 log-likelihood (restricted or not), profiled over mu, in long double: written apart from the
// library's functor on purpose.
long double minus_two_log_likelihood(const Studies &s, long double tau2, bool restricted) {
    long double w_sum = 0, wy = 0;
    for (size_t i = 0; i < s.y.size(); ++i) {
        long double w = 1 / ((long double)s.se[i] * s.se[i] + tau2);
        w_sum += w, wy += w * s.y[i];
    }
    long double mu = wy / w_sum, value = 0;
    for (size_t i = 0; i < s.y.size(); ++i) {
        long double v = (long double)s.se[i] * s.se[i] + tau2;
        value += std::log(v) + (s.y[i] - mu) * (s.y[i] - mu) / v;
    }
    return restricted ? value + std::log(w_sum) : value;
}

// Brute force: a grid over [0, upper], then repeated finer grids around the best point.
long double grid_minimum(const Studies &s, bool restricted, long double upper) {
    long double lo = 0, hi = upper, best = 0;
    for (int round = 0; round < 40; ++round) {
        const int points = 400;
        long double step = (hi - lo) / points, best_value = INFINITY;
        for (int i = 0; i <= points; ++i) {
            long double t = lo + i * step, value = minus_two_log_likelihood(s, t, restricted);
            if (value < best_value) best_value = value, best = t;
        }
        lo = std::max(0.0L, best - 2 * step);
        hi = best + 2 * step;
    }
    return best;
}

TEST(SolverMeta, RemlAndMlMatchBruteForceGrid) {
    std::mt19937_64 random(17);
    std::normal_distribution<double> normal;
    double worst = 0;
    for (int rep = 0; rep < 12; ++rep) {
        size_t k = 3 + 3 * rep;
        Studies s;
        for (size_t i = 0; i < k; ++i) {
            s.se.push_back(0.02 + 0.4 * std::fabs(normal(random)));
            s.y.push_back(-0.4 + std::sqrt(s.se.back() * s.se.back() + 0.09) * normal(random));
        }
        for (bool restricted : {true, false}) {
            MetaSettings settings;
            settings.method = restricted ? TauMethod::REML : TauMethod::ML;
            MetaResult got = meta_analyse(s.y, s.se, settings);
            long double grid = grid_minimum(s, restricted, 5.0L);
            if (grid < 1e-12L) { // the grid's noise floor: the optimum is the boundary
                EXPECT_EQ(got.tau2, 0.0) << k;
                continue;
            }
            EXPECT_TRUE(close(got.tau2, (double)grid, 1e-8))
                << k << (restricted ? " REML " : " ML ") << got.tau2 << " vs grid " << (double)grid;
            worst = std::max(worst, std::fabs(got.tau2 - (double)grid) / (double)grid);
            EXPECT_GT(got.iterations, 0);
        }
    }
    {
        char text[32];
        std::snprintf(text, sizeof text, "%.3e", worst);
        RecordProperty("worst_relative_error", text);
    }
}

TEST(SolverMeta, PauleMandelSolvesGeneralisedQ) {
    auto groups = reference_groups();
    for (const auto &[name, s] : groups) {
        MetaSettings settings;
        settings.method = TauMethod::PM;
        MetaResult got = meta_analyse(s.y, s.se, settings);
        long double w_sum = 0, wy = 0;
        for (size_t i = 0; i < s.y.size(); ++i) {
            long double w = 1 / ((long double)s.se[i] * s.se[i] + got.tau2);
            w_sum += w, wy += w * s.y[i];
        }
        long double mu = wy / w_sum, q = 0;
        for (size_t i = 0; i < s.y.size(); ++i)
            q += (s.y[i] - mu) * (s.y[i] - mu) / ((long double)s.se[i] * s.se[i] + got.tau2);
        if (got.tau2 == 0)
            EXPECT_LE((double)q, s.y.size() - 1.0) << name;
        else
            EXPECT_TRUE(close((double)q, s.y.size() - 1.0, 1e-12)) << name;
    }
}

TEST(SolverMeta, ZeroHeterogeneity) {
    const Studies s = reference_groups().at("homogeneous");
    for (auto method : {TauMethod::DL, TauMethod::REML, TauMethod::PM, TauMethod::ML}) {
        MetaSettings settings;
        settings.method = method;
        MetaResult got = meta_analyse(s.y, s.se, settings);
        EXPECT_EQ(got.tau2, 0.0) << tau_method_name(method);
        EXPECT_EQ(got.i2, 0.0);
        EXPECT_TRUE(close(got.pi_low, got.ci_low, 1e-14)); // no heterogeneity: the intervals coincide
    }
}

TEST(SolverMeta, TwoStudies) {
    const Studies s = reference_groups().at("two");
    MetaSettings settings;
    settings.hartung_knapp = true;
    MetaResult got = meta_analyse(s.y, s.se, settings);
    ASSERT_TRUE(got.ok);
    EXPECT_EQ(got.k, 2u);
    // t with 1 degree of freedom.
    EXPECT_TRUE(close(got.ci_high - got.mu, t_quantile(0.975, 1) * got.se, 1e-13));
    EXPECT_FALSE(meta_analyse({0.3}, {0.1}, MetaSettings{}).ok);
}

TEST(SolverMeta, TinyStandardErrorKeepsDigits) {
    const Studies s = reference_groups().at("tiny_se");
    ASSERT_EQ(s.se.back(), 1e-7);
    MetaSettings settings;
    settings.method = TauMethod::DL;
    MetaResult got = meta_analyse(s.y, s.se, settings);
    long double c = exact_dl_denominator(s.se);
    // Q about the fixed-effect mean in long double, two passes.
    long double w_sum = 0, wy = 0;
    for (size_t i = 0; i < s.y.size(); ++i)
        w_sum += 1 / ((long double)s.se[i] * s.se[i]), wy += s.y[i] / ((long double)s.se[i] * s.se[i]);
    long double q = 0;
    for (size_t i = 0; i < s.y.size(); ++i)
        q += (s.y[i] - wy / w_sum) * (s.y[i] - wy / w_sum) / ((long double)s.se[i] * s.se[i]);
    EXPECT_TRUE(close(got.q, (double)q, 1e-12));
    long double tau2 = (q - (s.y.size() - 1)) / c;
    EXPECT_TRUE(close(got.tau2, (double)tau2, 1e-12));
    long double vt = (s.y.size() - 1) / c;
    EXPECT_TRUE(close(got.i2, (double)(100 * tau2 / (vt + tau2)), 1e-12));
}

} // namespace
} // namespace causeway::solver
