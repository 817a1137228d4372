// bigWig tracks (causeway prepare's signal input): header, chromosome tree, index and data blocks, read
// over each chromosome as prepare does.
#include "causeway/epigenome/bigwig.h"
#include "causeway/error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path = causeway::fuzz::write_input("track.bw", causeway::fuzz::as_text(data, size));
    try {
        causeway::epigenome::BigWigReader reader(path);
        std::vector<causeway::epigenome::SignalInterval> intervals;
        for (const auto &chromosome : reader.chromosomes()) {
            reader.read(chromosome.name, 0, chromosome.length, intervals);
            reader.read(chromosome.name, chromosome.length / 2, chromosome.length, intervals);
        }
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
