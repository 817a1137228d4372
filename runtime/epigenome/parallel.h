// Work spread over threads, one task at a time, with a progress bar drawn by one thread only. Internal to
// causeway_epigenome.
#pragma once

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "causeway/progress.h"

namespace causeway::epigenome {

// Runs task(i) for every i in [0, count) on up to `threads` threads (0: one per core). An exception stops
// the remaining tasks; the one of the lowest failing index is rethrown here, whatever the threads' timing
// (tasks are claimed in index order, so every lower index has been claimed and runs to its end).
inline void parallel_for(size_t count, int threads, const std::string &label, bool show_progress,
                         const std::function<void(size_t)> &task) {
    if (count == 0) return;
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), count));
    std::atomic<size_t> next{0}, done{0};
    std::atomic<bool> stop{false};
    std::mutex error_mutex;
    std::exception_ptr error;
    size_t error_index = count;
    auto work = [&] {
        while (!stop) {
            size_t i = next++;
            if (i >= count) return;
            try {
                task(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (i < error_index) {
                    error_index = i;
                    error = std::current_exception();
                }
                stop = true;
                return;
            }
            ++done;
        }
    };
    std::unique_ptr<Progress> progress;
    if (show_progress) progress = std::make_unique<Progress>(label, static_cast<int64_t>(count));
    std::atomic<bool> finished{false};
    std::thread bar;
    if (progress)
        bar = std::thread([&] {
            while (!finished) {
                progress->update(static_cast<int64_t>(done.load()));
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto &thread : pool) thread.join();
    finished = true;
    if (bar.joinable()) bar.join();
    if (progress) progress->finish();
    if (error) std::rethrow_exception(error);
}

} // namespace causeway::epigenome
