// Figures of the study, drawn with PLplot (PNG through its cairo driver, SVG through its own), each
// written atomically.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace causeway {

// One bar chart panel per statistic (Pearson, Spearman): per cell type and for the mean over cell types,
// the network's bar beside the baseline's, as the paper's Figure 2A.
struct CorrelationChart {
    std::string title;
    std::vector<std::string> groups; // cell types, then "mean"
    std::vector<double> network_pearson, network_spearman, baseline_pearson, baseline_spearman;
    std::string network_label = "equivariant CNN", baseline_label = "ridge baseline";
};

// Writes `stem`.png and `stem`.svg.
void plot_correlation_chart(const CorrelationChart &chart, const std::string &stem);

// A heatmap of rows (top to bottom) by columns on a diverging blue-white-red scale symmetric around 0,
// with a colour bar, as the paper's Figures 2B and 2C. Column j spans [x0 + j dx, x0 + (j + 1) dx).
struct Heatmap {
    std::string title, xlabel, colorbar_label;
    std::vector<std::string> rows;
    int columns = 0;
    double x0 = 0, dx = 1;
    std::vector<double> values; // [rows, columns], row-major
    double marker_x = 0;        // a dashed vertical line (the TSS)
};

// Writes `stem`.png and `stem`.svg.
void plot_heatmap(const Heatmap &map, const std::string &stem);

// One panel per series (2 columns): a line at each x with a shaded band (the spread), a zero line and a
// dashed vertical line at marker_x; all panels share the y range.
struct BandPanel {
    std::string title;
    std::vector<double> x, centre, low, high;
};
struct BandChart {
    std::string title, xlabel, ylabel, band_label;
    std::vector<BandPanel> panels;
    double marker_x = 0;
};

// Writes `stem`.png and `stem`.svg.
void plot_band_chart(const BandChart &chart, const std::string &stem);

// Any other figure: `stem`.png and `stem`.svg of width x height pixels, written atomically. PLplot is set up
// (colour map 0: 0 background, 1 ink, 2 Okabe-Ito blue, 3 orange, 4 grey, 5 sky blue, 6 vermillion; font set
// 1) before draw() and closed after it; one figure at a time per process.
void plot_figure(const std::string &stem, int width, int height, const std::function<void()> &draw);

} // namespace causeway
