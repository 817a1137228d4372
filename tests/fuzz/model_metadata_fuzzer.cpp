// The model metadata: the input is the JSON header of a safetensors file (its "__metadata__" carries the
// hyperparameters), wrapped here in a well-formed container with a zero-filled data section so that the
// fuzzer spends its time in the metadata checks of both model readers rather than in the framing.
#include <cstring>

#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/seqcnn_model.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string file(8, '\0');
    for (int i = 0; i < 8; ++i) file[i] = static_cast<char>((static_cast<uint64_t>(size) >> (8 * i)) & 0xff);
    file.append(reinterpret_cast<const char *>(data), size);
    file.append(4096, '\0'); // room for small tensors named in the header
    const std::string path = causeway::fuzz::write_input("model.safetensors", file);
    try {
        static_cast<void>(causeway::pecnn_load(path).parameter_count());
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    try {
        static_cast<void>(causeway::seqcnn_load(path).parameter_count());
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
