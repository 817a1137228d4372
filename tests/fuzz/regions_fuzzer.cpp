// Regions for causeway ism: BED lines placed against a FASTA index (a fixed two-sequence FASTA written
// once, with its .fai), then each window fetched as the command does.
#include "causeway/error.h"
#include "causeway/seqcnn_ism.h"
#include "fuzz_input.h"

namespace {

const causeway::IndexedFasta &reference() {
    static const causeway::IndexedFasta *fasta = [] {
        // chr1: 120 bases in lines of 60; 2: 50 bases. The index is written by hand (name, length, offset,
        // bases per line, bytes per line) so no htslib index build runs here.
        std::string chr1, chr2;
        for (int i = 0; i < 120; ++i) chr1 += "ACGTN"[i % 5];
        for (int i = 0; i < 50; ++i) chr2 += "TTGCA"[i % 5];
        const std::string text =
            ">chr1\n" + chr1.substr(0, 60) + "\n" + chr1.substr(60) + "\n>2\n" + chr2 + "\n";
        const std::string path = causeway::fuzz::write_input("reference.fa", text);
        const size_t chr2_offset = text.find(">2\n") + 3;
        causeway::fuzz::write_input("reference.fa.fai", "chr1\t120\t6\t60\t61\n2\t50\t" +
                                                            std::to_string(chr2_offset) + "\t50\t51\n");
        return new causeway::IndexedFasta(path);
    }();
    return *fasta;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const causeway::IndexedFasta &fasta = reference();
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
