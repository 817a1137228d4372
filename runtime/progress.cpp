#include "causeway/progress.h"

#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

namespace causeway {

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)), total_(total), enabled_(isatty(2) != 0),
      start_(std::chrono::steady_clock::now()), last_draw_(start_ - std::chrono::seconds(1)) {}

Progress::~Progress() {
    finish();
}

void Progress::update(int64_t done, const std::string &detail) {
    if (!enabled_ || finished_) return;
    auto now = std::chrono::steady_clock::now();
    if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
    constexpr int width = 30;
    int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0;
    fmt::print(stderr, "\r{} [{}] {}/{} {:.0f}s elapsed, ETA {:.0f}s {}\033[K", label_, bar, done, total_,
               elapsed, eta, detail);
    std::fflush(stderr);
}

void Progress::finish() {
    if (!enabled_ || finished_) return;
    finished_ = true;
    fmt::print(stderr, "\r\033[K");
    std::fflush(stderr);
}

} // namespace causeway
