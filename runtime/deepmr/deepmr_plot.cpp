#include "deepmr_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <numeric>

#include <fmt/format.h>
#include <plplot.h>

#include "causeway/error.h"
#include "causeway/study/plot.h"

namespace causeway::deepmr {

namespace {

void line(double x0, double y0, double x1, double y1) {
    PLFLT x[2] = {x0, x1}, y[2] = {y0, y1};
    plline(2, x, y);
}

// Panels in a grid of `columns` under a title line; returns the viewport of panel i.
struct Grid {
    int n, columns, rows;
    double header;
    void viewport(int i) const {
        const int row = i / columns, column = i % columns;
        const double cell_w = 1.0 / columns, cell_h = (1 - header) / rows, top = 1 - header - row * cell_h;
        plvpor(column * cell_w + 0.09 * cell_w, (column + 1) * cell_w - 0.03 * cell_w,
               top - cell_h + 0.22 * cell_h, top - 0.12 * cell_h);
    }
};

void title(const std::string &text) {
    plvpor(0.02, 0.98, 0.0, 0.99);
    plwind(0, 1, 0, 1);
    plcol0(1);
    plschr(0, 0.9);
    plmtex("t", -1.2, 0.0, 0.0, text.c_str());
    plschr(0, 1.0);
}

double silverman_bandwidth(std::vector<double> v) {
    const size_t n = v.size();
    const double mean = std::accumulate(v.begin(), v.end(), 0.0) / n;
    double ss = 0;
    for (double x : v) ss += (x - mean) * (x - mean);
    const double sd = n > 1 ? std::sqrt(ss / (n - 1)) : 0;
    std::sort(v.begin(), v.end());
    auto quantile = [&](double q) {
        const double h = (n - 1) * q;
        const auto lo = static_cast<size_t>(std::floor(h));
        return v[lo] + (h - lo) * (v[std::min(lo + 1, n - 1)] - v[lo]);
    };
    const double iqr = quantile(0.75) - quantile(0.25);
    double spread = std::min(sd, iqr / 1.34);
    if (!(spread > 0)) spread = sd > 0 ? sd : std::max(std::abs(mean) * 0.1, 1e-3);
    return 0.9 * spread * std::pow(static_cast<double>(n), -0.2);
}

} // namespace

void plot_densities(const std::string &title_text, const std::string &xlabel,
                    const std::vector<DensitySeries> &series, const std::string &stem) {
    double lo = 0, hi = 0;
    for (const DensitySeries &s : series)
        for (double v : s.values)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    const double pad = 0.1 * std::max(hi - lo, 1e-3);
    lo -= pad;
    hi += pad;
    const int n = static_cast<int>(series.size()), columns = std::min(n, 3),
              rows = (n + columns - 1) / columns;
    const Grid grid{n, columns, rows, 60.0 / (60 + 300 * rows)};
    plot_figure(stem, 1500, 60 + 300 * rows, [&]() {
        pladv(0);
        title(title_text);
        for (int i = 0; i < n; ++i) {
            std::vector<double> v;
            for (double x : series[i].values)
                if (std::isfinite(x)) v.push_back(x);
            grid.viewport(i);
            const int points = 200;
            std::vector<PLFLT> x(points), y(points, 0.0);
            double ymax = 1e-12;
            if (!v.empty()) {
                const double h = silverman_bandwidth(v);
                for (int k = 0; k < points; ++k) {
                    x[k] = lo + (hi - lo) * k / (points - 1);
                    for (double s : v) y[k] += std::exp(-0.5 * std::pow((x[k] - s) / h, 2));
                    y[k] /= v.size() * h * std::sqrt(2 * M_PI);
                    ymax = std::max(ymax, y[k]);
                }
            } else {
                for (int k = 0; k < points; ++k) x[k] = lo + (hi - lo) * k / (points - 1);
            }
            plwind(lo, hi, 0, ymax * 1.12);
            plcol0(4);
            line(0, 0, 0, ymax * 1.12);
            plcol0(2);
            plwidth(2);
            plline(points, x.data(), y.data());
            plwidth(1);
            plcol0(3);
            for (double s : v) line(s, 0, s, ymax * 0.06); // the rug
            plcol0(1);
            plschr(0, 0.7);
            plbox("bcnst", 0, 0, "bcnstv", 0, 0);
            plschr(0, 0.8);
            plmtex("t", 0.6, 0.5, 0.5, fmt::format("{} (n = {})", series[i].title, v.size()).c_str());
            plmtex("b", 2.6, 0.5, 0.5, xlabel.c_str());
            plmtex("l", 3.6, 0.5, 0.5, "density");
            plschr(0, 1.0);
        }
    });
}

void plot_exposure_estimates(const std::string &title_text, const std::vector<ExposureBar> &bars,
                             const std::string &stem) {
    const int n = static_cast<int>(bars.size());
    if (n == 0) fail("no exposures to plot: {}", stem);
    double lo = 0, hi = 0;
    for (const ExposureBar &b : bars)
        for (double v : {b.estimate, b.ci_low, b.ci_high, b.tau, b.se})
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    const double pad = 0.12 * std::max(hi - lo, 1e-3);
    lo -= pad;
    hi += pad;
    plot_figure(stem, std::max(900, 110 * n + 200), 700, [&]() {
        pladv(0);
        title(title_text);
        plvpor(0.08, 0.97, 0.22, 0.86);
        plwind(0.3, n + 0.7, lo, hi);
        plcol0(4);
        line(0.3, 0, n + 0.7, 0);
        const double w = 0.26;
        auto bar = [&](double left, double value, int colour) {
            if (!std::isfinite(value)) return;
            PLFLT x[4] = {left, left, left + w, left + w}, y[4] = {0, value, value, 0};
            plcol0(colour);
            plfill(4, x, y);
            plcol0(1);
            plline(4, x, y);
        };
        for (int i = 0; i < n; ++i) {
            const ExposureBar &b = bars[i];
            const double c = i + 1.0;
            bar(c - 1.5 * w, b.estimate, 5);
            bar(c - 0.5 * w, b.tau, 3);
            bar(c + 0.5 * w, b.se, 2);
            if (std::isfinite(b.ci_low) && std::isfinite(b.ci_high)) {
                plcol0(1);
                plwidth(2);
                line(c - w, b.ci_low, c - w, b.ci_high);
                line(c - 1.3 * w, b.ci_low, c - 0.7 * w, b.ci_low);
                line(c - 1.3 * w, b.ci_high, c - 0.7 * w, b.ci_high);
                plwidth(1);
            }
            plcol0(1);
            plschr(0, 0.75);
            plmtex("bv", 0.7, (c - 0.3) / (n + 0.4), 1.0, b.name.c_str());
        }
        plschr(0, 0.75);
        plbox("bc", 0, 0, "bcnstv", 0, 0);
        plmtex("l", 4.0, 0.5, 0.5, "causal effect (probability scale)");
        // Legend.
        const char *labels[3] = {"estimate (95% CI)", "tau", "se of the estimate"};
        const int colours[3] = {5, 3, 2};
        for (int k = 0; k < 3; ++k) {
            const double x0 = 0.45 + k * (n + 0.2) / 3.0, y0 = hi - 0.05 * (hi - lo);
            PLFLT x[4] = {x0, x0, x0 + 0.15, x0 + 0.15},
                  y[4] = {y0, y0 + 0.03 * (hi - lo), y0 + 0.03 * (hi - lo), y0};
            plcol0(colours[k]);
            plfill(4, x, y);
            plcol0(1);
            plptex(x0 + 0.2, y0 + 0.015 * (hi - lo), 1, 0, 0, labels[k]);
        }
        plschr(0, 1.0);
    });
}

void plot_scatter_panels(const std::string &title_text, const std::string &xlabel, const std::string &ylabel,
                         const std::vector<ScatterPanel> &panels, const std::string &stem) {
    const int n = static_cast<int>(panels.size()), columns = std::min(n, 3),
              rows = (n + columns - 1) / columns;
    const Grid grid{n, columns, rows, 60.0 / (60 + 380 * rows)};
    plot_figure(stem, 1500, 60 + 380 * rows, [&]() {
        pladv(0);
        title(title_text);
        for (int i = 0; i < n; ++i) {
            const ScatterPanel &p = panels[i];
            double xlo = 0, xhi = 0, ylo = 0, yhi = 0;
            for (size_t k = 0; k < p.x.size(); ++k) {
                xlo = std::min(xlo, p.x[k]);
                xhi = std::max(xhi, p.x[k]);
                ylo = std::min(ylo, p.y[k]);
                yhi = std::max(yhi, p.y[k]);
            }
            const double xp = 0.06 * std::max(xhi - xlo, 1e-6), yp = 0.06 * std::max(yhi - ylo, 1e-6);
            xlo -= xp;
            xhi += xp;
            ylo -= yp;
            yhi += yp;
            grid.viewport(i);
            plwind(xlo, xhi, ylo, yhi);
            plcol0(4);
            line(xlo, 0, xhi, 0);
            line(0, ylo, 0, yhi);
            plcol0(2);
            plssym(0, 0.5);
            std::vector<PLFLT> x(p.x.begin(), p.x.end()), y(p.y.begin(), p.y.end());
            plpoin(static_cast<PLINT>(x.size()), x.data(), y.data(), 17);
            plcol0(6);
            plwidth(2);
            line(xlo, p.intercept + p.slope * xlo, xhi, p.intercept + p.slope * xhi);
            plwidth(1);
            plcol0(1);
            plschr(0, 0.65);
            plbox("bcnst", 0, 0, "bcnstv", 0, 0);
            plschr(0, 0.75);
            plmtex("t", 0.6, 0.5, 0.5, p.title.c_str());
            plmtex("b", 2.8, 0.5, 0.5, xlabel.c_str());
            plmtex("l", 4.2, 0.5, 0.5, ylabel.c_str());
            plschr(0, 1.0);
        }
    });
}

} // namespace causeway::deepmr
