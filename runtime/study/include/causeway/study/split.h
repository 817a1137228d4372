// By-chromosome splits of a dataset's genes (train / validation / test), as the paper's: train on chr1-12,
// hold out the rest. Specs are comma lists of chromosomes and numeric ranges ("chr1-chr12,chrX",
// "1-12"); names match across styles (chr1 / 1, chrM / MT).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "causeway/dataset.h"

namespace causeway {

// "chr7" / "7" / "CHR7" -> "7"; "chrM" / "MT" -> "M".
std::string canonical_chrom(const std::string &name);

class ChromSet {
public:
    ChromSet() = default;
    // Parses a spec; an empty spec is an empty set. Errors name `option` (e.g. "--train-chroms").
    ChromSet(const std::string &spec, const std::string &option);
    bool contains(const std::string &chrom) const;
    bool empty() const { return items_.empty(); }
    const std::string &spec() const { return spec_; }
    // Fails, naming the option and the gene table, if an item of the spec matches no gene of `data`.
    void check_against(const Dataset &data) const;

private:
    struct Item {
        std::string name; // canonical, for a single chromosome
        long first = 0, last = -1;
        std::string text; // as written
    };
    std::vector<Item> items_;
    std::string spec_, option_;
};

struct GeneSplit {
    std::vector<int64_t> train, valid, test; // gene indices with at least one known target
};

// Genes of each part; test = `test` when it is not empty, otherwise every gene in neither train nor valid.
// Fails when a spec names a chromosome the dataset lacks, when parts overlap, or when train (or test,
// if `need_test`) holds no gene with a known target.
GeneSplit split_genes(const Dataset &data, const ChromSet &train, const ChromSet &valid, const ChromSet &test,
                      bool need_test);

} // namespace causeway
