#include "causeway/study/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "causeway/error.h"

namespace causeway {

double pearson(const std::vector<double> &x, const std::vector<double> &y) {
    if (x.size() != y.size()) fail("pearson: {} values against {}", x.size(), y.size());
    const size_t n = x.size();
    if (n < 2) return std::nan("");
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; ++i) {
        const double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx <= 0 || syy <= 0) return std::nan("");
    return sxy / std::sqrt(sxx * syy);
}

std::vector<double> average_ranks(const std::vector<double> &values) {
    const size_t n = values.size();
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && values[order[j]] == values[order[i]]) ++j;
        // Positions i..j-1 (0-based) share the mean of ranks i+1..j.
        const double rank = 0.5 * static_cast<double>(i + 1 + j);
        for (size_t k = i; k < j; ++k) ranks[order[k]] = rank;
        i = j;
    }
    return ranks;
}

double spearman(const std::vector<double> &x, const std::vector<double> &y) {
    return pearson(average_ranks(x), average_ranks(y));
}

RidgeRegression::RidgeRegression(int features)
    : gram_(Eigen::MatrixXd::Zero(features, features)), sum_x_(Eigen::VectorXd::Zero(features)),
      sum_xy_(Eigen::VectorXd::Zero(features)) {}

void RidgeRegression::add(const float *x, const float *y, int64_t rows) {
    const int f = features();
    int64_t known = 0;
    for (int64_t r = 0; r < rows; ++r) known += std::isnan(y[r]) ? 0 : 1;
    if (known == 0) return;
    // The known rows of this block as a dense matrix, so that the Gram update is one BLAS-3 product.
    Eigen::MatrixXd block(known, f);
    Eigen::VectorXd targets(known);
    int64_t at = 0;
    for (int64_t r = 0; r < rows; ++r) {
        if (std::isnan(y[r])) continue;
        block.row(at) = Eigen::Map<const Eigen::VectorXf>(x + r * f, f).cast<double>().transpose();
        targets(at++) = y[r];
    }
    gram_.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
    sum_x_ += block.colwise().sum().transpose();
    sum_xy_ += block.transpose() * targets;
    sum_y_ += targets.sum();
    n_ += known;
    decomposed_ = false;
}

void RidgeRegression::decompose() {
    if (n_ < 2) fail("ridge regression: {} known targets to fit, at least 2 needed", n_);
    const auto n = static_cast<double>(n_);
    // Centring moves the intercept out of the penalty: C = sum x x^T - n mean mean^T.
    const Eigen::VectorXd mean_x = sum_x_ / n;
    Eigen::MatrixXd centred = gram_.selfadjointView<Eigen::Lower>();
    centred.noalias() -= n * mean_x * mean_x.transpose();
    const Eigen::VectorXd centred_xy = sum_xy_ - mean_x * sum_y_;
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(centred);
    if (solver.info() != Eigen::Success) fail("ridge regression: the eigendecomposition did not converge");
    eigenvectors_ = solver.eigenvectors();
    eigenvalues_ = solver.eigenvalues().cwiseMax(0.0);
    projected_xy_ = eigenvectors_.transpose() * centred_xy;
    decomposed_ = true;
}

RidgeRegression::Fit RidgeRegression::solve(double lambda) {
    if (!(lambda > 0)) fail("ridge regression: lambda must be positive, not {}", lambda);
    if (!decomposed_) decompose();
    Fit fit;
    fit.lambda = lambda;
    const Eigen::VectorXd scaled = projected_xy_.array() / (eigenvalues_.array() + lambda);
    fit.weights = eigenvectors_ * scaled;
    const auto n = static_cast<double>(n_);
    fit.intercept = sum_y_ / n - (sum_x_ / n).dot(fit.weights);
    return fit;
}

double RidgeRegression::Fit::predict(const float *x) const {
    return intercept + Eigen::Map<const Eigen::VectorXf>(x, weights.size()).cast<double>().dot(weights);
}

} // namespace causeway
