// The training and evaluation input of the sequence CNN (train-seq, evaluate-seq): BED regions against an
// indexed FASTA, joined by name to a label table. A reader of outside input, apart from the training code so
// that its fuzz target (tests/fuzz/labels_fuzzer.cpp) links it alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace causeway {

// Regions of a BED file with their labels and sequences, held as base codes (0-3 for A, C, G, T; 4 for
// anything else) for one-hot batches.
struct SeqcnnLabeledRegions {
    int length = 0;
    std::vector<std::string> tasks;
    std::vector<std::string> names, chroms; // per region
    std::vector<uint8_t> bases;             // [regions, length]
    std::vector<float> labels;              // [regions, tasks]

    int64_t size() const { return static_cast<int64_t>(names.size()); }
    // One-hot [count, 4, length] of regions ids[first, first + count).
    void one_hot(const std::vector<int64_t> &ids, size_t first, size_t count, std::vector<float> &out) const;
    // Labels [count, tasks] of the same regions.
    void gather_labels(const std::vector<int64_t> &ids, size_t first, size_t count,
                       std::vector<float> &out) const;
};

// Reads the regions (seqcnn_ism_regions: windows of `length` bases around each BED region's centre) and
// the label table (`region`, then one 0/1 column per task), joined by the BED name column. Errors name the
// file and line: a region without labels, a repeated region, a label other than 0 or 1, an unknown
// chromosome. `tasks` empty takes every label column; otherwise those columns in that order.
SeqcnnLabeledRegions seqcnn_read_labeled_regions(const std::string &fasta, const std::string &regions,
                                                 const std::string &labels, int length,
                                                 const std::vector<std::string> &tasks = {});

} // namespace causeway
