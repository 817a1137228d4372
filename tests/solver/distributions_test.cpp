// Distribution functions and R's random numbers against values computed by R (reference/make_reference.R).
#include <cmath>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "causeway/solver/distributions.h"
#include "causeway/solver/r_random.h"
#include "reference_table.h"

namespace causeway::solver {
namespace {

using testing::close;
using testing::read_reference;

TEST(SolverDistributions, MatchR) {
    auto table = read_reference("distributions.tsv");
    ASSERT_GT(table.rows.size(), 100u);
    for (size_t r = 0; r < table.rows.size(); ++r) {
        std::string fn = table.text(r, "fn");
        double a = table.number(r, "a"), b = table.number(r, "b"), expected = table.number(r, "value");
        double got = 0, tolerance = 1e-13;
        if (fn == "pnorm")
            got = normal_cdf(a);
        else if (fn == "qnorm")
            got = normal_quantile(a);
        // lgamma's absolute error at a few thousand degrees of freedom costs about 11 digits.
        else if (fn == "pt2")
            got = t_two_sided(a, b), tolerance = b > 1000 ? 1e-10 : 1e-12;
        else if (fn == "qt")
            got = t_quantile(a, b), tolerance = 1e-11;
        else if (fn == "pchisq_upper")
            got = chisq_upper(a, b), tolerance = 1e-10;
        else
            FAIL() << "unknown function " << fn;
        EXPECT_TRUE(close(got, expected, tolerance))
            << fn << "(" << a << ", " << b << ") = " << got << ", R: " << expected;
    }
}

TEST(SolverDistributions, EdgeValues) {
    EXPECT_EQ(normal_quantile(0), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(normal_quantile(1), std::numeric_limits<double>::infinity());
    EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
    EXPECT_DOUBLE_EQ(normal_two_sided(0), 1.0);
    EXPECT_DOUBLE_EQ(t_two_sided(0, 3), 1.0);
    EXPECT_EQ(t_quantile(0.5, 4), 0.0);
    // Symmetry of the quantiles.
    EXPECT_DOUBLE_EQ(t_quantile(0.025, 7), -t_quantile(0.975, 7));
    EXPECT_DOUBLE_EQ(chisq_upper(0, 3), 1.0);
    // A tail probability far below the resolution of 1 - cdf keeps its digits (R: 2 * pnorm(-12)).
    EXPECT_GT(normal_two_sided(12), 0.0);
    EXPECT_TRUE(close(normal_two_sided(12), 3.5529642241553581e-33, 1e-12));
}

TEST(SolverRRandom, MatchesSetSeed) {
    auto table = read_reference("r_rnorm.tsv");
    RRandom random(314159265);
    for (size_t r = 0; r < table.rows.size(); ++r) {
        double got = random.normal();
        EXPECT_TRUE(close(got, table.number(r, "value"), 1e-15)) << "draw " << r + 1 << ": " << got;
    }
}

// The bootstrap's normals come from r_qnorm, R's own algorithm (AS 241 as R evaluates it): bit for bit
// R's qnorm, where the general normal_quantile above is only accurate to a few ulps.
TEST(SolverRRandom, QnormIsRsBitForBit) {
    auto table = read_reference("distributions.tsv");
    int compared = 0;
    for (size_t r = 0; r < table.rows.size(); ++r) {
        double p = table.number(r, "a");
        if (table.text(r, "fn") != "qnorm" || !(p > 0 && p < 1)) continue;
        EXPECT_EQ(r_qnorm(p), table.number(r, "value")) << "qnorm(" << p << ")";
        ++compared;
    }
    EXPECT_GE(compared, 8);
}

TEST(SolverRRandom, BulkDrawsAreTheSequentialDraws) {
    // Bulk draws work in chunks of 256 with the tails handled apart: every chunk boundary and both
    // branches of the inversion must give exactly the one-at-a-time sequence.
    RRandom one(20240501), bulk(20240501);
    std::vector<double> drawn(3 * 256 + 17 + 1000);
    bulk.normals(drawn.data(), 3 * 256 + 17);
    bulk.normals(drawn.data() + 3 * 256 + 17, 1000);
    int tails = 0;
    for (size_t i = 0; i < drawn.size(); ++i) {
        double x = one.normal();
        ASSERT_EQ(drawn[i], x) << "draw " << i;
        tails += std::fabs(x) > 1.44; // |p - 0.5| > 0.425
    }
    EXPECT_GT(tails, 100);
    auto table = read_reference("r_rnorm.tsv");
    RRandom r(314159265);
    std::vector<double> values(table.rows.size());
    r.normals(values.data(), values.size());
    for (size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(values[i], table.number(i, "value")) << "draw " << i + 1;
}

} // namespace
} // namespace causeway::solver
