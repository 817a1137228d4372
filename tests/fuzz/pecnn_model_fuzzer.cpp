// Equivariant-CNN model files (pecnn_load: metadata hyperparameters, then every tensor's shape and values).
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path =
        causeway::fuzz::write_input("model.safetensors", causeway::fuzz::as_text(data, size));
    try {
        causeway::PecnnModel model = causeway::pecnn_load(path);
        static_cast<void>(model.parameter_count());
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
