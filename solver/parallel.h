// Runs f(i) for i in [0, count) on a few threads, each index exactly once; results go wherever f puts
// them (by index), so the output does not depend on the thread count. The first exception is rethrown.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "causeway/progress.h"

namespace causeway::solver {

template <typename F> void parallel_for(size_t count, int threads, Progress *progress, F f) {
    unsigned n_threads =
        threads > 0 ? static_cast<unsigned>(threads) : std::max(1u, std::thread::hardware_concurrency());
    n_threads = static_cast<unsigned>(std::min<size_t>(n_threads, std::max<size_t>(count, 1)));
    std::atomic<size_t> next{0}, done{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto worker = [&](bool draw) {
        while (true) {
            size_t i = next.fetch_add(1);
            if (i >= count) return;
            try {
                f(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
                next = count; // stop handing out work
            }
            done.fetch_add(1);
            // Only the calling thread draws (Progress is not thread-safe).
            if (draw && progress) progress->update(static_cast<int64_t>(done.load()));
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < n_threads; ++t) pool.emplace_back(worker, false);
    worker(true);
    for (auto &thread : pool) thread.join();
    if (progress) progress->update(static_cast<int64_t>(done.load()));
    if (error) std::rethrow_exception(error);
}

} // namespace causeway::solver
