// The track manifest of causeway prepare (cell_type, mark, path).
#include "causeway/epigenome/prepare.h"
#include "causeway/error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path = causeway::fuzz::write_input("tracks.tsv", causeway::fuzz::as_text(data, size));
    try {
        static_cast<void>(causeway::epigenome::read_track_manifest(path).size());
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
