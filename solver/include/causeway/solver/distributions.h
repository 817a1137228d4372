// Distribution functions for p-values and confidence limits, accurate to a few units in the last place
// in the ranges statistics reaches (checked against R's pnorm, qnorm, pt, qt and pchisq in the tests).
// Tail probabilities are computed directly, never as 1 - cdf, so tiny p-values keep their digits.
#pragma once

namespace causeway::solver {

// P(Z <= x) for a standard normal Z.
double normal_cdf(double x);
// P(Z > x).
double normal_upper(double x);
// The x with P(Z <= x) = p; -inf at 0 and +inf at 1, NaN outside [0, 1].
double normal_quantile(double p);
// 2 P(Z > |z|).
double normal_two_sided(double z);

// 2 P(T > |t|) for Student's t with df degrees of freedom (df > 0, not necessarily an integer).
double t_two_sided(double t, double df);
// The x with P(T <= x) = p.
double t_quantile(double p, double df);

// P(X > x) for a chi-square X with df degrees of freedom.
double chisq_upper(double x, double df);

// Regularised incomplete beta I_x(a, b), given x and y = 1 - x separately (y is often known exactly).
double incomplete_beta(double x, double y, double a, double b);
// Regularised upper incomplete gamma Q(a, x).
double incomplete_gamma_upper(double a, double x);

} // namespace causeway::solver
