// The raw safetensors reader: header length, JSON header, tensor table, F32 views (realigned or not).
#include <cmath>

#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path =
        causeway::fuzz::write_input("input.safetensors", causeway::fuzz::as_text(data, size));
    try {
        causeway::SafetensorsFile file(path);
        for (auto &[key, value] : file.metadata())
            static_cast<void>(file.metadata(key).size() + value.size());
        for (const causeway::TensorInfo &info : file.tensors()) {
            if (info.dtype != "F32") continue;
            std::vector<int64_t> any(info.shape.size(), -1);
            const float *values = file.f32(info.name, any);
            // Touch every element: the sanitizers check the view stays inside the mapping.
            double sum = 0;
            for (int64_t i = 0; i < info.elements(); ++i) sum += values[i];
            static_cast<void>(std::isfinite(sum));
        }
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
