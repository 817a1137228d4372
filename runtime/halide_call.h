// Turns a failed pipeline call into a causeway::Error carrying Halide's own message.
#pragma once

namespace causeway::detail {

void check_pipeline(int status, const char *pipeline);

} // namespace causeway::detail
