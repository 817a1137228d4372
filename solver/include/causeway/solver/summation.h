// Compensated (Neumaier) summation. Weighted sums in meta-analysis and MR mix weights that differ by many
// orders of magnitude (one study with a tiny standard error); plain summation would drop the small terms'
// low digits. Templated so Ceres's Jets can use it inside cost functors.
#pragma once

#include <cmath>

namespace causeway::solver {

template <typename T> class CompensatedSum {
public:
    void add(const T &x) {
        T t = sum_ + x;
        using std::abs;
        if (abs(sum_) >= abs(x))
            compensation_ += (sum_ - t) + x;
        else
            compensation_ += (x - t) + sum_;
        sum_ = t;
    }
    T value() const { return sum_ + compensation_; }

private:
    T sum_ = T(0);
    T compensation_ = T(0);
};

} // namespace causeway::solver
