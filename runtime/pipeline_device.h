// The one dispatch point between the CPU and the CUDA variant of a compiled pipeline. Each pipeline NAME
// has a generated wrapper causeway::pipeline::NAME (generators/pipeline_dispatch.h.in) that forwards here
// with both variants; call sites call the wrapper exactly as they called the Halide function.
//
// Host <-> device traffic on the CUDA path, per call, so that host code never sees stale data:
//   before: every input buffer without a device allocation is marked host-dirty, so the pipeline copies
//           the host's current contents up (a fresh device allocation is otherwise left uninitialised);
//   after:  every buffer the call left device-dirty (its outputs) is copied back to the host, and the
//           device allocations the call made are freed, so the next host write cannot be shadowed by a
//           stale device copy.
// Each call therefore uploads its inputs and downloads its outputs; keeping activations resident on the
// GPU between layers is the next step once a GPU can measure it.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include <HalideRuntime.h>

#include "causeway/device.h"

namespace causeway::detail {

// The buffer arguments of one CUDA call, in the pipeline's argument order.
struct CudaCallBuffer {
    halide_buffer_t *buffer = nullptr;
    bool input = false;      // an input buffer (else an output)
    bool had_device = false; // it had a device allocation before the call (then it is not ours to free)
};

// Before the call: marks inputs host-dirty (see above).
void prepare_cuda_call(CudaCallBuffer *buffers, std::size_t count);
// After the call: copies outputs to the host and frees the call's device allocations. Returns the
// pipeline's status, or the first copy's failure when the pipeline succeeded.
int finish_cuda_call(int status, const CudaCallBuffer *buffers, std::size_t count);
// The argument kinds from a pipeline's metadata (halide_argument_kind_t), by argument index.
int pipeline_argument_kind(const halide_filter_metadata_t *metadata, std::size_t index);

template <typename Tuple, std::size_t... I> constexpr std::size_t count_buffers(std::index_sequence<I...>) {
    return (std::size_t{0} + ... +
            (std::is_same_v<std::tuple_element_t<I, Tuple>, halide_buffer_t *> ? std::size_t{1} : 0));
}

template <typename Tuple, std::size_t... I>
void collect_buffers(const Tuple &params, const halide_filter_metadata_t *metadata, CudaCallBuffer *buffers,
                     std::index_sequence<I...>) {
    std::size_t next = 0;
    auto collect = [&](std::size_t index, auto value) {
        (void)index;
        if constexpr (std::is_same_v<decltype(value), halide_buffer_t *>) {
            buffers[next].buffer = value;
            buffers[next].input =
                pipeline_argument_kind(metadata, index) == halide_argument_kind_input_buffer;
            ++next;
        }
    };
    (collect(I, std::get<I>(params)), ...);
}

template <typename... Params, typename... Args>
int run_pipeline(int (*cpu)(Params...), int (*cuda)(Params...), const halide_filter_metadata_t *(*metadata)(),
                 Args &&...args) {
    if (cuda == nullptr || current_device() != Device::Cuda) return cpu(std::forward<Args>(args)...);

    using ParamTuple = std::tuple<Params...>;
    ParamTuple params(std::forward<Args>(args)...); // Runtime::Buffer -> halide_buffer_t * here
    constexpr std::size_t kBuffers = count_buffers<ParamTuple>(std::index_sequence_for<Params...>{});
    std::array<CudaCallBuffer, kBuffers> buffers{};
    collect_buffers(params, metadata(), buffers.data(), std::index_sequence_for<Params...>{});
    prepare_cuda_call(buffers.data(), kBuffers);
    const int status = std::apply(cuda, params);
    return finish_cuda_call(status, buffers.data(), kBuffers);
}

} // namespace causeway::detail
