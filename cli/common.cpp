#include "causeway/pecnn_network.h"
#include "command.h"

namespace causeway::cli {

void add_threads_option(CLI::App &app, int &threads) {
    app.add_option("-t,--threads", threads,
                   "Threads for the compiled pipelines (0: all cores, or HL_NUM_THREADS)")
        ->check(CLI::Range(0, 1024));
}

void apply_threads(int threads) {
    set_pipeline_threads(threads);
}

} // namespace causeway::cli
