#include "causeway/study/plot.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <mutex>
#include <unistd.h>

#include <fmt/format.h>
#include <plplot.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"

namespace causeway {

namespace {

// PLplot keeps global state per stream; one figure at a time.
std::mutex plplot_mutex;

// Colour map 0: background, ink, the two series (Okabe-Ito blue and orange: colour-blind safe), grid, and
// two more Okabe-Ito colours (sky blue, vermillion) for figures with more series.
void set_palette() {
    plscol0(0, 255, 255, 255);
    plscol0(1, 0, 0, 0);
    plscol0(2, 0, 114, 178);
    plscol0(3, 230, 159, 0);
    plscol0(4, 200, 200, 200);
    plscol0(5, 86, 180, 233);
    plscol0(6, 213, 94, 0);
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

// Draws into a temporary file per format, then renames it into place: PNG (cairo) and SVG.
void write_figure(const std::string &stem,
                  const std::function<void(const char *, const std::string &)> &draw_to) {
    std::lock_guard<std::mutex> lock(plplot_mutex);
    for (const char *device : {"pngcairo", "svg"})
        if (!have_device(device))
            fail("PLplot has no '{}' driver here (install plplot-driver-cairo): cannot write {}", device,
                 stem);
    for (const char *ext : {"png", "svg"}) {
        const std::string path = stem + "." + ext;
        // Registered, so that Ctrl-C while drawing leaves no temporary behind (atomic_output.h).
        TemporaryOutputPath temp(path);
        draw_to(std::string(ext) == "png" ? "pngcairo" : "svg", temp.temp());
        FILE *check = std::fopen(temp.temp().c_str(), "rb");
        long size = 0;
        if (check) {
            std::fseek(check, 0, SEEK_END);
            size = std::ftell(check);
            std::fclose(check);
        }
        if (size <= 0)
            fail("cannot draw the figure with PLplot's {} driver (is plplot-driver-cairo installed?): {}",
                 ext, path);
        temp.commit();
    }
}

void begin_page(const char *device, const std::string &path, int width, int height) {
    plsdev(device);
    plsfnam(path.c_str());
    plspage(90, 90, width, height, 0, 0);
    set_palette();
}

// Colour map 1: blue (negative) - white (0) - red (positive), ColorBrewer RdBu ends.
void set_diverging_map() {
    PLFLT pos[3] = {0, 0.5, 1}, r[3] = {33 / 255.0, 1, 178 / 255.0}, g[3] = {102 / 255.0, 1, 24 / 255.0},
          b[3] = {172 / 255.0, 1, 43 / 255.0};
    plscmap1n(256);
    plscmap1l(1, 3, pos, r, g, b, nullptr);
}

void draw_heatmap(const Heatmap &map, const char *device, const std::string &path) {
    const int nrows = static_cast<int>(map.rows.size()), ncols = map.columns;
    double limit = 0;
    for (double v : map.values)
        if (std::isfinite(v)) limit = std::max(limit, std::abs(v));
    if (limit == 0) limit = 1;
    begin_page(device, path, 1400, 200 + 70 * nrows);
    set_diverging_map();
    plinit();
    plfontld(1);
    pladv(0);
    const double xmin = map.x0, xmax = map.x0 + ncols * map.dx;
    plvpor(0.12, 0.86, 0.22, 0.86);
    plwind(xmin, xmax, 0, nrows);
    // One filled rectangle per cell (plimagefr places values at grid nodes, half a cell off); the first
    // row on top.
    for (int i = 0; i < nrows; ++i)
        for (int j = 0; j < ncols; ++j) {
            const double v = map.values[static_cast<size_t>(i) * ncols + j];
            const double x0 = xmin + j * map.dx, y0 = nrows - 1 - i;
            PLFLT x[4] = {x0, x0, x0 + map.dx, x0 + map.dx}, y[4] = {y0, y0 + 1, y0 + 1, y0};
            plcol1(0.5 + 0.5 * std::clamp(std::isfinite(v) ? v / limit : 0.0, -1.0, 1.0));
            plfill(4, x, y);
        }
    plcol0(1);
    plwidth(1);
    pllsty(2);
    PLFLT mx[2] = {map.marker_x, map.marker_x}, my[2] = {0, static_cast<double>(nrows)};
    plline(2, mx, my);
    pllsty(1);
    plschr(0, 0.9);
    plbox("bcnst", 0, 0, "bc", 0, 0);
    for (int i = 0; i < nrows; ++i) plmtex("lv", 0.8, (nrows - i - 0.5) / nrows, 1.0, map.rows[i].c_str());
    plschr(0, 1.0);
    plmtex("b", 3.0, 0.5, 0.5, map.xlabel.c_str());
    plschr(0, 0.8);
    plmtex("t", 1.2, 0.0, 0.0, map.title.c_str());
    plschr(0, 1.0);
    // The colour bar: its own axis in the map's units.
    PLFLT width = 0, height = 0;
    PLINT label_opts[1] = {PL_COLORBAR_LABEL_RIGHT};
    const char *labels[1] = {map.colorbar_label.c_str()};
    const char *axis_opts[1] = {"bcvtm"};
    PLFLT ticks[1] = {0};
    PLINT sub_ticks[1] = {0};
    std::vector<PLFLT> levels(64);
    for (int k = 0; k < 64; ++k) levels[k] = -limit + 2 * limit * k / 63.0;
    PLINT n_values[1] = {64};
    const PLFLT *values[1] = {levels.data()};
    plschr(0, 0.8);
    plcolorbar(&width, &height, PL_COLORBAR_IMAGE, PL_POSITION_RIGHT | PL_POSITION_OUTSIDE, 0.02, 0, 0.025,
               0.9, 0, 1, 1, 0, 0, 0, 0, 1, label_opts, labels, 1, axis_opts, ticks, sub_ticks, n_values,
               values);
    plend1();
}

void draw_bands(const BandChart &chart, const char *device, const std::string &path) {
    const int n = static_cast<int>(chart.panels.size()), rows = (n + 1) / 2;
    double ymin = 0, ymax = 0, xmin = chart.panels[0].x.front(), xmax = chart.panels[0].x.front();
    for (const BandPanel &p : chart.panels)
        for (size_t k = 0; k < p.x.size(); ++k) {
            ymin = std::min({ymin, p.low[k], p.centre[k]});
            ymax = std::max({ymax, p.high[k], p.centre[k]});
            xmin = std::min(xmin, p.x[k]);
            xmax = std::max(xmax, p.x[k]);
        }
    const double pad = 0.08 * std::max(ymax - ymin, 1e-6);
    ymin -= pad;
    ymax += pad;
    begin_page(device, path, 1400, 120 + 380 * rows);
    plscol0(5, 166, 206, 227); // the band: light blue
    plinit();
    plfontld(1);
    pladv(0);
    // Panels in a grid under a header of two lines (the title and what the band shows).
    const double header = 90.0 / (120 + 380 * rows), cell_h = (1 - header) / rows;
    plvpor(0.06, 0.98, 0.0, 1 - header / 2);
    plwind(0, 1, 0, 1);
    plcol0(1);
    plschr(0, 0.85);
    plmtex("t", 1.4, 0.0, 0.0, chart.title.c_str());
    plschr(0, 0.75);
    plmtex("t", 0.1, 0.0, 0.0, chart.band_label.c_str());
    for (int i = 0; i < n; ++i) {
        const BandPanel &p = chart.panels[i];
        const int row = i / 2, column = i % 2;
        const double top = 1 - header - row * cell_h;
        plvpor(0.07 + 0.5 * column, 0.47 + 0.5 * column, top - cell_h + 0.24 * cell_h, top - 0.1 * cell_h);
        plwind(xmin, xmax, ymin, ymax);
        const int m = static_cast<int>(p.x.size());
        std::vector<PLFLT> bx, by;
        for (int k = 0; k < m; ++k) {
            bx.push_back(p.x[k]);
            by.push_back(p.high[k]);
        }
        for (int k = m - 1; k >= 0; --k) {
            bx.push_back(p.x[k]);
            by.push_back(p.low[k]);
        }
        plcol0(5);
        plfill(static_cast<PLINT>(bx.size()), bx.data(), by.data());
        plcol0(4);
        plwidth(1);
        PLFLT zx[2] = {xmin, xmax}, zy[2] = {0, 0};
        plline(2, zx, zy);
        pllsty(2);
        plcol0(1);
        PLFLT mx[2] = {chart.marker_x, chart.marker_x}, my[2] = {ymin, ymax};
        plline(2, mx, my);
        pllsty(1);
        plcol0(2);
        plwidth(2);
        std::vector<PLFLT> x(p.x.begin(), p.x.end()), y(p.centre.begin(), p.centre.end());
        plline(m, x.data(), y.data());
        plwidth(1);
        plcol0(1);
        plschr(0, 0.8);
        plbox("bcnst", 0, 0, "bcnstv", 0, 0);
        plschr(0, 0.9);
        plmtex("t", 0.8, 0.5, 0.5, p.title.c_str());
        plmtex("l", 3.5, 0.5, 0.5, chart.ylabel.c_str());
        plmtex("b", 2.6, 0.5, 0.5, chart.xlabel.c_str());
        plschr(0, 1.0);
    }
    plend1();
}

} // namespace

void plot_correlation_chart(const CorrelationChart &chart, const std::string &stem) {
    const size_t n = chart.groups.size();
    if (n == 0 || chart.network_pearson.size() != n || chart.network_spearman.size() != n ||
        chart.baseline_pearson.size() != n || chart.baseline_spearman.size() != n)
        fail("correlation chart: {} groups but {}/{}/{}/{} values", n, chart.network_pearson.size(),
             chart.network_spearman.size(), chart.baseline_pearson.size(), chart.baseline_spearman.size());
    write_figure(stem, [&](const char *device, const std::string &path) { draw(chart, device, path); });
}

void plot_heatmap(const Heatmap &map, const std::string &stem) {
    if (map.rows.empty() || map.columns <= 0 || map.values.size() != map.rows.size() * map.columns)
        fail("heatmap: {} rows x {} columns but {} values", map.rows.size(), map.columns, map.values.size());
    write_figure(stem, [&](const char *device, const std::string &path) { draw_heatmap(map, device, path); });
}

void plot_band_chart(const BandChart &chart, const std::string &stem) {
    if (chart.panels.empty()) fail("band chart without panels: {}", stem);
    for (const BandPanel &p : chart.panels)
        if (p.x.empty() || p.centre.size() != p.x.size() || p.low.size() != p.x.size() ||
            p.high.size() != p.x.size())
            fail("band chart panel '{}': {} x but {}/{}/{} values", p.title, p.x.size(), p.centre.size(),
                 p.low.size(), p.high.size());
    write_figure(stem, [&](const char *device, const std::string &path) { draw_bands(chart, device, path); });
}

void plot_figure(const std::string &stem, int width, int height, const std::function<void()> &draw) {
    write_figure(stem, [&](const char *device, const std::string &path) {
        begin_page(device, path, width, height);
        plinit();
        plfontld(1);
        draw();
        plend1();
    });
}

} // namespace causeway
