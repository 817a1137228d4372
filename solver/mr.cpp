#include "causeway/solver/mr.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <ceres/ceres.h>
#include <fmt/format.h>

#include "causeway/solver/distributions.h"
#include "causeway/solver/r_random.h"
#include "causeway/solver/summation.h"

namespace causeway::solver {

namespace {

constexpr double kNA = std::numeric_limits<double>::quiet_NaN();

// Below this instrument strength in every variant the ratio estimates divide noise by noise and the
// fits return arbitrarily large numbers: NA with a warning instead.
constexpr double kMinUsefulExposureZ = 1e-4;
// Egger: weighted variance of the oriented beta_exposure relative to its weighted mean square below this
// leaves slope and intercept inseparable (fewer than ~5 reliable digits).
constexpr double kMinEggerSpread = 1e-10;

/* ---------------------------------------------------------------- the models (Ceres functors) */

// Each functor writes the whitened residuals of every variant in the region: one residual block of n
// residuals per problem. (One block per variant, as in Ceres's curve_fitting example, costs about 25x more
// in Ceres's per-block bookkeeping at 3,000 variants, which Deep MR's 900 regions cannot afford.)

// IVW: regression of beta_outcome on beta_exposure without intercept, weights 1/se_outcome^2.
struct IvwResiduals {
    IvwResiduals(const double *bx, const double *by, const double *by_se, size_t n)
        : bx_(bx), by_(by), by_se_(by_se), n_(n) {}
    template <typename T> bool operator()(const T *const beta, T *residuals) const {
        for (size_t i = 0; i < n_; ++i) residuals[i] = (by_[i] - beta[0] * bx_[i]) / by_se_[i];
        return true;
    }
    const double *bx_, *by_, *by_se_;
    const size_t n_;
};

// MR-Egger: the same regression with an intercept, on variants oriented so that beta_exposure >= 0.
// Parameters: {intercept, slope}.
struct EggerResiduals {
    EggerResiduals(const double *bx, const double *by, const double *by_se, size_t n)
        : bx_(bx), by_(by), by_se_(by_se), n_(n) {}
    template <typename T> bool operator()(const T *const theta, T *residuals) const {
        for (size_t i = 0; i < n_; ++i) residuals[i] = (by_[i] - theta[0] - theta[1] * bx_[i]) / by_se_[i];
        return true;
    }
    const double *bx_, *by_, *by_se_;
    const size_t n_;
};

// Ceres's robust loss applied to one residual inside a multi-residual block: returns r' with
// r'^2 = rho(r^2), so that sum(r'^2) / 2 is exactly the cost Ceres would give one block per residual with
// that loss. Derivatives by the chain rule from the loss's own rho'(s).
inline double robust_residual(double r, const ceres::LossFunction &loss) {
    double rho[3];
    loss.Evaluate(r * r, rho);
    return r < 0 ? -std::sqrt(rho[0]) : std::sqrt(rho[0]);
}
template <typename T, int N>
ceres::Jet<T, N> robust_residual(const ceres::Jet<T, N> &r, const ceres::LossFunction &loss) {
    double rho[3];
    double s = r.a * r.a;
    loss.Evaluate(s, rho);
    if (rho[0] == s) return r; // inside the quadratic zone: unchanged (and no 0/0 at r = 0)
    double value = std::sqrt(rho[0]);
    // d sqrt(rho(r^2)) = rho'(s) |r| / sqrt(rho(s)) dr
    double slope = rho[1] * std::fabs(r.a) / value;
    return ceres::Jet<T, N>(r.a < 0 ? -value : value, slope * r.v);
}

// RAPS: the standardised residual of the profile likelihood, whose variance includes the exposure's
// measurement error (se_outcome^2 + beta^2 se_exposure^2), through mr.raps's robust loss (Ceres's
// HuberLoss; its rho(s) / 2 is mr.raps's rho.huber).
struct RapsResiduals {
    RapsResiduals(const MrData &data, const ceres::LossFunction &loss) : data_(data), loss_(loss) {}
    template <typename T> bool operator()(const T *const beta, T *residuals) const {
        using std::sqrt;
        for (size_t i = 0; i < data_.size(); ++i) {
            double bx = data_.beta_exposure[i], bx_se = data_.se_exposure[i];
            double by = data_.beta_outcome[i], by_se = data_.se_outcome[i];
            T t = (by - beta[0] * bx) / sqrt(by_se * by_se + beta[0] * beta[0] * (bx_se * bx_se));
            residuals[i] = robust_residual(t, loss_);
        }
        return true;
    }
    const MrData &data_;
    const ceres::LossFunction &loss_;
};

ceres::Solver::Options solver_options() {
    ceres::Solver::Options options;
    options.linear_solver_type = ceres::DENSE_QR;
    options.logging_type = ceres::SILENT;
    options.minimizer_progress_to_stdout = false;
    options.num_threads = 1; // regions run in parallel instead
    options.max_num_iterations = 100;
    // Stop early: polish() below takes the answer to full precision with a few Gauss-Newton steps.
    options.function_tolerance = 1e-10;
    options.gradient_tolerance = 1e-14;
    options.parameter_tolerance = 1e-10;
    return options;
}

// First-order optimality, scale-free: per parameter, |sum_i J_i r_i| against sum_i |J_i r_i| (loss applied).
// Ceres stops when the cost no longer changes in double precision, which on a flat optimum leaves the
// parameters good to about 1e-8 only; Gauss-Newton steps on the gradient (which crosses zero steeply)
// finish the job. For the linear models one step is exact.
bool polish(ceres::Problem &problem, double *parameters, int size) {
    constexpr double kTolerance = 1e-12;
    for (int step = 0; step < 20; ++step) {
        double cost;
        std::vector<double> residuals, gradient;
        ceres::CRSMatrix jacobian;
        if (!problem.Evaluate(ceres::Problem::EvaluateOptions(), &cost, &residuals, &gradient, &jacobian))
            return false;
        double scale[2] = {0, 0}, h[2][2] = {{0, 0}, {0, 0}};
        for (int row = 0; row < jacobian.num_rows; ++row) {
            for (int a = jacobian.rows[row]; a < jacobian.rows[row + 1]; ++a) {
                scale[jacobian.cols[a]] += std::fabs(jacobian.values[a] * residuals[row]);
                for (int b = jacobian.rows[row]; b < jacobian.rows[row + 1]; ++b)
                    h[jacobian.cols[a]][jacobian.cols[b]] += jacobian.values[a] * jacobian.values[b];
            }
        }
        bool done = true;
        for (int j = 0; j < size; ++j) done = done && std::fabs(gradient[j]) <= kTolerance * scale[j];
        if (done) return true;
        if (step == 19) break;
        if (size == 1) {
            parameters[0] -= gradient[0] / h[0][0];
        } else {
            double det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
            parameters[0] -= (h[1][1] * gradient[0] - h[0][1] * gradient[1]) / det;
            parameters[1] -= (h[0][0] * gradient[1] - h[1][0] * gradient[0]) / det;
        }
        if (!std::isfinite(parameters[0]) || (size == 2 && !std::isfinite(parameters[1]))) return false;
    }
    return false;
}

// (X'WX)^-1 of whitened residuals at the solution, for one parameter block.
bool covariance(ceres::Problem &problem, double *block, double *out) {
    ceres::Covariance::Options options;
    options.algorithm_type = ceres::DENSE_SVD;
    options.num_threads = 1;
    ceres::Covariance covariance(options);
    std::vector<std::pair<const double *, const double *>> blocks = {{block, block}};
    if (!covariance.Compute(blocks, &problem)) return false;
    return covariance.GetCovarianceBlock(block, block, out);
}

/* ---------------------------------------------------------------- shared helpers */

MrResult na_result(MrMethod method, size_t n, MrStatus status, std::string note) {
    MrResult result{method, status, std::move(note), kNA, kNA, kNA, kNA, kNA, kNA, n, 0};
    return result;
}

MrResult ok_result(MrMethod method, size_t n) {
    return MrResult{method, MrStatus::Ok, "", kNA, kNA, kNA, kNA, kNA, kNA, n, 0};
}

// Checks common to every method: enough variants, and an exposure that is not zero to working precision.
bool precheck(MrMethod method, const MrData &data, MrResult &result) {
    size_t n = data.size();
    if (n < mr_min_variants(method)) {
        result = na_result(method, n, MrStatus::TooFewVariants,
                           fmt::format("{} variant{}, {} needs at least {}", n, n == 1 ? "" : "s",
                                       mr_method_name(method), mr_min_variants(method)));
        return false;
    }
    double max_z = 0;
    for (size_t i = 0; i < n; ++i)
        max_z = std::max(max_z, std::fabs(data.beta_exposure[i] / data.se_exposure[i]));
    if (!(max_z >= kMinUsefulExposureZ)) {
        result = na_result(method, n, MrStatus::IllConditioned,
                           fmt::format("ill-conditioned: every |beta_exposure / se_exposure| is below {:g} "
                                       "(largest {:.3g}), the causal effect is not identified",
                                       kMinUsefulExposureZ, max_z));
        return false;
    }
    return true;
}

// Final guard: a non-finite number is reported as NA, never printed as a wild value.
MrResult finish(MrResult result) {
    if (result.status == MrStatus::Ok && !(std::isfinite(result.estimate) && std::isfinite(result.se))) {
        return na_result(result.method, result.n_variants, MrStatus::IllConditioned,
                         "ill-conditioned: the fit gave a non-finite estimate or standard error");
    }
    return result;
}

double sign(double x) {
    return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0);
}

} // namespace

/* ---------------------------------------------------------------- public */

const char *mr_method_name(MrMethod method) {
    switch (method) {
    case MrMethod::Ivw:
        return "IVW";
    case MrMethod::Egger:
        return "Egger";
    case MrMethod::WeightedMedian:
        return "WeightedMedian";
    case MrMethod::Raps:
        return "RAPS";
    }
    return "?";
}

size_t mr_min_variants(MrMethod method) {
    return method == MrMethod::Egger || method == MrMethod::WeightedMedian ? 3 : 2;
}

double huber_delta(double k) {
    return 2 * normal_cdf(k) - 1;
}

double huber_c1(double k) {
    double phi = std::exp(-0.5 * k * k) / std::sqrt(2 * M_PI);
    return (2 * normal_cdf(k) - 1) - 2 * k * phi + 2 * k * k * normal_upper(k);
}

MrResult mr_ivw(const MrData &data, const MrSettings &settings) {
    MrResult result = ok_result(MrMethod::Ivw, data.size());
    if (!precheck(MrMethod::Ivw, data, result)) return result;
    size_t n = data.size();

    double beta = 0;
    ceres::Problem problem;
    problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<IvwResiduals, ceres::DYNAMIC, 1>(
            new IvwResiduals(data.beta_exposure.data(), data.beta_outcome.data(), data.se_outcome.data(), n),
            static_cast<int>(n)),
        nullptr, &beta);
    ceres::Solver::Summary summary;
    ceres::Solve(solver_options(), &problem, &summary);
    result.iterations = static_cast<int>(summary.iterations.size());
    if (!polish(problem, &beta, 1))
        return na_result(MrMethod::Ivw, n, MrStatus::NotConverged,
                         "Ceres did not converge: " + summary.message);
    double cov;
    if (!covariance(problem, &beta, &cov))
        return na_result(
            MrMethod::Ivw, n, MrStatus::IllConditioned,
            "ill-conditioned: sum of beta_exposure^2 / se_outcome^2 is zero to working precision");

    // Residual standard error of the weighted regression (n - 1 degrees of freedom).
    CompensatedSum<double> rss;
    for (size_t i = 0; i < n; ++i) {
        double r = (data.beta_outcome[i] - beta * data.beta_exposure[i]) / data.se_outcome[i];
        rss.add(r * r);
    }
    double sigma = std::sqrt(rss.value() / static_cast<double>(n - 1));
    bool random =
        settings.ivw_model == IvwModel::Random || (settings.ivw_model == IvwModel::Default && n >= 4);
    // Multiplicative random effects scale by the residual standard error only when it exceeds 1.
    double se = std::sqrt(cov) * (random ? std::max(sigma, 1.0) : 1.0);

    result.estimate = beta;
    result.se = se;
    result.pvalue = settings.pvalues == PvalueDistribution::T
                        ? t_two_sided(beta / se, static_cast<double>(n - 1))
                        : normal_two_sided(beta / se);
    return finish(result);
}

MrResult mr_egger(const MrData &data, const MrSettings &settings) {
    MrResult result = ok_result(MrMethod::Egger, data.size());
    if (!precheck(MrMethod::Egger, data, result)) return result;
    size_t n = data.size();

    // Orient every variant so that its exposure association is non-negative.
    std::vector<double> bx(n), by(n);
    for (size_t i = 0; i < n; ++i) {
        bx[i] = std::fabs(data.beta_exposure[i]);
        by[i] = sign(data.beta_exposure[i]) * data.beta_outcome[i];
    }
    {
        CompensatedSum<double> w_sum, wx_sum;
        for (size_t i = 0; i < n; ++i) {
            double w = 1 / (data.se_outcome[i] * data.se_outcome[i]);
            w_sum.add(w);
            wx_sum.add(w * bx[i]);
        }
        double mean = wx_sum.value() / w_sum.value();
        CompensatedSum<double> spread, square;
        for (size_t i = 0; i < n; ++i) {
            double w = 1 / (data.se_outcome[i] * data.se_outcome[i]);
            spread.add(w * (bx[i] - mean) * (bx[i] - mean));
            square.add(w * bx[i] * bx[i]);
        }
        if (!(spread.value() > kMinEggerSpread * square.value()))
            return na_result(MrMethod::Egger, n, MrStatus::IllConditioned,
                             "ill-conditioned: the oriented beta_exposure are (nearly) all equal, slope and "
                             "intercept cannot be separated");
    }

    double theta[2] = {0, 0}; // intercept, slope
    ceres::Problem problem;
    problem.AddResidualBlock(
        new ceres::AutoDiffCostFunction<EggerResiduals, ceres::DYNAMIC, 2>(
            new EggerResiduals(bx.data(), by.data(), data.se_outcome.data(), n), static_cast<int>(n)),
        nullptr, theta);
    ceres::Solver::Summary summary;
    ceres::Solve(solver_options(), &problem, &summary);
    result.iterations = static_cast<int>(summary.iterations.size());
    if (!polish(problem, theta, 2))
        return na_result(MrMethod::Egger, n, MrStatus::NotConverged,
                         "Ceres did not converge: " + summary.message);
    double cov[4];
    if (!covariance(problem, theta, cov))
        return na_result(MrMethod::Egger, n, MrStatus::IllConditioned,
                         "ill-conditioned: the Egger design matrix is rank deficient");

    CompensatedSum<double> rss;
    for (size_t i = 0; i < n; ++i) {
        double r = (by[i] - theta[0] - theta[1] * bx[i]) / data.se_outcome[i];
        rss.add(r * r);
    }
    double rse = std::sqrt(rss.value() / static_cast<double>(n - 2));
    // lm()'s standard errors divided by min(1, rse): under-dispersion is not allowed to shrink them.
    double scale = std::max(rse, 1.0);
    result.estimate = theta[1];
    result.se = std::sqrt(cov[3]) * scale;
    result.intercept = theta[0];
    result.intercept_se = std::sqrt(cov[0]) * scale;

    double df = static_cast<double>(n - 2);
    auto pvalue = [&](double estimate, double se) {
        double z = estimate / se;
        if (settings.pvalues == PvalueDistribution::Normal) return normal_two_sided(z);
        // With under-dispersion, the wider of the normal test and the t test on the unscaled fit.
        if (rse < 1) return std::max(normal_two_sided(z), t_two_sided(z / rse, df));
        return t_two_sided(z, df);
    };
    result.pvalue = pvalue(result.estimate, result.se);
    result.intercept_pvalue = pvalue(result.intercept, result.intercept_se);
    return finish(result);
}

double weighted_median(const std::vector<double> &theta, const std::vector<double> &weights) {
    size_t n = theta.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    // R's order() is stable.
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return theta[a] < theta[b]; });
    // R's sum() and cumsum() accumulate in long double.
    long double total = 0;
    for (size_t i : order) total += weights[i];
    double total_d = static_cast<double>(total);
    long double running = 0;
    double below = kNA, below_theta = kNA;
    for (size_t j = 0; j < n; ++j) {
        size_t i = order[j];
        running += weights[i];
        double position = (static_cast<double>(running) - 0.5 * weights[i]) / total_d;
        if (position < 0.5) {
            below = position;
            below_theta = theta[i];
            continue;
        }
        if (std::isnan(below)) return theta[i]; // the first variant already holds half the weight
        double ratio = (0.5 - below) / (position - below);
        return below_theta + (theta[i] - below_theta) * ratio;
    }
    return below_theta;
}

MrResult mr_weighted_median(const MrData &data, const MrSettings &settings) {
    MrResult result = ok_result(MrMethod::WeightedMedian, data.size());
    if (!precheck(MrMethod::WeightedMedian, data, result)) return result;
    size_t n = data.size();

    // First-order weights (beta_exposure / se_outcome)^2, the package's default "weighted" median. A
    // variant with beta_exposure exactly 0 has weight 0 and an undefined ratio: it is left out of the
    // medians but still drawn in the bootstrap, so the random stream stays aligned with R's.
    std::vector<size_t> used;
    std::vector<double> theta, weights;
    for (size_t i = 0; i < n; ++i) {
        if (data.beta_exposure[i] == 0) continue;
        used.push_back(i);
        theta.push_back(data.beta_outcome[i] / data.beta_exposure[i]);
        double w = data.beta_exposure[i] / data.se_outcome[i];
        weights.push_back(w * w);
    }
    result.estimate = weighted_median(theta, weights);

    if (settings.bootstrap >= 2) {
        RRandom random(settings.seed);
        std::vector<double> bx(n), by(n), boot_theta(used.size());
        std::vector<double> medians(static_cast<size_t>(settings.bootstrap));
        for (double &median : medians) {
            // rnorm(n, mean, sd) for the exposure, then for the outcome, as the package draws them.
            for (size_t i = 0; i < n; ++i)
                bx[i] = data.beta_exposure[i] + data.se_exposure[i] * random.normal();
            for (size_t i = 0; i < n; ++i)
                by[i] = data.beta_outcome[i] + data.se_outcome[i] * random.normal();
            for (size_t j = 0; j < used.size(); ++j) boot_theta[j] = by[used[j]] / bx[used[j]];
            median = weighted_median(boot_theta, weights);
        }
        // sd(): two-pass, n - 1 denominator.
        CompensatedSum<double> sum;
        for (double m : medians) sum.add(m);
        double mean = sum.value() / static_cast<double>(medians.size());
        CompensatedSum<double> squares;
        for (double m : medians) squares.add((m - mean) * (m - mean));
        result.se = std::sqrt(squares.value() / static_cast<double>(medians.size() - 1));
        double z = result.estimate / result.se;
        result.pvalue = settings.pvalues == PvalueDistribution::T ? t_two_sided(z, static_cast<double>(n - 1))
                                                                  : normal_two_sided(z);
    } else {
        // No bootstrap asked for: the estimate alone.
        if (!std::isfinite(result.estimate))
            return na_result(MrMethod::WeightedMedian, n, MrStatus::IllConditioned,
                             "ill-conditioned: non-finite weighted median");
        return result;
    }
    return finish(result);
}

MrResult mr_raps(const MrData &data, const MrSettings &settings) {
    MrResult result = ok_result(MrMethod::Raps, data.size());
    if (!precheck(MrMethod::Raps, data, result)) return result;
    size_t n = data.size();

    // The robust profile objective need not be convex: start from the IVW and the weighted-median
    // estimates and keep the better optimum (mr.raps searches a bounded interval instead).
    std::vector<double> starts;
    {
        CompensatedSum<double> xy, xx;
        std::vector<double> theta, weights;
        for (size_t i = 0; i < n; ++i) {
            double w = 1 / (data.se_outcome[i] * data.se_outcome[i]);
            xy.add(w * data.beta_exposure[i] * data.beta_outcome[i]);
            xx.add(w * data.beta_exposure[i] * data.beta_exposure[i]);
            if (data.beta_exposure[i] != 0) {
                theta.push_back(data.beta_outcome[i] / data.beta_exposure[i]);
                weights.push_back(w * data.beta_exposure[i] * data.beta_exposure[i]);
            }
        }
        double ivw = xy.value() / xx.value();
        if (std::isfinite(ivw)) starts.push_back(ivw);
        double median = weighted_median(theta, weights);
        if (std::isfinite(median) && !(starts.size() && median == starts[0])) starts.push_back(median);
    }
    if (starts.empty()) starts.push_back(0);

    ceres::HuberLoss huber(settings.huber_k);
    double best = kNA, best_cost = std::numeric_limits<double>::infinity();
    int iterations = 0;
    std::string failure;
    double beta = starts[0];
    ceres::Problem problem;
    problem.AddResidualBlock(new ceres::AutoDiffCostFunction<RapsResiduals, ceres::DYNAMIC, 1>(
                                 new RapsResiduals(data, huber), static_cast<int>(n)),
                             nullptr, &beta);
    for (double start : starts) {
        double start_cost;
        beta = start;
        problem.Evaluate(ceres::Problem::EvaluateOptions(), &start_cost, nullptr, nullptr, nullptr);
        // A later start only matters if it begins below the optimum found so far (another basin).
        if (!std::isnan(best) && !(start_cost < best_cost)) continue;
        ceres::Solver::Summary summary;
        ceres::Solve(solver_options(), &problem, &summary);
        iterations += static_cast<int>(summary.iterations.size());
        if (!polish(problem, &beta, 1)) {
            failure = summary.message;
            continue;
        }
        double cost;
        problem.Evaluate(ceres::Problem::EvaluateOptions(), &cost, nullptr, nullptr, nullptr);
        if (cost < best_cost) {
            best_cost = cost;
            best = beta;
        }
    }
    result.iterations = iterations;
    if (std::isnan(best))
        return na_result(MrMethod::Raps, n, MrStatus::NotConverged, "Ceres did not converge: " + failure);

    // mr.raps's sandwich variance for the Huber estimating equation (no over-dispersion): it accounts
    // for the exposure's standard errors, which a plain inverse Hessian would not.
    CompensatedSum<double> score_var, information;
    for (size_t i = 0; i < n; ++i) {
        double bx = data.beta_exposure[i], sx2 = data.se_exposure[i] * data.se_exposure[i];
        double by = data.beta_outcome[i], sy2 = data.se_outcome[i] * data.se_outcome[i];
        double v = sy2 + best * best * sx2;
        double common = (bx * bx - sx2) * sy2 + (by * by - sy2) * sx2;
        score_var.add((common + sx2 * sy2) / (v * v));
        information.add(common / (v * v));
    }
    double variance = huber_c1(settings.huber_k) * score_var.value() /
                      std::pow(huber_delta(settings.huber_k) * information.value(), 2);
    result.estimate = best;
    result.se = std::sqrt(variance);
    result.pvalue = std::min(1.0, normal_two_sided(best / result.se));
    return finish(result);
}

MrResult mr_run(MrMethod method, const MrData &data, const MrSettings &settings) {
    switch (method) {
    case MrMethod::Ivw:
        return mr_ivw(data, settings);
    case MrMethod::Egger:
        return mr_egger(data, settings);
    case MrMethod::WeightedMedian:
        return mr_weighted_median(data, settings);
    case MrMethod::Raps:
        return mr_raps(data, settings);
    }
    return na_result(method, data.size(), MrStatus::NotConverged, "unknown method");
}

} // namespace causeway::solver
