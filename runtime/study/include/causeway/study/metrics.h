// Correlations and the ridge-regression baseline of causeway evaluate.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Dense>

namespace causeway {

// Pearson's r (two-pass, in double); NaN when fewer than two values or either side is constant.
double pearson(const std::vector<double> &x, const std::vector<double> &y);
// Ranks 1..n, ties sharing their average rank (as scipy.stats.rankdata's default).
std::vector<double> average_ranks(const std::vector<double> &values);
// Spearman's rho: Pearson's r of the average ranks, so ties are handled as R's cor(method = "spearman").
double spearman(const std::vector<double> &x, const std::vector<double> &y);

// Ridge regression with an unpenalised intercept: minimises sum (y - b - x.w)^2 + lambda |w|^2. Rows are
// added in blocks (the centred Gram matrix is accumulated, never the design matrix), then one symmetric
// eigendecomposition serves every lambda.
class RidgeRegression {
public:
    explicit RidgeRegression(int features);
    // Adds `rows` rows of `features` floats each, with their targets; rows whose target is NaN are skipped.
    void add(const float *x, const float *y, int64_t rows);
    int64_t rows() const { return n_; }
    int features() const { return static_cast<int>(sum_x_.size()); }

    struct Fit {
        Eigen::VectorXd weights;
        double intercept = 0;
        double lambda = 0;
        double predict(const float *x) const;
    };
    Fit solve(double lambda);

private:
    void decompose();
    int64_t n_ = 0;
    Eigen::MatrixXd gram_; // sum of x x^T
    Eigen::VectorXd sum_x_, sum_xy_;
    double sum_y_ = 0;
    bool decomposed_ = false;
    Eigen::MatrixXd eigenvectors_;
    Eigen::VectorXd eigenvalues_, projected_xy_;
};

} // namespace causeway
