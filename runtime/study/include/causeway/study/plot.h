// Figures of the study, drawn with PLplot (PNG through its cairo driver, SVG through its own), each
// written atomically.
#pragma once

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

} // namespace causeway
