// causeway prepare: ENCODE-style inputs -> the model's dataset. One bigWig of -log10 p-values per (cell
// type, histone mark), listed in a manifest; a gene annotation; an expression table. For every gene, the
// window TSS +/- `window` in bins of `bin_size`: the mean signal of each bin (uncovered bases count as 0,
// so do bases beyond a chromosome end), then log1p; minus-strand windows reversed so that downstream is
// always to the right. Targets log1p(TPM).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "causeway/pecnn_model.h"

namespace causeway::epigenome {

enum class Imputation { None, MeanOfCells };
Imputation parse_imputation(const std::string &text); // "none" or "mean-of-cells"
std::string imputation_name(Imputation imputation);

struct TrackSpec {
    std::string cell_type, mark;
    std::string path; // resolved against the manifest's folder
    size_t line = 0;  // in the manifest
};

// tracks.tsv: header `cell_type  mark  path`; relative paths resolve against the manifest's folder. Errors
// name the manifest and line: missing columns or fields, a (cell type, mark) listed twice.
std::vector<TrackSpec> read_track_manifest(const std::string &path);

struct PrepareOptions {
    std::string manifest, annotation, expression, out;
    int window = 10000;                               // bases each side of the TSS
    int bin_size = 100;                               // bases per bin
    std::vector<std::string> chroms;                  // only genes on these (any naming style); empty: all
    std::vector<std::string> marks = default_marks(); // the dataset's marks, in order
    Imputation impute = Imputation::None;
    int threads = 0;      // 0: one per core (at most one per track)
    bool progress = true; // a progress bar when stderr is a terminal
    // Tests and benchmarks: bin every region from BigWigReader::read's copy of its intervals (the simple
    // path, kept as the reference the block sweep must match bit for bit).
    bool reference_path = false;
};

struct PrepareSummary {
    int64_t genes = 0;
    int cells = 0, marks = 0, bins = 0;
    int64_t intervals_read = 0;       // bigWig intervals decoded, over all tracks
    std::vector<std::string> imputed; // "cell/mark"
    std::vector<std::string> notes;   // genes skipped and why, for the user
};

// Reads every track once, chromosome by chromosome, in parallel over tracks, and writes `out` and its
// gene table atomically. Every bad input is a causeway::Error naming the file and line or the track; no
// output is left behind.
PrepareSummary prepare_dataset(const PrepareOptions &options);

} // namespace causeway::epigenome
