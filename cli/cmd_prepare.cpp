// causeway prepare: bigWig tracks, a gene annotation and an expression table -> the model's dataset.
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "causeway/epigenome/prepare.h"
#include "causeway/pecnn_model.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct PrepareCliOptions {
    epigenome::PrepareOptions prepare;
    std::string chroms;
    std::string marks = join_list(default_marks());
    std::string impute = "none";
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<PrepareCliOptions>();
    auto &p = o->prepare;
    app.add_option("--manifest", p.manifest,
                   "Tracks TSV: cell_type mark path (bigWig of -log10 p; relative paths from its folder)")
        ->required();
    app.add_option("--genes", p.annotation, "Gene annotation: GTF, GFF3 or BED6 of TSSs (plain or gzip)")
        ->required();
    app.add_option("--expression", p.expression,
                   "Expression TSV: gene_id, then one TPM column per cell type (plain or gzip; NA = unknown)")
        ->required();
    app.add_option("-o,--out", p.out, "Dataset to write (D.safetensors; D.genes.tsv beside it)")->required();
    app.add_option("--window", p.window, "Bases each side of the TSS")->check(CLI::Range(1, 10000000));
    app.add_option("--bin-size", p.bin_size, "Bases per bin (mean signal, then log1p)")
        ->check(CLI::Range(1, 10000000));
    app.add_option("--chroms", o->chroms,
                   "Only genes on these chromosomes, comma-separated (chr1 or 1; default all)");
    app.add_option("--marks", o->marks, "The dataset's marks, in order (the model's order)");
    app.add_option(
           "--impute", o->impute,
           "A (cell type, mark) without a track: none (an error) or mean-of-cells (the mark's mean over "
           "the other cell types, recorded in the metadata)")
        ->check(CLI::IsMember({"none", "mean-of-cells"}));
    app.add_option("-t,--threads", p.threads, "Threads reading tracks (0: one per core)")
        ->check(CLI::Range(0, 1024));
    return [o]() {
        auto &p = o->prepare;
        p.chroms = split_list(o->chroms);
        p.marks = split_list(o->marks);
        p.impute = epigenome::parse_imputation(o->impute);
        epigenome::PrepareSummary summary = epigenome::prepare_dataset(p);
        for (auto &note : summary.notes) fmt::print(stderr, "causeway prepare: note: {}\n", note);
        if (!summary.imputed.empty())
            fmt::print(stderr, "causeway prepare: note: imputed as the mean of the other cell types: {}\n",
                       join_list(summary.imputed, ", "));
        if (std::getenv("CAUSEWAY_QUIET") == nullptr)
            fmt::print(stderr, "causeway prepare: {} genes x {} cell types x {} marks x {} bins -> {}\n",
                       summary.genes, summary.cells, summary.marks, summary.bins, p.out);
        return 0;
    };
}

const CommandRegistrar registrar{{"prepare", "Epigenome data", 30,
                                  "Build a dataset from bigWig tracks, a gene annotation and expression",
                                  setup}};

} // namespace
} // namespace causeway::cli
