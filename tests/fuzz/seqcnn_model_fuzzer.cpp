// Sequence-CNN model files (seqcnn_load: architecture metadata, layer shapes, tensors).
#include "causeway/error.h"
#include "causeway/seqcnn_model.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path =
        causeway::fuzz::write_input("model.safetensors", causeway::fuzz::as_text(data, size));
    try {
        causeway::SeqcnnModel model = causeway::seqcnn_load(path);
        static_cast<void>(model.parameter_count());
        static_cast<void>(model.config.flatten_size());
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
