// Which processor runs the compiled pipelines: the CPU (the x86 dispatching libraries, see cpu_dispatch.h)
// or a CUDA GPU (the pipelines' CUDA variants, built with -DCAUSEWAY_TARGETS=...;cuda). One setting for the
// whole process; every pipeline call goes through one dispatch point (runtime/pipeline_device.h).
#pragma once

#include <string>

namespace causeway {

enum class Device { Cpu, Cuda };

const char *device_name(Device device);

// Whether this build holds the CUDA variants of the pipelines.
bool cuda_compiled();

// The target families compiled in, for --version: e.g. "x86 (AVX-512, AVX2, SSE4.1), cuda (PTX sm_70)".
std::string compiled_targets();

// Whether a usable CUDA GPU is present: libcuda.so.1 loads, cuInit succeeds and at least one device is
// counted. Probed once per process and never fatal; when false, `reason` (if given) says why.
bool cuda_usable(std::string *reason = nullptr);

// Resolves "cpu", "cuda" or "auto" (CUDA when compiled in and a usable GPU is present, else the CPU) and
// makes it the device of every later pipeline call. Fails (causeway::Error) for an unknown name, and for
// "cuda" in a build without CUDA or on a machine without a usable GPU.
Device select_device(const std::string &name);

// The device pipelines run on now. Until select_device is called it is CAUSEWAY_DEVICE's choice, resolved
// at the first pipeline call (so the whole test suite can be run on a GPU), else the CPU.
Device current_device();

} // namespace causeway
