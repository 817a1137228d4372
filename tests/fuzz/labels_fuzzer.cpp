// The labeled regions of train-seq and evaluate-seq: a label table (`region`, then one 0/1 column per task)
// joined by name to BED regions placed against a FASTA index (fuzz_reference.h). Input: byte 0 gives the
// window length, bit 0 of byte 1 asks for the tasks by name ("b,a", as --tasks does), then the label table
// and the BED file joined by fuzz_input.h's separator. Whatever is accepted must be self-consistent.
#include <numeric>

#include "causeway/error.h"
#include "causeway/seqcnn_labeled_regions.h"
#include "fuzz_input.h"
#include "fuzz_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    const causeway::IndexedFasta &fasta = causeway::fuzz::reference();
    const int length = 1 + data[0] % 64;
    const std::vector<std::string> tasks =
        data[1] & 1 ? std::vector<std::string>{"b", "a"} : std::vector<std::string>{};
    const auto [labels, regions] = causeway::fuzz::split_files(causeway::fuzz::as_text(data + 2, size - 2));
    const std::string labels_path = causeway::fuzz::write_input("labels.tsv", labels);
    const std::string regions_path = causeway::fuzz::write_input("regions.bed", regions);
    try {
        const causeway::SeqcnnLabeledRegions read =
            causeway::seqcnn_read_labeled_regions(fasta.path(), regions_path, labels_path, length, tasks);
        const size_t n = static_cast<size_t>(read.size()), t = read.tasks.size();
        if (t == 0 || read.length != length || read.chroms.size() != n || read.labels.size() != n * t ||
            read.bases.size() != n * static_cast<size_t>(length))
            __builtin_trap();
        if (!tasks.empty() && read.tasks != tasks) __builtin_trap();
        for (float label : read.labels)
            if (label != 0.f && label != 1.f) __builtin_trap();
        std::vector<int64_t> ids(n);
        std::iota(ids.begin(), ids.end(), 0);
        std::vector<float> one_hot, gathered;
        read.one_hot(ids, 0, n, one_hot);
        read.gather_labels(ids, 0, n, gathered);
        if (one_hot.size() != n * 4 * length || gathered != read.labels) __builtin_trap();
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
