#include "causeway/device.h"

#include <atomic>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>

#include <fmt/format.h>

#include "causeway/error.h"

namespace causeway {

namespace {

struct CudaProbe {
    bool usable = false;
    std::string reason;
};

// The driver API's own entry points, looked up by name: no CUDA headers or toolkit at build time.
CudaProbe probe_cuda() {
    CudaProbe probe;
    // RTLD_GLOBAL: Halide's CUDA runtime looks the driver's symbols up in the process before it tries to
    // open "libcuda.so" itself, which driver-only installs (no -dev symlink) lack.
    void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        const char *error = dlerror();
        probe.reason = fmt::format("the CUDA driver library libcuda.so.1 could not be loaded ({})",
                                   error ? error : "no reason given");
        return probe;
    }
    using CuInit = int (*)(unsigned);
    using CuDeviceGetCount = int (*)(int *);
    auto cu_init = reinterpret_cast<CuInit>(dlsym(library, "cuInit"));
    auto cu_device_get_count = reinterpret_cast<CuDeviceGetCount>(dlsym(library, "cuDeviceGetCount"));
    if (!cu_init || !cu_device_get_count) {
        probe.reason = "libcuda.so.1 lacks cuInit or cuDeviceGetCount";
        return probe;
    }
    if (int status = cu_init(0); status != 0) {
        probe.reason = fmt::format("cuInit failed with CUDA error {} (no usable driver or device)", status);
        return probe;
    }
    int count = 0;
    if (int status = cu_device_get_count(&count); status != 0 || count < 1) {
        probe.reason = status != 0 ? fmt::format("cuDeviceGetCount failed with CUDA error {}", status)
                                   : std::string("the CUDA driver reports no device");
        return probe;
    }
    probe.usable = true; // the library stays loaded for Halide's runtime
    return probe;
}

const CudaProbe &cuda_probe() {
    static const CudaProbe probe = probe_cuda();
    return probe;
}

// -1 until chosen (by select_device, or from CAUSEWAY_DEVICE at the first pipeline call), else a Device:
// read on every pipeline call, so an atomic rather than the mutex that guards the first resolution.
constexpr int kUnchosen = -1;
std::atomic<int> device_state{kUnchosen};
std::mutex device_mutex;

Device resolve(const std::string &name, const char *source) {
    if (name == "cpu") return Device::Cpu;
    if (name == "auto") return cuda_compiled() && cuda_usable() ? Device::Cuda : Device::Cpu;
    if (name == "cuda") {
        if (!cuda_compiled())
            fail("{}cuda: this build has no CUDA pipelines (configure with -DCAUSEWAY_TARGETS=\"x86;cuda\"); "
                 "compiled targets: {}",
                 source, compiled_targets());
        std::string reason;
        if (!cuda_usable(&reason)) fail("{}cuda: no usable CUDA GPU: {}", source, reason);
        return Device::Cuda;
    }
    fail("{}'{}' is not one of cpu, cuda, auto", source, name);
}

} // namespace

const char *device_name(Device d) {
    return d == Device::Cuda ? "cuda" : "cpu";
}

bool cuda_compiled() {
#ifdef CAUSEWAY_HAVE_CUDA
    return true;
#else
    return false;
#endif
}

std::string compiled_targets() {
#if defined(__aarch64__)
    std::string targets = "arm64 (NEON)";
#else
    std::string targets = "x86 (AVX-512, AVX2 and SSE4.1 variants, chosen by the CPU's features)";
#endif
#ifdef CAUSEWAY_HAVE_CUDA
    targets += ", cuda (" CAUSEWAY_CUDA_TARGET ")";
#endif
    return targets;
}

bool cuda_usable(std::string *reason) {
    const CudaProbe &probe = cuda_probe();
    if (reason) *reason = probe.reason;
    return probe.usable;
}

Device select_device(const std::string &name) {
    const Device chosen = resolve(name, "--device ");
    std::lock_guard<std::mutex> lock(device_mutex);
    device_state.store(static_cast<int>(chosen));
    return chosen;
}

Device current_device() {
    const int state = device_state.load(std::memory_order_relaxed);
    if (state != kUnchosen) return static_cast<Device>(state);
    std::lock_guard<std::mutex> lock(device_mutex);
    if (device_state.load() == kUnchosen) {
        const char *setting = std::getenv("CAUSEWAY_DEVICE");
        const Device chosen = setting && *setting ? resolve(setting, "CAUSEWAY_DEVICE=") : Device::Cpu;
        device_state.store(static_cast<int>(chosen));
    }
    return static_cast<Device>(device_state.load());
}

} // namespace causeway
