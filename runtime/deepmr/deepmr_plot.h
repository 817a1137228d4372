// Deep MR's figures, drawn with PLplot (PNG through its cairo driver, SVG through its own), each written
// atomically as `stem`.png and `stem`.svg.
#pragma once

#include <string>
#include <vector>

namespace causeway::deepmr {

// One panel per series: a Gaussian kernel density of the values (Silverman's bandwidth), a rug and a zero
// line; the first panel is usually "all", as the paper's Figure 2a-c.
struct DensitySeries {
    std::string title;
    std::vector<double> values;
};
void plot_densities(const std::string &title, const std::string &xlabel,
                    const std::vector<DensitySeries> &series, const std::string &stem);

// Per exposure: the meta-analysed estimate with its confidence interval, tau and the estimate's se side by
// side, as the paper's Figure 3.
struct ExposureBar {
    std::string name;
    double estimate, ci_low, ci_high, tau, se;
};
void plot_exposure_estimates(const std::string &title, const std::vector<ExposureBar> &bars,
                             const std::string &stem);

// One panel per exposure: beta_outcome against beta_exposure for each instrument of the region with the
// median estimate, with the fitted line (intercept + slope x), as the paper's Figure 2d.
struct ScatterPanel {
    std::string title;
    std::vector<double> x, y;
    double intercept = 0, slope = 0;
};
void plot_scatter_panels(const std::string &title, const std::string &xlabel, const std::string &ylabel,
                         const std::vector<ScatterPanel> &panels, const std::string &stem);

} // namespace causeway::deepmr
