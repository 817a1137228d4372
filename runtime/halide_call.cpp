#include "halide_call.h"

#include <mutex>
#include <string>

#include <HalideRuntime.h>

#include "causeway/error.h"

namespace causeway::detail {

namespace {

std::mutex message_mutex;
std::string last_message;

void capture_error(void *, const char *message) {
    std::lock_guard<std::mutex> lock(message_mutex);
    last_message = message ? message : "";
    while (!last_message.empty() && (last_message.back() == '\n' || last_message.back() == ' '))
        last_message.pop_back();
}

// Installed before main(): Halide's default handler would print and abort the process.
const bool installed = [] {
    halide_set_error_handler(capture_error);
    return true;
}();

} // namespace

void check_pipeline(int status, const char *pipeline) {
    (void)installed;
    if (status == 0) return;
    std::string message;
    {
        std::lock_guard<std::mutex> lock(message_mutex);
        message.swap(last_message);
    }
    fail("compiled pipeline {} failed (Halide error {}): {}", pipeline, status,
         message.empty() ? std::string("no message") : message);
}

} // namespace causeway::detail
