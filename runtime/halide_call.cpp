#include "halide_call.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include <HalideRuntime.h>

#include "causeway/cpu_dispatch.h"
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

// x86 levels in the order of the dispatching libraries' variants (schedules/pecnn_target.h, generators/).
enum class X86Level { None = 0, Sse41 = 1, Avx2 = 2, Avx512 = 3 };
const char *level_name(X86Level level) {
    switch (level) {
    case X86Level::Sse41: return "sse41";
    case X86Level::Avx2: return "avx2";
    case X86Level::Avx512: return "avx512";
    default: return "none";
    }
}

std::string isa_setting;           // CAUSEWAY_ISA as given
X86Level isa_cap = X86Level::Avx512;
bool isa_invalid = false;
std::atomic<int> taken{0};         // X86Level of the variant the pipelines took

bool has_feature(const uint64_t *features, int count, halide_target_feature_t feature) {
    const int word = feature >> 6;
    return word < count && (features[word] >> (feature & 63) & 1);
}

X86Level variant_level(int count, const uint64_t *features) {
    for (halide_target_feature_t f : {halide_target_feature_avx512, halide_target_feature_avx512_skylake,
                                      halide_target_feature_avx512_cannonlake,
                                      halide_target_feature_avx512_sapphirerapids})
        if (has_feature(features, count, f)) return X86Level::Avx512;
    for (halide_target_feature_t f :
         {halide_target_feature_avx, halide_target_feature_avx2, halide_target_feature_fma,
          halide_target_feature_f16c})
        if (has_feature(features, count, f)) return X86Level::Avx2;
    return X86Level::Sse41;
}

// Asked by each dispatching library for its variants in order, best first; the last variant (SSE4.1) is
// the fallback and is taken without asking.
int capped_can_use_target_features(int count, const uint64_t *features) {
    const X86Level level = variant_level(count, features);
    const bool usable =
        !isa_invalid && level <= isa_cap && halide_default_can_use_target_features(count, features);
    if (usable)
        taken.store(static_cast<int>(level));
    else if (level == X86Level::Avx2)
        taken.store(static_cast<int>(X86Level::Sse41)); // the last variant asked about: the fallback follows
    return usable ? 1 : 0;
}

// Installed before main(): Halide's default handler would print and abort the process.
const bool installed = [] {
    halide_set_error_handler(capture_error);
    if (const char *isa = std::getenv("CAUSEWAY_ISA"); isa && *isa) {
        isa_setting = isa;
        if (isa_setting == "avx512")
            isa_cap = X86Level::Avx512;
        else if (isa_setting == "avx2")
            isa_cap = X86Level::Avx2;
        else if (isa_setting == "sse41")
            isa_cap = X86Level::Sse41;
        else
            isa_invalid = true;
    }
    halide_set_custom_can_use_target_features(capped_can_use_target_features);
    return true;
}();

} // namespace

void check_pipeline(int status, const char *pipeline) {
    (void)installed;
    if (isa_invalid)
        fail("CAUSEWAY_ISA='{}' is not one of avx512, avx2, sse41 (it caps the x86 code the pipelines use)",
             isa_setting);
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

namespace causeway {

std::string x86_isa_cap() {
    (void)detail::installed;
    return detail::isa_invalid ? detail::isa_setting : detail::level_name(detail::isa_cap);
}

std::string x86_code_path() {
#if defined(__aarch64__)
    return "arm64"; // one NEON variant: no x86 level is taken
#endif
    return detail::level_name(static_cast<detail::X86Level>(detail::taken.load()));
}

} // namespace causeway
