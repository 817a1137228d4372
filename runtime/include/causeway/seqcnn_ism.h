// In-silico saturation mutagenesis of genome regions (causeway ism): reference windows from an indexed
// FASTA (htslib faidx, plain or bgzip), regions from a BED file resized around their centre to the model's
// sequence length, every substitution evaluated by seqcnn_mutant_batch, one TSV row per mutation and task.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "causeway/shard.h"

namespace causeway {

struct SeqcnnConfig;

// A FASTA file with its faidx index (.fai, and .gzi when bgzip-compressed). The index is never built
// here: a missing one is an error naming the file (samtools faidx makes it).
class IndexedFasta {
public:
    explicit IndexedFasta(const std::string &path);
    ~IndexedFasta();
    IndexedFasta(const IndexedFasta &) = delete;
    IndexedFasta &operator=(const IndexedFasta &) = delete;

    const std::string &path() const { return path_; }
    // The FASTA's name for a chromosome, matched across naming styles (chr1 / 1, chrM / MT); empty when
    // absent under every style.
    std::string resolve(const std::string &chrom) const;
    int64_t length(const std::string &fasta_name) const;
    // Bases [start, end) of a sequence named as in the FASTA (resolve()); the range must lie inside it.
    std::string fetch(const std::string &fasta_name, int64_t start, int64_t end) const;
    // Bases [start, end), which may run off either end of the sequence: the part outside reads as N.
    std::string fetch_padded(const std::string &fasta_name, int64_t start, int64_t end) const;

private:
    std::string path_;
    void *fai_ = nullptr; // faidx_t
};

struct IsmRegion {
    std::string name;  // the BED name column, else chrom:start-end as given
    std::string chrom; // the FASTA's name
    int64_t start = 0; // the window: sequence_length bases around the region's centre, 0-based
    std::string where; // file:line
};

// Reads BED regions (3+ tab-separated columns, plain or gzip; '#', track and browser lines skipped) and
// places each window of `length` bases at floor((start + end) / 2) - floor(length / 2). A malformed line,
// an unknown chromosome or a window off the chromosome is an error naming the file and line.
std::vector<IsmRegion> seqcnn_ism_regions(const std::string &bed_path, const IndexedFasta &fasta, int length);

// Indices of the requested task names in the model's tasks (seqcnn_task_indices), an unknown name an error
// that lists the model's tasks (the first 40) and names the model file.
std::vector<int> seqcnn_checked_tasks(const SeqcnnConfig &config, const std::vector<std::string> &names,
                                      const std::string &model_path);

// A base's one-hot row: 0, 1, 2, 3 for A, C, G, T (either case: lowercase is soft-masked sequence, still
// read); 4 for N and every other letter (IUPAC ambiguity codes count as N).
inline int seqcnn_base_code(char base) {
    switch (base) {
    case 'A':
    case 'a':
        return 0;
    case 'C':
    case 'c':
        return 1;
    case 'G':
    case 'g':
        return 2;
    case 'T':
    case 't':
        return 3;
    default:
        return 4;
    }
}

// One-hot [4, length] in A, C, G, T order (seqcnn_base_code); N and every other letter give a zero column.
std::vector<float> seqcnn_one_hot(const std::string &bases);

struct IsmOptions {
    std::string model, fasta, regions, out = "-";
    std::vector<std::string> tasks;
    int samples = 50;
    uint64_t seed = 0;
    bool reverse_complement = false;
    ShardSpec shard; // regions are the work units
};

struct IsmSummary {
    int64_t regions = 0;         // in the regions file (every shard's)
    int64_t sequences = 0;       // reference windows computed (not counting those resumed)
    int64_t regions_resumed = 0; // a shard's regions read back from its work folder (OUT.work/)
    int64_t mutants = 0;         // substitutions evaluated (each under every MC sample)
    double seconds = 0;          // spent in mutagenesis (not reading or writing)
};

// Validates every input (model, tasks, FASTA, all regions) before computing, then writes
// `region position ref alt task beta se` (position 0-based on the genome) atomically to options.out.
// With a shard, each region's rows also go to OUT.work/ as it finishes: a rerun after a kill computes only
// the unfinished regions; the folder is removed once the table is committed.
IsmSummary seqcnn_ism(const IsmOptions &options);

} // namespace causeway
