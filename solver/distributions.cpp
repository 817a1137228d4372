#include "causeway/solver/distributions.h"

#include <cmath>
#include <limits>

namespace causeway::solver {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt2Pi = 2.50662827463100050242;
constexpr double kEps = std::numeric_limits<double>::epsilon();
constexpr double kTiny = 1e-300;

double normal_density(double x) {
    return std::exp(-0.5 * x * x) / kSqrt2Pi;
}

// Acklam's rational approximation (relative error about 1e-9): only a starting point, refined below.
double normal_quantile_start(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    if (p < 0.02425) {
        double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// Quantile for p <= 0.5 (x <= 0), where erfc gives the lower tail to full relative precision.
double normal_quantile_lower(double p) {
    double x = normal_quantile_start(p);
    for (int i = 0; i < 60; ++i) {
        double cdf = normal_cdf(x);
        double dx;
        if (p < 1e-10) {
            // Newton on log(cdf): the plain residual cdf - p underflows long before the answer does.
            dx = (std::log(cdf) - std::log(p)) * cdf / normal_density(x);
        } else {
            // Halley's step.
            double u = (cdf - p) / normal_density(x);
            dx = u / (1 + 0.5 * x * u);
        }
        x -= dx;
        if (std::fabs(dx) <= 4 * kEps * std::fabs(x)) break;
    }
    return x;
}

// Continued fraction for the incomplete beta (modified Lentz), valid for x < (a + 1) / (a + b + 2).
double beta_fraction(double x, double a, double b) {
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (std::fabs(d) < kTiny) d = kTiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 100000; ++m) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1 + aa / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = 1 + aa / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (std::fabs(del - 1) <= kEps) break;
    }
    return h;
}

} // namespace

double normal_cdf(double x) {
    return 0.5 * std::erfc(-x / kSqrt2);
}

double normal_upper(double x) {
    return 0.5 * std::erfc(x / kSqrt2);
}

double normal_two_sided(double z) {
    if (std::isnan(z)) return kNaN;
    return std::erfc(std::fabs(z) / kSqrt2);
}

double normal_quantile(double p) {
    if (std::isnan(p) || p < 0 || p > 1) return kNaN;
    if (p == 0) return -kInf;
    if (p == 1) return kInf;
    // 1 - p is exact for p >= 0.5 (Sterbenz), so the upper half costs no digits.
    if (p > 0.5) return -normal_quantile_lower(1 - p);
    return normal_quantile_lower(p);
}

double incomplete_beta(double x, double y, double a, double b) {
    if (std::isnan(x) || std::isnan(y) || a <= 0 || b <= 0) return kNaN;
    if (x <= 0) return 0;
    if (y <= 0) return 1;
    double front =
        std::exp(a * std::log(x) + b * std::log(y) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b)));
    if (x < (a + 1) / (a + b + 2)) return front * beta_fraction(x, a, b) / a;
    return 1 - front * beta_fraction(y, b, a) / b;
}

double t_two_sided(double t, double df) {
    if (std::isnan(t) || std::isnan(df) || df <= 0) return kNaN;
    if (std::isinf(t)) return 0;
    if (std::isinf(df)) return normal_two_sided(t);
    double t2 = t * t;
    // x = df / (df + t^2) and 1 - x = t^2 / (df + t^2), each computed without cancellation.
    return incomplete_beta(df / (df + t2), t2 / (df + t2), 0.5 * df, 0.5);
}

double t_quantile(double p, double df) {
    if (std::isnan(p) || p < 0 || p > 1 || !(df > 0)) return kNaN;
    if (p == 0) return -kInf;
    if (p == 1) return kInf;
    if (std::isinf(df)) return normal_quantile(p);
    if (p == 0.5) return 0;
    // Solve for the upper tail target q = min(p, 1 - p) at positive t, then restore the sign.
    double q = p < 0.5 ? p : 1 - p;
    auto upper = [df](double t) { return 0.5 * t_two_sided(t, df); };
    double lo = 0, hi = 1;
    while (upper(hi) > q) {
        lo = hi;
        hi *= 2;
        if (hi > 1e300) break;
    }
    double c = std::exp(std::lgamma(0.5 * (df + 1)) - std::lgamma(0.5 * df)) / std::sqrt(df * M_PI);
    double t = 0.5 * (lo + hi);
    for (int i = 0; i < 200; ++i) {
        double f = upper(t) - q; // decreasing in t
        if (f > 0)
            lo = t;
        else
            hi = t;
        double density = c * std::pow(1 + t * t / df, -0.5 * (df + 1));
        double next = t + f / density;
        // Newton when it stays inside the bracket, bisection otherwise.
        if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
        if (std::fabs(next - t) <= 2 * kEps * std::fabs(next)) {
            t = next;
            break;
        }
        t = next;
    }
    return p < 0.5 ? -t : t;
}

double incomplete_gamma_upper(double a, double x) {
    if (std::isnan(a) || std::isnan(x) || a <= 0) return kNaN;
    if (x <= 0) return 1;
    if (std::isinf(x)) return 0;
    double log_front = -x + a * std::log(x) - std::lgamma(a);
    if (x < a + 1) {
        // Series for the lower tail P; the upper tail is not small here, so 1 - P keeps its digits.
        double ap = a, sum = 1 / a, del = sum;
        for (int n = 0; n < 100000; ++n) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (std::fabs(del) < std::fabs(sum) * kEps) break;
        }
        return 1 - sum * std::exp(log_front);
    }
    // Continued fraction for Q itself (modified Lentz).
    double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
    for (int i = 1; i < 100000; ++i) {
        double an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (std::fabs(d) < kTiny) d = kTiny;
        c = b + an / c;
        if (std::fabs(c) < kTiny) c = kTiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (std::fabs(del - 1) <= kEps) break;
    }
    return std::exp(log_front) * h;
}

double chisq_upper(double x, double df) {
    if (std::isnan(x) || !(df > 0)) return kNaN;
    return incomplete_gamma_upper(0.5 * df, 0.5 * x);
}

} // namespace causeway::solver
