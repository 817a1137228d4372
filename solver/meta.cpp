#include "causeway/solver/meta.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include <ceres/ceres.h>

#include "causeway/error.h"
#include "causeway/solver/distributions.h"
#include "causeway/solver/summation.h"

namespace causeway::solver {

namespace {

constexpr double kNA = std::numeric_limits<double>::quiet_NaN();

// Inverse-variance weighted mean with weights 1 / (v_i + tau2), and its weight total.
template <typename T>
T weighted_mean(const std::vector<double> &y, const std::vector<double> &v, const T &tau2, T *total) {
    CompensatedSum<T> w_sum, wy_sum;
    for (size_t i = 0; i < y.size(); ++i) {
        T w = T(1) / (T(v[i]) + tau2);
        w_sum.add(w);
        wy_sum.add(w * T(y[i]));
    }
    *total = w_sum.value();
    return wy_sum.value() / *total;
}

// Generalised Q: sum of w_i (y_i - mu)^2 with w_i = 1 / (v_i + tau2), about its own weighted mean. The
// deviations are taken from the mean first (two passes), so a study with a huge weight costs no digits.
template <typename T>
T generalised_q(const std::vector<double> &y, const std::vector<double> &v, const T &tau2) {
    T total;
    T mu = weighted_mean(y, v, tau2, &total);
    CompensatedSum<T> q;
    for (size_t i = 0; i < y.size(); ++i) {
        T d = T(y[i]) - mu;
        q.add(d * d / (T(v[i]) + tau2));
    }
    return q.value();
}

// sum(w) - sum(w^2) / sum(w) as sum_i w_i * (sum of the other weights) / sum(w): all terms positive, so no
// cancellation when one weight dwarfs the rest.
double dl_denominator(const std::vector<double> &w) {
    size_t k = w.size();
    std::vector<double> prefix(k + 1, 0.0), suffix(k + 1, 0.0);
    {
        CompensatedSum<double> s;
        for (size_t i = 0; i < k; ++i) {
            s.add(w[i]);
            prefix[i + 1] = s.value();
        }
    }
    {
        CompensatedSum<double> s;
        for (size_t i = k; i-- > 0;) {
            s.add(w[i]);
            suffix[i] = s.value();
        }
    }
    double total = prefix[k];
    CompensatedSum<double> c;
    for (size_t i = 0; i < k; ++i) c.add(w[i] * ((prefix[i] + suffix[i + 1]) / total));
    return c.value();
}

// Half of minus the (restricted) log-likelihood of the random-effects model, profiled over mu, as a
// function of tau = s * scale (tau2 = tau^2 >= 0 by construction). Constants dropped.
struct RandomEffectsNegLogLikelihood {
    RandomEffectsNegLogLikelihood(const std::vector<double> &y, const std::vector<double> &v, double scale,
                                  bool restricted)
        : y_(y), v_(v), scale_(scale), restricted_(restricted) {}
    template <typename T> bool operator()(const T *const s, T *cost) const {
        using std::log;
        T tau = s[0] * scale_;
        T tau2 = tau * tau;
        T total;
        T mu = weighted_mean(y_, v_, tau2, &total);
        CompensatedSum<T> sum;
        for (size_t i = 0; i < y_.size(); ++i) {
            T variance = T(v_[i]) + tau2;
            T d = T(y_[i]) - mu;
            sum.add(log(variance) + d * d / variance);
        }
        T value = sum.value();
        if (restricted_) value += log(total);
        cost[0] = 0.5 * value;
        return true;
    }
    const std::vector<double> &y_, &v_;
    const double scale_;
    const bool restricted_;
};

double neg_log_likelihood(const std::vector<double> &y, const std::vector<double> &v, double tau2,
                          bool restricted) {
    RandomEffectsNegLogLikelihood f(y, v, 1.0, restricted);
    double tau = std::sqrt(tau2), cost;
    f(&tau, &cost);
    return cost;
}

// REML or ML by Ceres's line-search minimiser over tau (scaled to order 1).
double tau2_likelihood(const std::vector<double> &y, const std::vector<double> &v, double vt,
                       double start_tau2, bool restricted, int *iterations) {
    double scale = std::sqrt(vt);
    // Never start at tau = 0 exactly: the objective is even in tau, so its gradient vanishes there.
    double s = std::sqrt(std::max(start_tau2, 0.01 * vt)) / scale;
    ceres::GradientProblem problem(new ceres::AutoDiffFirstOrderFunction<RandomEffectsNegLogLikelihood, 1>(
        new RandomEffectsNegLogLikelihood(y, v, scale, restricted)));
    ceres::GradientProblemSolver::Options options;
    options.line_search_direction_type = ceres::BFGS;
    options.logging_type = ceres::SILENT;
    options.max_num_iterations = 500;
    options.function_tolerance = 1e-16;
    options.gradient_tolerance = 1e-13;
    options.parameter_tolerance = 1e-16;
    ceres::GradientProblemSolver::Summary summary;
    ceres::Solve(options, problem, &s, &summary);
    *iterations = static_cast<int>(summary.iterations.size());
    if (!(summary.termination_type == ceres::CONVERGENCE))
        fail("Ceres did not converge on the {} likelihood: {}", restricted ? "REML" : "ML", summary.message);

    // The line search stops once the likelihood no longer changes in double precision, which leaves
    // tau2 good to about 1e-8 only (the optimum is flat). Finish on the gradient, which crosses zero
    // steeply: a bracketed secant (Illinois) on Ceres's autodiff gradient.
    ceres::AutoDiffFirstOrderFunction<RandomEffectsNegLogLikelihood, 1> function(
        new RandomEffectsNegLogLikelihood(y, v, scale, restricted));
    auto gradient = [&](double at) {
        double cost, g;
        function.Evaluate(&at, &cost, &g);
        return g;
    };
    s = std::fabs(s);
    if (s > 0) {
        double lo = s * (1 - 1e-6), hi = s * (1 + 1e-6);
        double g_lo = gradient(lo), g_hi = gradient(hi);
        for (int i = 0; i < 60 && g_lo > 0 && lo > 1e-300; ++i) g_lo = gradient(lo *= 0.5);
        for (int i = 0; i < 60 && g_hi < 0; ++i) g_hi = gradient(hi *= 2);
        if (g_lo <= 0 && g_hi >= 0) {
            int side = 0;
            for (int i = 0; i < 200 && hi - lo > 4 * std::numeric_limits<double>::epsilon() * hi; ++i) {
                ++*iterations;
                double mid = (lo * g_hi - hi * g_lo) / (g_hi - g_lo);
                if (!(mid > lo && mid < hi)) mid = 0.5 * (lo + hi);
                double g_mid = gradient(mid);
                if (g_mid == 0) {
                    lo = hi = mid;
                    break;
                }
                if (g_mid < 0) {
                    lo = mid, g_lo = g_mid;
                    if (side == -1) g_hi *= 0.5;
                    side = -1;
                } else {
                    hi = mid, g_hi = g_mid;
                    if (side == 1) g_lo *= 0.5;
                    side = 1;
                }
            }
            s = 0.5 * (lo + hi);
        }
    }
    double tau = s * scale;
    double tau2 = tau * tau;
    // At the boundary the minimiser creeps towards tau = 0; report the truncated value exactly, as
    // metafor does, when it is at least as good.
    if (neg_log_likelihood(y, v, 0.0, restricted) <= neg_log_likelihood(y, v, tau2, restricted)) return 0;
    return tau2;
}

// Paule-Mandel: the tau2 at which the generalised Q equals k - 1 (0 if it is below already). Q decreases
// in tau2 with derivative -sum(w^2 (y - mu)^2): safeguarded Newton inside a bracket.
double tau2_paule_mandel(const std::vector<double> &y, const std::vector<double> &v, double vt,
                         int *iterations) {
    auto target = static_cast<double>(y.size() - 1);
    auto f = [&](double tau2) { return generalised_q(y, v, tau2) - target; };
    *iterations = 0;
    if (f(0) <= 0) return 0;
    double lo = 0, hi = vt;
    while (f(hi) > 0) {
        lo = hi;
        hi *= 2;
        if (hi > 1e300) fail("Paule-Mandel: no root of the generalised Q below 1e300");
    }
    double tau2 = 0.5 * (lo + hi);
    for (int i = 0; i < 500; ++i) {
        ++*iterations;
        double value = f(tau2);
        if (value == 0) break;
        if (value > 0)
            lo = tau2;
        else
            hi = tau2;
        double total;
        double mu = weighted_mean(y, v, tau2, &total);
        CompensatedSum<double> slope;
        for (size_t j = 0; j < y.size(); ++j) {
            double w = 1 / (v[j] + tau2), d = y[j] - mu;
            slope.add(-w * w * d * d);
        }
        double next = tau2 - value / slope.value();
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        bool done = std::fabs(next - tau2) <= 1e-15 * std::max(next, 1e-300) || hi - lo <= 1e-15 * hi;
        tau2 = next;
        if (done) break;
    }
    return tau2;
}

} // namespace

const char *tau_method_name(TauMethod method) {
    switch (method) {
    case TauMethod::DL:
        return "DL";
    case TauMethod::REML:
        return "REML";
    case TauMethod::PM:
        return "PM";
    case TauMethod::ML:
        return "ML";
    }
    return "?";
}

TauMethod parse_tau_method(const std::string &name) {
    std::string lower = name;
    for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "dl") return TauMethod::DL;
    if (lower == "reml") return TauMethod::REML;
    if (lower == "pm") return TauMethod::PM;
    if (lower == "ml") return TauMethod::ML;
    fail("unknown --method '{}' (choose from dl, reml, pm, ml)", name);
}

double cochran_q(const std::vector<double> &y, const std::vector<double> &se) {
    std::vector<double> v(y.size());
    for (size_t i = 0; i < y.size(); ++i) v[i] = se[i] * se[i];
    return generalised_q(y, v, 0.0);
}

MetaResult meta_analyse(const std::vector<double> &y, const std::vector<double> &se,
                        const MetaSettings &settings) {
    MetaResult result{std::string(tau_method_name(settings.method)) + (settings.hartung_knapp ? "_HK" : ""),
                      true,
                      "",
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      kNA,
                      y.size(),
                      0};
    size_t k = y.size();
    if (k < 2) {
        result.ok = false;
        result.note = fmt::format("{} estimate{}, a random-effects meta-analysis needs at least 2", k,
                                  k == 1 ? "" : "s");
        return result;
    }
    std::vector<double> v(k), w(k);
    for (size_t i = 0; i < k; ++i) {
        v[i] = se[i] * se[i];
        w[i] = 1 / v[i];
    }
    auto df = static_cast<double>(k - 1);
    double q = generalised_q(y, v, 0.0);
    double c = dl_denominator(w);
    // metafor's "typical" within-study variance, the reference for I^2 and the scale of tau.
    double vt = df / c;
    double tau2_dl = std::max(0.0, (q - df) / c);

    double tau2 = 0;
    int iterations = 0;
    switch (settings.method) {
    case TauMethod::DL:
        tau2 = tau2_dl;
        break;
    case TauMethod::PM:
        tau2 = tau2_paule_mandel(y, v, vt, &iterations);
        break;
    case TauMethod::REML:
        tau2 = tau2_likelihood(y, v, vt, tau2_dl, true, &iterations);
        break;
    case TauMethod::ML:
        tau2 = tau2_likelihood(y, v, vt, tau2_dl, false, &iterations);
        break;
    }

    double total;
    double mu = weighted_mean(y, v, tau2, &total);
    double se_mu = std::sqrt(1 / total);
    double alpha = 1 - settings.level;
    double crit;
    if (settings.hartung_knapp) {
        // Knapp-Hartung: scale the variance by the weighted residual mean square (not truncated at 1,
        // as in metafor's test = "knha"), t with k - 1 degrees of freedom.
        double s2 = generalised_q(y, v, tau2) / df;
        se_mu *= std::sqrt(s2);
        crit = t_quantile(1 - alpha / 2, df);
    } else {
        crit = normal_quantile(1 - alpha / 2);
    }
    result.mu = mu;
    result.se = se_mu;
    result.ci_low = mu - crit * se_mu;
    result.ci_high = mu + crit * se_mu;
    result.tau2 = tau2;
    result.tau = std::sqrt(tau2);
    result.i2 = 100 * tau2 / (vt + tau2);
    result.q = q;
    result.q_pvalue = chisq_upper(q, df);
    double pi_half = crit * std::sqrt(se_mu * se_mu + tau2);
    result.pi_low = mu - pi_half;
    result.pi_high = mu + pi_half;
    result.iterations = iterations;
    if (!std::isfinite(mu) || !std::isfinite(se_mu)) {
        result.ok = false;
        result.note = "ill-conditioned: non-finite estimate";
    }
    return result;
}

} // namespace causeway::solver
