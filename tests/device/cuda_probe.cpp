// Exit status for ctest: 0 when this build has CUDA pipelines and a usable GPU is present, 77 (ctest's
// SKIP_RETURN_CODE here) otherwise, with the reason on stderr. tests/device/run_on_cuda.sh asks it first.
#include <cstdio>
#include <string>

#include "causeway/device.h"

int main() {
    if (!causeway::cuda_compiled()) {
        std::fprintf(stderr, "[SKIP] this build has no CUDA pipelines (CAUSEWAY_TARGETS without cuda)\n");
        return 77;
    }
    std::string reason;
    if (!causeway::cuda_usable(&reason)) {
        std::fprintf(stderr, "[SKIP] no usable CUDA GPU: %s\n", reason.c_str());
        return 77;
    }
    std::fprintf(stderr, "CUDA GPU present: running on it\n");
    return 0;
}
