// Regions for causeway ism: BED lines placed against a FASTA index (fuzz_reference.h), then each window
// fetched as the command does.
#include "causeway/error.h"
#include "causeway/seqcnn_ism.h"
#include "fuzz_input.h"
#include "fuzz_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const causeway::IndexedFasta &fasta = causeway::fuzz::reference();
    const int length = 1 + data[0] % 64; // the model's input length
    const std::string path =
        causeway::fuzz::write_input("regions.bed", causeway::fuzz::as_text(data + 1, size - 1));
    try {
        for (const causeway::IsmRegion &region : causeway::seqcnn_ism_regions(path, fasta, length)) {
            const std::string bases = fasta.fetch(region.chrom, region.start, region.start + length);
            if (bases.size() != static_cast<size_t>(length)) __builtin_trap();
        }
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
