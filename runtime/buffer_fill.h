// Buffer::fill without Halide 14's for_each_value, which advances its pointer past the end of the buffer by a
// stride it never reads through: UBSan's pointer-overflow check ("pointer index expression overflowed",
// HalideBuffer.h) stops the sanitizer suite there, and the header is inlined into our code, so a suppression
// does not take.
#pragma once

#include <HalideBuffer.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace causeway::detail {

template <typename T> void fill_strided(T *base, const halide_dimension_t *dims, int d, T value) {
    const int64_t stride = dims[d].stride;
    for (int i = 0; i < dims[d].extent; ++i) {
        T *at = base + i * stride;
        if (d == 0) {
            *at = value;
        } else {
            fill_strided(at, dims, d - 1, value);
        }
    }
}

template <typename T, typename V> void fill(Halide::Runtime::Buffer<T> &buffer, V fill_value) {
    const T value = static_cast<T>(fill_value);
    const size_t elements = buffer.number_of_elements();
    if (elements * sizeof(T) == buffer.size_in_bytes()) {
        std::fill_n(buffer.begin(), elements, value); // dense: every buffer we allocate
    } else if (buffer.dimensions() == 0) {
        *buffer.data() = value;
    } else if (elements > 0) {
        fill_strided(buffer.data(), buffer.raw_buffer()->dim, buffer.dimensions() - 1, value);
    }
}

} // namespace causeway::detail
