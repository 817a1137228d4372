#include "pipeline_device.h"

namespace causeway::detail {

int pipeline_argument_kind(const halide_filter_metadata_t *metadata, std::size_t index) {
    if (!metadata || index >= static_cast<std::size_t>(metadata->num_arguments)) return -1;
    return metadata->arguments[index].kind;
}

void prepare_cuda_call(CudaCallBuffer *buffers, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        CudaCallBuffer &b = buffers[i];
        if (!b.buffer) continue;
        b.had_device = b.buffer->device != 0;
        if (b.input && !b.had_device && b.buffer->host) b.buffer->set_host_dirty(true);
    }
}

int finish_cuda_call(int status, const CudaCallBuffer *buffers, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        halide_buffer_t *buffer = buffers[i].buffer;
        if (!buffer) continue;
        if (buffer->device_dirty() && buffer->host) {
            const int copied = halide_copy_to_host(nullptr, buffer);
            if (status == 0) status = copied;
        }
        // The same buffer may appear twice (an in-place update): the first visit frees it.
        if (!buffers[i].had_device && buffer->device) {
            const int freed = halide_device_free(nullptr, buffer);
            if (status == 0) status = freed;
        }
    }
    return status;
}

} // namespace causeway::detail
