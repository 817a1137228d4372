#include "causeway/study/plot.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <unistd.h>

#include <fmt/format.h>
#include <plplot.h>

#include "causeway/error.h"

namespace causeway {

namespace {

// PLplot keeps global state per stream; one figure at a time.
std::mutex plplot_mutex;

// Colour map 0: background, ink, the two series (Okabe-Ito blue and orange: colour-blind safe), grid.
void set_palette() {
    plscol0(0, 255, 255, 255);
    plscol0(1, 0, 0, 0);
    plscol0(2, 0, 114, 178);
    plscol0(3, 230, 159, 0);
    plscol0(4, 200, 200, 200);
}

void bar(double left, double right, double value, int colour) {
    PLFLT x[4] = {left, left, right, right}, y[4] = {0, value, value, 0};
    plcol0(colour);
    plfill(4, x, y);
    plcol0(1);
    plwidth(0.5);
    plline(4, x, y);
}

void panel(const CorrelationChart &chart, const std::vector<double> &network,
           const std::vector<double> &baseline, const std::string &ylabel, bool legend,
           const std::string &xlabel) {
    const int n = static_cast<int>(chart.groups.size());
    // The mean's group stands apart from the cell types by a gap of half a group.
    auto centre = [&](int i) { return i + 1.0 + (i == n - 1 ? 0.5 : 0.0); };
    double low = 0;
    for (double v : network)
        if (std::isfinite(v)) low = std::min(low, v);
    for (double v : baseline)
        if (std::isfinite(v)) low = std::min(low, v);
    // Head room above 1 for the legend.
    const double ymin = low < 0 ? std::floor(low * 10) / 10 : 0.0, ymax = 1.2;
    const double xmax = centre(n - 1) + 0.75;
    plvpor(0.09, 0.97, 0.30, 0.88);
    plwind(0.25, xmax, ymin, ymax);
    // Horizontal grid first, so that the bars lie over it.
    plcol0(4);
    plwidth(0.5);
    for (double y = std::ceil(ymin * 5) / 5; y <= 1.0 + 1e-9; y += 0.2) {
        PLFLT gx[2] = {0.25, xmax}, gy[2] = {y, y};
        plline(2, gx, gy);
    }
    const double width = 0.36;
    plschr(0, 0.62);
    for (int i = 0; i < n; ++i) {
        const double c = centre(i);
        if (std::isfinite(network[i])) bar(c - width, c, network[i], 2);
        if (std::isfinite(baseline[i])) bar(c, c + width, baseline[i], 3);
        // Labels under the axis, perpendicular to it, ending at the axis.
        plcol0(1);
        plmtex("bv", 0.7, (c - 0.25) / (xmax - 0.25), 1.0, chart.groups[i].c_str());
        if (i == n - 1) {
            // The means, written up the inside of their bars (above a bar too short to hold them).
            for (int s = 0; s < 2; ++s) {
                const double v = s == 0 ? network[i] : baseline[i];
                if (!std::isfinite(v)) continue;
                const double x = s == 0 ? c - width / 2 : c + width / 2;
                const bool inside = v > 0.3;
                plcol0(inside ? 0 : 1);
                plptex(x, inside ? v - 0.03 : std::max(v, 0.0) + 0.03, 0, 1, inside ? 1.0 : 0.0,
                       fmt::format("{:.2f}", v).c_str());
            }
        }
    }
    plschr(0, 0.9);
    plcol0(1);
    plwidth(1);
    plbox("bc", 0, 0, "bcnstv", 0.2, 2);
    plschr(0, 1.0);
    plmtex("l", 3.2, 0.5, 0.5, ylabel.c_str());
    if (!xlabel.empty()) plmtex("b", 7.4, 0.5, 0.5, xlabel.c_str());
    if (legend) {
        PLINT opt[2] = {PL_LEGEND_COLOR_BOX, PL_LEGEND_COLOR_BOX};
        PLINT text_colors[2] = {1, 1}, box_colors[2] = {2, 3}, box_patterns[2] = {0, 0};
        PLFLT box_scales[2] = {0.8, 0.8}, box_widths[2] = {0.5, 0.5};
        const char *texts[2] = {chart.network_label.c_str(), chart.baseline_label.c_str()};
        PLFLT legend_width = 0, legend_height = 0;
        plschr(0, 0.8);
        pllegend(&legend_width, &legend_height, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
                 PL_POSITION_TOP | PL_POSITION_RIGHT | PL_POSITION_INSIDE, 0.01, 0.015, 0.05, 0, 1, 1, 1, 2,
                 2, opt, 0.8, 1.0, 1.5, 0.0, text_colors, texts, box_colors, box_patterns, box_scales,
                 box_widths, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
        plschr(0, 1.0);
    }
}

// Unknown devices make plinit() prompt on stdin for another, so check first.
bool have_device(const char *device) {
    const char *menus[64], *names[64];
    const char **menu_ptr = menus, **name_ptr = names;
    int count = 64;
    plgDevs(&menu_ptr, &name_ptr, &count);
    for (int i = 0; i < count; ++i)
        if (std::strcmp(name_ptr[i], device) == 0) return true;
    return false;
}

void draw(const CorrelationChart &chart, const char *device, const std::string &path) {
    plsdev(device);
    plsfnam(path.c_str());
    // 1200 x 900 pixels at the driver's resolution; 1 pt lines.
    plspage(90, 90, 1200, 900, 0, 0);
    set_palette();
    plssub(1, 2);
    plinit();
    plfontld(1);
    pladv(1);
    plschr(0, 1.0);
    plcol0(1);
    plvpor(0.09, 0.97, 0.30, 0.88);
    plmtex("t", 2.2, 0.0, 0.0, chart.title.c_str());
    panel(chart, chart.network_pearson, chart.baseline_pearson, "Pearson r", true, "");
    pladv(2);
    panel(chart, chart.network_spearman, chart.baseline_spearman, "Spearman #gr", false, "cell type");
    plend1();
}

} // namespace

void plot_correlation_chart(const CorrelationChart &chart, const std::string &stem) {
    const size_t n = chart.groups.size();
    if (n == 0 || chart.network_pearson.size() != n || chart.network_spearman.size() != n ||
        chart.baseline_pearson.size() != n || chart.baseline_spearman.size() != n)
        fail("correlation chart: {} groups but {}/{}/{}/{} values", n, chart.network_pearson.size(),
             chart.network_spearman.size(), chart.baseline_pearson.size(), chart.baseline_spearman.size());
    std::lock_guard<std::mutex> lock(plplot_mutex);
    for (const char *device : {"pngcairo", "svg"})
        if (!have_device(device))
            fail("PLplot has no '{}' driver here (install plplot-driver-cairo): cannot write {}", device,
                 stem);
    for (const char *ext : {"png", "svg"}) {
        const std::string path = stem + "." + ext, temp = fmt::format("{}.tmp.{}.{}", stem, getpid(), ext);
        draw(chart, std::string(ext) == "png" ? "pngcairo" : "svg", temp);
        FILE *check = std::fopen(temp.c_str(), "rb");
        long size = 0;
        if (check) {
            std::fseek(check, 0, SEEK_END);
            size = std::ftell(check);
            std::fclose(check);
        }
        if (size <= 0) {
            std::remove(temp.c_str());
            fail("cannot draw the figure with PLplot's {} driver (is plplot-driver-cairo installed?): {}",
                 ext, path);
        }
        if (std::rename(temp.c_str(), path.c_str()) != 0) {
            const int err = errno;
            std::remove(temp.c_str());
            fail("cannot write output file: {}: {}", path, std::strerror(err));
        }
    }
}

} // namespace causeway
