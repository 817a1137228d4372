#include "causeway/solver/mr.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <ceres/loss_function.h>
#include <ceres/tiny_solver.h>
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

/* ---------------------------------------------------------------- the models (TinySolver functors) */

// Each model is fitted by ceres::TinySolver, Ceres's solver for small dense problems: with one or two
// parameters the general ceres::Problem / Solve / Covariance machinery costs a few hundred microseconds
// of setup per region, far more than the fit itself. The functors follow TinySolver's interface (all
// residuals of the region at once, column-major n x P Jacobian or none) with hand-written Jacobians:
// the models are simple enough that autodiff's Jets would only add cost. Residuals are whitened by the
// weights, so (J'J)^-1 at the solution is the covariance ceres::Covariance would give.

// IVW: regression of beta_outcome on beta_exposure without intercept, weights 1/se_outcome^2 (inv_se
// holds 1/se_outcome).
struct IvwResiduals {
    using Scalar = double;
    enum { NUM_RESIDUALS = Eigen::Dynamic, NUM_PARAMETERS = 1 };
    const double *bx, *by, *inv_se;
    int n;
    int NumResiduals() const { return n; }
    bool operator()(const double *beta, double *residuals, double *jacobian) const {
        for (int i = 0; i < n; ++i) residuals[i] = (by[i] - beta[0] * bx[i]) * inv_se[i];
        if (jacobian)
            for (int i = 0; i < n; ++i) jacobian[i] = -bx[i] * inv_se[i];
        return true;
    }
};

// MR-Egger: the same regression with an intercept, on variants oriented so that beta_exposure >= 0.
// Parameters: {intercept, slope}.
struct EggerResiduals {
    using Scalar = double;
    enum { NUM_RESIDUALS = Eigen::Dynamic, NUM_PARAMETERS = 2 };
    const double *bx, *by, *inv_se;
    int n;
    int NumResiduals() const { return n; }
    bool operator()(const double *theta, double *residuals, double *jacobian) const {
        for (int i = 0; i < n; ++i) residuals[i] = (by[i] - theta[0] - theta[1] * bx[i]) * inv_se[i];
        if (jacobian) {
            for (int i = 0; i < n; ++i) jacobian[i] = -inv_se[i];
            for (int i = 0; i < n; ++i) jacobian[n + i] = -bx[i] * inv_se[i];
        }
        return true;
    }
};

// RAPS: the standardised residual of the profile likelihood, whose variance includes the exposure's
// measurement error (se_outcome^2 + beta^2 se_exposure^2), through mr.raps's robust loss (Ceres's
// HuberLoss; its rho(s) / 2 is mr.raps's rho.huber). The loss enters as r' = sign(t) sqrt(rho(t^2)), so
// that sum(r'^2) / 2 is the robust cost and least squares on r' minimises it; dr'/dt = rho'(s) |t| / |r'|.
// Inside Huber's quadratic zone (s <= k^2, most residuals) rho(s) = s and r' = t, so HuberLoss (an
// out-of-line call into libceres) is consulted only beyond it.
class RapsResiduals {
public:
    using Scalar = double;
    enum { NUM_RESIDUALS = Eigen::Dynamic, NUM_PARAMETERS = 1 };

    RapsResiduals(const MrData &data, const std::vector<double> &sx2, const std::vector<double> &sy2,
                  const ceres::HuberLoss &loss, double k)
        : bx_(data.beta_exposure.data()), by_(data.beta_outcome.data()), sx2_(sx2.data()), sy2_(sy2.data()),
          n_(static_cast<int>(data.size())), loss_(loss), k2_(k * k), r_(data.size()),
          jacobian_(data.size()) {}

    int NumResiduals() const { return n_; }

    // TinySolver evaluates every accepted point twice, residuals alone and then with the Jacobian; both
    // come from one pass, kept for the second call.
    bool operator()(const double *beta, double *residuals, double *jacobian) const {
        if (!(beta[0] == cached_beta_)) evaluate(beta[0]);
        std::copy(r_.begin(), r_.end(), residuals);
        if (jacobian) std::copy(jacobian_.begin(), jacobian_.end(), jacobian);
        return true;
    }

    // The robust cost sum(rho(t^2)) / 2 at beta, its derivative, its exact second derivative and the
    // derivative's scale sum |psi(t) t'| (for a scale-free optimality test). Used to polish TinySolver's
    // answer by Newton's method: Gauss-Newton converges only linearly on this model (the loss and the
    // beta-dependent variance make J'J a poor Hessian when there are outliers).
    void newton(double beta, double *cost, double *gradient, double *curvature, double *scale) const {
        const double b = beta;
        double c = 0, g = 0, h = 0, a = 0;
        for (int i = 0; i < n_; ++i) {
            double v = sy2_[i] + b * b * sx2_[i], inv_sd = 1 / std::sqrt(v), r = by_[i] - b * bx_[i];
            double inv_sd3 = inv_sd * inv_sd * inv_sd;
            double t = r * inv_sd, s = t * t;
            double dt = (-bx_[i] * v - r * b * sx2_[i]) * inv_sd3;
            double d2t = sx2_[i] * inv_sd3 * (2 * b * bx_[i] - r + 3 * r * b * b * sx2_[i] / v);
            double rho0 = s, psi = t, dpsi = 1;
            if (s > k2_) {
                double rho[3];
                loss_.ceres::HuberLoss::Evaluate(s, rho);
                rho0 = rho[0];
                psi = rho[1] * t;
                dpsi = rho[1] + 2 * s * rho[2];
            }
            c += rho0;
            g += psi * dt;
            h += dpsi * dt * dt + psi * d2t;
            a += std::fabs(psi * dt);
        }
        *cost = 0.5 * c, *gradient = g, *curvature = h, *scale = a;
    }

private:
    void evaluate(double b) const {
        cached_beta_ = b;
        double *r = r_.data(), *jacobian = jacobian_.data();
        // Branch-free, so that it vectorises (sqrt and division dominate).
        for (int i = 0; i < n_; ++i) {
            double v = sy2_[i] + b * b * sx2_[i], inv_sd = 1 / std::sqrt(v), d = by_[i] - b * bx_[i];
            r[i] = d * inv_sd;
            // dt/dbeta = (-bx v - r beta sx2) / v^(3/2)
            jacobian[i] = (-bx_[i] * v - d * b * sx2_[i]) * (inv_sd * inv_sd * inv_sd);
        }
        for (int i = 0; i < n_; ++i) {
            double t = r[i], s = t * t;
            if (!(s > k2_)) continue;
            double rho[3];
            // Qualified call: HuberLoss's own rho without a virtual dispatch.
            loss_.ceres::HuberLoss::Evaluate(s, rho);
            double value = std::copysign(std::sqrt(rho[0]), t);
            jacobian[i] *= rho[1] * std::fabs(t) / std::fabs(value);
            r[i] = value;
        }
    }

    const double *bx_, *by_, *sx2_, *sy2_;
    int n_;
    const ceres::HuberLoss &loss_;
    double k2_;
    mutable std::vector<double> r_, jacobian_;
    mutable double cached_beta_ = std::numeric_limits<double>::quiet_NaN();
};

/* ---------------------------------------------------------------- fitting */

// Sums of n terms in four independent lanes: a short dependency chain (the loops vectorise), and
// rounding no worse than plain summation, which is far inside what the fits need.
template <typename F> double lane_sum(int n, F term) {
    double s[4] = {0, 0, 0, 0};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        s[0] += term(i);
        s[1] += term(i + 1);
        s[2] += term(i + 2);
        s[3] += term(i + 3);
    }
    for (; i < n; ++i) s[0] += term(i);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

// (J'J)^-1 for one or two parameters, from the columns of J by Gram-Schmidt (the R factor of J's QR
// decomposition): the second column is orthogonalised against the first before its norm is taken, so
// uncentred data (Egger's intercept next to a slope on all-positive exposures) costs no digits. False
// when J'J is singular to working precision (reciprocal condition number below 1e-14, the default of
// ceres::Covariance).
bool inverse_normal_matrix(const double *jacobian, int n, int size, double *inverse) {
    const double *a = jacobian;
    double aa = lane_sum(n, [&](int i) { return a[i] * a[i]; });
    if (size == 1) {
        inverse[0] = 1 / aa;
        return aa > 0 && std::isfinite(inverse[0]);
    }
    const double *b = jacobian + n;
    double ab = lane_sum(n, [&](int i) { return a[i] * b[i]; });
    double bb = lane_sum(n, [&](int i) { return b[i] * b[i]; });
    double projection = ab / aa;
    double residual = lane_sum(n, [&](int i) {
        double d = b[i] - projection * a[i];
        return d * d;
    });
    double trace = aa + bb;
    if (!(aa > 0 && residual > 0 && aa * residual >= 1e-14 * trace * trace)) return false;
    inverse[0] = 1 / aa + projection * projection / residual;
    inverse[1] = inverse[2] = -projection / residual;
    inverse[3] = 1 / residual;
    return std::isfinite(inverse[0]) && std::isfinite(inverse[1]) && std::isfinite(inverse[3]);
}

enum class FitStatus { Ok, NotConverged, Singular };

// The state of a least-squares fit: residuals and Jacobian at the parameters the fit ended on.
struct FitState {
    std::vector<double> residuals, jacobian;
    double covariance[4]; // (J'J)^-1, row-major, size x size
    int iterations = 0;   // TinySolver iterations plus polishing steps
    std::string message;  // why it failed
};

// TinySolver's Levenberg-Marquardt from x. Its tolerances are absolute (not relative to the cost or
// gradient at the start), so those that could stop it early on data of small scale are switched off;
// the polishing that follows tests convergence scale-free. Linear models (linear: true) take exactly one
// undamped step (TinySolver's damping starts at 1 / radius), which lands on the optimum. Otherwise it
// stops at a relative step of 1e-8: beyond that the cost changes by less than its own rounding, so it
// would only reject steps and shrink its trust region.
template <typename Model> int tiny_solve(const Model &model, double *x, bool linear) {
    constexpr int kSize = Model::NUM_PARAMETERS;
    ceres::TinySolver<Model> solver;
    solver.options.gradient_tolerance = 0;
    solver.options.function_tolerance = 0;
    solver.options.cost_threshold = 0;
    if (linear) {
        solver.options.initial_trust_region_radius = 1e300;
        solver.options.max_num_iterations = 2;
    } else {
        solver.options.max_num_iterations = 100;
        solver.options.parameter_tolerance = 1e-8;
    }
    typename ceres::TinySolver<Model>::Parameters parameters;
    for (int j = 0; j < kSize; ++j) parameters[j] = x[j];
    const auto &summary = solver.Solve(model, &parameters);
    for (int j = 0; j < kSize; ++j) x[j] = parameters[j];
    return summary.iterations;
}

// A linear least-squares fit: TinySolver's step, then Gauss-Newton polishing to first-order optimality,
// scale-free: per parameter, |sum_i J_i r_i| <= 1e-12 sum_i |J_i r_i|. Rounding in the normal equations
// can leave the step a little short where the columns are far from orthogonal; the refinement steps solve
// them in the orthogonalised form. Leaves the residuals, the Jacobian and (J'J)^-1 at the solution.
template <typename Model> FitStatus fit_linear(const Model &model, double *x, FitState &state) {
    constexpr int kSize = Model::NUM_PARAMETERS;
    const int n = model.NumResiduals();
    state.residuals.resize(static_cast<size_t>(n));
    state.jacobian.resize(static_cast<size_t>(n) * kSize);
    state.iterations += tiny_solve(model, x, true);

    constexpr double kTolerance = 1e-12;
    for (int step = 0; step < 20; ++step) {
        for (int j = 0; j < kSize; ++j)
            if (!std::isfinite(x[j])) {
                state.message = "non-finite parameters";
                return FitStatus::NotConverged;
            }
        model(x, state.residuals.data(), state.jacobian.data());
        const double *r = state.residuals.data();
        double gradient[kSize], scale[kSize];
        bool done = true;
        for (int j = 0; j < kSize; ++j) {
            const double *column = state.jacobian.data() + static_cast<size_t>(j) * n;
            gradient[j] = lane_sum(n, [&](int i) { return column[i] * r[i]; });
            scale[j] = lane_sum(n, [&](int i) { return std::fabs(column[i] * r[i]); });
            if (!std::isfinite(gradient[j]) || !std::isfinite(scale[j])) {
                state.message = "non-finite residuals or Jacobian";
                return FitStatus::NotConverged;
            }
            done = done && std::fabs(gradient[j]) <= kTolerance * scale[j];
        }
        if (!inverse_normal_matrix(state.jacobian.data(), n, kSize, state.covariance))
            return FitStatus::Singular;
        if (done) return FitStatus::Ok;
        double dx[kSize];
        bool negligible = true;
        for (int j = 0; j < kSize; ++j) {
            dx[j] = 0;
            for (int k = 0; k < kSize; ++k) dx[j] -= state.covariance[j * kSize + k] * gradient[k];
            negligible = negligible &&
                         std::fabs(dx[j]) <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(x[j]);
        }
        // Rounding in the gradient can keep it just above the tolerance at the optimum; a step that no
        // longer moves the parameters means the same thing.
        if (negligible) return FitStatus::Ok;
        for (int j = 0; j < kSize; ++j) x[j] += dx[j];
        ++state.iterations;
    }
    state.message = "no first-order optimum after TinySolver and 20 Gauss-Newton steps";
    return FitStatus::NotConverged;
}

// RAPS: TinySolver from beta, then Newton steps on the exact derivatives to first-order optimality
// (|gradient| <= 1e-12 sum |psi(t) t'|, or a step that no longer moves beta). Where the curvature is not
// positive (far from a minimum) the step falls back to Gauss-Newton's. Leaves the robust cost at beta.
FitStatus fit_raps(const RapsResiduals &model, double *beta, double *cost, int *iterations,
                   std::string *message) {
    *iterations += tiny_solve(model, beta, false);
    for (int step = 0; step < 20; ++step) {
        if (!std::isfinite(*beta)) break;
        double gradient, curvature, scale;
        model.newton(*beta, cost, &gradient, &curvature, &scale);
        if (!std::isfinite(gradient) || !std::isfinite(scale)) break;
        if (std::fabs(gradient) <= 1e-12 * scale) return FitStatus::Ok;
        if (!(curvature > 0) || !std::isfinite(curvature)) {
            double jtj = 0; // Gauss-Newton's curvature, from the robust residuals' Jacobian
            std::vector<double> r(static_cast<size_t>(model.NumResiduals())), j(r.size());
            model(beta, r.data(), j.data());
            for (double x : j) jtj += x * x;
            curvature = jtj;
        }
        double dx = -gradient / curvature;
        if (std::fabs(dx) <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(*beta))
            return FitStatus::Ok;
        *beta += dx;
        ++*iterations;
    }
    *message = "no first-order optimum after TinySolver and 20 Newton steps";
    return FitStatus::NotConverged;
}

/* ---------------------------------------------------------------- the weighted median */

// The package's weighted median needs the ratio estimates in R's order() (stable) and their weights'
// running sums in that order (R's cumsum() and sum() accumulate in long double, so the order of the
// additions shows in the last bits). A stable LSD radix sort on order-preserving integer keys gives
// exactly that order, in a fraction of the time of a comparison sort: it is the inner loop of the
// bootstrap (one sort of every region's variants per draw).
struct KeyedWeight {
    uint64_t key;
    double weight;
};

// Order-preserving map of doubles to unsigned integers; -0 and 0 share a key (order() ties them, so
// they keep their input order), NaN sorts last as in order().
inline uint64_t order_key(double x) {
    if (std::isnan(x)) return ~uint64_t{0};
    x += 0.0; // -0 -> +0
    uint64_t bits;
    std::memcpy(&bits, &x, sizeof bits);
    return bits & (uint64_t{1} << 63) ? ~bits : bits | (uint64_t{1} << 63);
}

inline double key_value(uint64_t key) {
    if (key == ~uint64_t{0}) return kNA;
    uint64_t bits = key & (uint64_t{1} << 63) ? key & ~(uint64_t{1} << 63) : ~key;
    double x;
    std::memcpy(&x, &bits, sizeof x);
    return x;
}

class WeightedMedian {
public:
    // The weighted median of theta[0..n) with the given weights (n >= 1).
    double operator()(const double *theta, const double *weights, size_t n) {
        items_.resize(n);
        scratch_.resize(n);
        for (size_t i = 0; i < n; ++i) items_[i] = {order_key(theta[i]), weights[i]};
        sort();
        return median();
    }

private:
    // Stable LSD radix sort of items_ on 8-bit digits; a digit every key shares is skipped.
    void sort() {
        const size_t n = items_.size();
        uint32_t counts[8][256] = {};
        for (const KeyedWeight &item : items_)
            for (int d = 0; d < 8; ++d) ++counts[d][(item.key >> (8 * d)) & 0xff];
        KeyedWeight *from = items_.data(), *to = scratch_.data();
        for (int d = 0; d < 8; ++d) {
            const int shift = 8 * d;
            if (counts[d][(from[0].key >> shift) & 0xff] == n) continue;
            uint32_t offset[256], total = 0;
            for (int b = 0; b < 256; ++b) {
                offset[b] = total;
                total += counts[d][b];
            }
            for (size_t i = 0; i < n; ++i) to[offset[(from[i].key >> shift) & 0xff]++] = from[i];
            std::swap(from, to);
        }
        if (from != items_.data()) items_.swap(scratch_);
    }

    // Sorted, cumulative weights less half the variant's own weight, linear interpolation at 0.5.
    double median() const {
        const size_t n = items_.size();
        long double total = 0;
        for (const KeyedWeight &item : items_) total += item.weight;
        const auto total_d = static_cast<double>(total);
        long double running = 0;
        double below = kNA;
        uint64_t below_key = 0;
        for (size_t j = 0; j < n; ++j) {
            running += items_[j].weight;
            double position = (static_cast<double>(running) - 0.5 * items_[j].weight) / total_d;
            if (position < 0.5) {
                below = position;
                below_key = items_[j].key;
                continue;
            }
            double theta = key_value(items_[j].key);
            if (std::isnan(below)) return theta; // the first variant already holds half the weight
            double below_theta = key_value(below_key);
            // In R's order of operations (left to right), so the last bit is R's too.
            return below_theta + (theta - below_theta) * (0.5 - below) / (position - below);
        }
        return key_value(below_key);
    }

    std::vector<KeyedWeight> items_, scratch_;
};

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

    std::vector<double> inv_se(n);
    for (size_t i = 0; i < n; ++i) inv_se[i] = 1 / data.se_outcome[i];
    IvwResiduals model{data.beta_exposure.data(), data.beta_outcome.data(), inv_se.data(),
                       static_cast<int>(n)};
    double beta = 0;
    FitState state;
    FitStatus status = fit_linear(model, &beta, state);
    result.iterations = state.iterations;
    if (status == FitStatus::Singular)
        return na_result(
            MrMethod::Ivw, n, MrStatus::IllConditioned,
            "ill-conditioned: sum of beta_exposure^2 / se_outcome^2 is zero to working precision");
    if (status != FitStatus::Ok)
        return na_result(MrMethod::Ivw, n, MrStatus::NotConverged,
                         "Ceres did not converge: " + state.message);

    // Residual standard error of the weighted regression (n - 1 degrees of freedom).
    CompensatedSum<double> rss;
    for (double r : state.residuals) rss.add(r * r);
    double sigma = std::sqrt(rss.value() / static_cast<double>(n - 1));
    bool random =
        settings.ivw_model == IvwModel::Random || (settings.ivw_model == IvwModel::Default && n >= 4);
    // Multiplicative random effects scale by the residual standard error only when it exceeds 1.
    double se = std::sqrt(state.covariance[0]) * (random ? std::max(sigma, 1.0) : 1.0);

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
    std::vector<double> bx(n), by(n), inv_se(n);
    for (size_t i = 0; i < n; ++i) {
        bx[i] = std::fabs(data.beta_exposure[i]);
        by[i] = sign(data.beta_exposure[i]) * data.beta_outcome[i];
        inv_se[i] = 1 / data.se_outcome[i];
    }
    {
        CompensatedSum<double> w_sum, wx_sum;
        for (size_t i = 0; i < n; ++i) {
            double w = inv_se[i] * inv_se[i];
            w_sum.add(w);
            wx_sum.add(w * bx[i]);
        }
        double mean = wx_sum.value() / w_sum.value();
        CompensatedSum<double> spread, square;
        for (size_t i = 0; i < n; ++i) {
            double w = inv_se[i] * inv_se[i];
            spread.add(w * (bx[i] - mean) * (bx[i] - mean));
            square.add(w * bx[i] * bx[i]);
        }
        if (!(spread.value() > kMinEggerSpread * square.value()))
            return na_result(MrMethod::Egger, n, MrStatus::IllConditioned,
                             "ill-conditioned: the oriented beta_exposure are (nearly) all equal, slope and "
                             "intercept cannot be separated");
    }

    EggerResiduals model{bx.data(), by.data(), inv_se.data(), static_cast<int>(n)};
    double theta[2] = {0, 0}; // intercept, slope
    FitState state;
    FitStatus status = fit_linear(model, theta, state);
    result.iterations = state.iterations;
    if (status == FitStatus::Singular)
        return na_result(MrMethod::Egger, n, MrStatus::IllConditioned,
                         "ill-conditioned: the Egger design matrix is rank deficient");
    if (status != FitStatus::Ok)
        return na_result(MrMethod::Egger, n, MrStatus::NotConverged,
                         "Ceres did not converge: " + state.message);

    CompensatedSum<double> rss;
    for (double r : state.residuals) rss.add(r * r);
    double rse = std::sqrt(rss.value() / static_cast<double>(n - 2));
    // lm()'s standard errors divided by min(1, rse): under-dispersion is not allowed to shrink them.
    double scale = std::max(rse, 1.0);
    result.estimate = theta[1];
    result.se = std::sqrt(state.covariance[3]) * scale;
    result.intercept = theta[0];
    result.intercept_se = std::sqrt(state.covariance[0]) * scale;

    auto df = static_cast<double>(n - 2);
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
    if (theta.empty()) return kNA;
    WeightedMedian median;
    return median(theta.data(), weights.data(), theta.size());
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
    WeightedMedian median;
    result.estimate = median(theta.data(), weights.data(), theta.size());

    if (settings.bootstrap >= 2) {
        // Everything the draws need is allocated here, once: the loop below only fills it.
        RRandom random(settings.seed);
        std::vector<double> z(2 * n), boot_theta(used.size());
        std::vector<double> medians(static_cast<size_t>(settings.bootstrap));
        const double *bx = data.beta_exposure.data(), *bx_se = data.se_exposure.data();
        const double *by = data.beta_outcome.data(), *by_se = data.se_outcome.data();
        const bool all_used = used.size() == n;
        for (double &m : medians) {
            // rnorm(n, mean, sd) for the exposure, then for the outcome, as the package draws them.
            random.normals(z.data(), 2 * n);
            const double *zx = z.data(), *zy = z.data() + n;
            if (all_used) {
                for (size_t i = 0; i < n; ++i)
                    boot_theta[i] = (by[i] + by_se[i] * zy[i]) / (bx[i] + bx_se[i] * zx[i]);
            } else {
                for (size_t j = 0; j < used.size(); ++j) {
                    size_t i = used[j];
                    boot_theta[j] = (by[i] + by_se[i] * zy[i]) / (bx[i] + bx_se[i] * zx[i]);
                }
            }
            m = median(boot_theta.data(), weights.data(), boot_theta.size());
        }
        // sd(): two-pass, n - 1 denominator.
        CompensatedSum<double> sum;
        for (double m : medians) sum.add(m);
        double mean = sum.value() / static_cast<double>(medians.size());
        CompensatedSum<double> squares;
        for (double m : medians) squares.add((m - mean) * (m - mean));
        result.se = std::sqrt(squares.value() / static_cast<double>(medians.size() - 1));
        double z_value = result.estimate / result.se;
        result.pvalue = settings.pvalues == PvalueDistribution::T
                            ? t_two_sided(z_value, static_cast<double>(n - 1))
                            : normal_two_sided(z_value);
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

    std::vector<double> sx2(n), sy2(n);
    for (size_t i = 0; i < n; ++i) {
        sx2[i] = data.se_exposure[i] * data.se_exposure[i];
        sy2[i] = data.se_outcome[i] * data.se_outcome[i];
    }

    // The robust profile objective need not be convex: start from the IVW and the weighted-median
    // estimates and keep the better optimum (mr.raps searches a bounded interval instead).
    std::vector<double> starts;
    {
        CompensatedSum<double> xy, xx;
        std::vector<double> theta, weights;
        for (size_t i = 0; i < n; ++i) {
            double w = 1 / sy2[i];
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
    RapsResiduals model(data, sx2, sy2, huber, settings.huber_k);
    double best = kNA, best_cost = std::numeric_limits<double>::infinity();
    std::string failure;
    int iterations = 0;
    for (double start : starts) {
        // A later start only matters if it begins below the optimum found so far (another basin).
        if (!std::isnan(best)) {
            double start_cost, gradient, curvature, scale;
            model.newton(start, &start_cost, &gradient, &curvature, &scale);
            if (!(start_cost < best_cost)) continue;
        }
        double beta = start, cost;
        if (fit_raps(model, &beta, &cost, &iterations, &failure) != FitStatus::Ok) continue;
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
        double bx = data.beta_exposure[i], by = data.beta_outcome[i];
        double v = sy2[i] + best * best * sx2[i];
        double common = (bx * bx - sx2[i]) * sy2[i] + (by * by - sy2[i]) * sx2[i];
        score_var.add((common + sx2[i] * sy2[i]) / (v * v));
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
