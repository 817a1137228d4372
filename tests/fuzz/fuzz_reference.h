// The fixed FASTA that the region readers' fuzz targets place their BED lines against: written once per
// process with its .fai, so that no htslib index build runs per input.
#pragma once

#include <string>

#include "causeway/seqcnn_ism.h"
#include "fuzz_input.h"

namespace causeway::fuzz {

inline const IndexedFasta &reference() {
    static const IndexedFasta *fasta = [] {
        // chr1: 120 bases in lines of 60; 2: 50 bases. The index is written by hand (name, length, offset,
        // bases per line, bytes per line) so no htslib index build runs here.
        std::string chr1, chr2;
        for (int i = 0; i < 120; ++i) chr1 += "ACGTN"[i % 5];
        for (int i = 0; i < 50; ++i) chr2 += "TTGCA"[i % 5];
        const std::string text =
            ">chr1\n" + chr1.substr(0, 60) + "\n" + chr1.substr(60) + "\n>2\n" + chr2 + "\n";
        const std::string path = write_input("reference.fa", text);
        const size_t chr2_offset = text.find(">2\n") + 3;
        write_input("reference.fa.fai",
                    "chr1\t120\t6\t60\t61\n2\t50\t" + std::to_string(chr2_offset) + "\t50\t51\n");
        return new IndexedFasta(path);
    }();
    return *fasta;
}

} // namespace causeway::fuzz
