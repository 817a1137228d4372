// causeway predict: the compiled PECNN forward pass over a dataset, as a long TSV.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/manifest.h"
#include "causeway/paths.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/progress.h"
#include "causeway/shard.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct PredictOptions {
    std::string model, dataset, out = "-", shard;
    int batch = 256;
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<PredictOptions>();
    app.add_option("-m,--model", o->model, "Model file (safetensors, architecture pecnn)")->required();
    app.add_option("-d,--dataset", o->dataset, "Dataset file (safetensors; its .genes.tsv beside it)")
        ->required();
    app.add_option("-o,--out", o->out,
                   "Predictions TSV (gene_id chrom cell_type predicted observed); - for stdout");
    app.add_option("--batch", o->batch, "Genes per compiled call (and per work unit of --shard)")
        ->check(CLI::Range(1, 65536));
    app.add_option("--shard", o->shard, kShardHelp);
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        const ShardSpec shard = o->shard.empty() ? ShardSpec{} : parse_shard(o->shard);
        if (shard.enabled() && o->out == "-") fail("--shard needs an output file (--out), not stdout");
        PecnnModel model = pecnn_load(o->model);
        Dataset data(o->dataset);
        const PecnnConfig &c = model.config;
        check_model_fits_dataset(c, data, o->model);
        PecnnNetwork network(model);
        const int cells = data.cells();
        // Work units are batches of genes: a shard's batches are the unsharded run's, so are their bytes.
        const size_t batches = (static_cast<size_t>(data.genes()) + o->batch - 1) / o->batch;
        const UnitRange units = shard_units(shard, batches);
        const int64_t first = static_cast<int64_t>(units.begin) * o->batch,
                      last = std::min<int64_t>(static_cast<int64_t>(units.end) * o->batch, data.genes());
        remove_stale_temporaries({o->out, manifest_path(o->out, false)});
        // A shard (a cluster job, which the scheduler may kill) keeps each finished batch's rows in
        // OUT.work/, and its rerun resumes from them; the folder goes once the table is whole.
        const std::string work = o->out + ".work";
        std::vector<std::string> batch_files;
        if (shard.enabled()) {
            for (size_t b = units.begin; b < units.end; ++b)
                batch_files.push_back(fmt::format("{}/batch.{}.tsv", work, b));
            const nlohmann::ordered_json settings = {{"model", file_checksum(o->model)},
                                                     {"dataset", file_checksum(o->dataset)},
                                                     {"genes", file_checksum(gene_table_path(o->dataset))},
                                                     {"batch", o->batch}};
            open_work_folder(work, settings, batch_files);
        }
        AtomicOutput out(o->out);
        out.print("gene_id\tchrom\tcell_type\tpredicted\tobserved\n");
        std::vector<float> predictions(static_cast<size_t>(o->batch) * cells);
        std::string rows;
        int64_t resumed = 0;
        Progress progress("predict", last - first);
        for (size_t b = units.begin; b < units.end; ++b) {
            const int64_t start = static_cast<int64_t>(b) * o->batch;
            const int64_t count = std::min<int64_t>(o->batch, data.genes() - start);
            if (!batch_files.empty() && file_exists(batch_files[b - units.begin])) {
                rows = read_work_file(batch_files[b - units.begin]);
                ++resumed;
            } else {
                network.forward(data.inputs(start), count, cells, predictions.data());
                rows.clear();
                for (int64_t g = start; g < start + count; ++g) {
                    const GeneRecord &gene = data.gene_table()[g];
                    for (int cell = 0; cell < cells; ++cell) {
                        const float observed = data.targets(g)[cell];
                        const float predicted = predictions[(g - start) * cells + cell];
                        // %.9g keeps every bit of a float.
                        fmt::format_to(std::back_inserter(rows), "{}\t{}\t{}\t{:.9g}\t{}\n", gene.gene_id,
                                       gene.chrom, data.cell_types()[cell], predicted,
                                       std::isnan(observed) ? std::string("NA")
                                                            : fmt::format("{:.9g}", observed));
                    }
                }
                if (!batch_files.empty()) {
                    AtomicOutput unit(batch_files[b - units.begin]);
                    unit.write(rows.data(), rows.size());
                    unit.commit();
                }
            }
            out.write(rows.data(), rows.size());
            progress.update(start + count - first);
        }
        progress.finish();
        out.commit();
        if (shard.enabled()) {
            std::error_code error;
            std::filesystem::remove_all(work, error);
            if (error)
                fail("cannot remove the work folder {} (the table {} is whole): {}", work, o->out,
                     error.message());
            if (std::getenv("CAUSEWAY_QUIET") == nullptr)
                fmt::print(stderr, "causeway predict: {} gene batches computed, {} resumed from {}\n",
                           units.size() - resumed, resumed, work);
        }
        // Beside every output file (a result must be traceable; merge reads a shard's); stdout has none.
        if (o->out != "-") {
            ManifestInfo manifest;
            manifest.command = "predict";
            manifest.inputs = {
                {"model", o->model}, {"dataset", o->dataset}, {"genes", gene_table_path(o->dataset)}};
            manifest.shard = shard;
            manifest.units = static_cast<int64_t>(batches);
            write_manifest(manifest_path(o->out, false), manifest);
        }
        return 0;
    };
}

const CommandRegistrar registrar{{"predict", "Equivariant CNN", 20,
                                  "Predict log1p(TPM) per gene and cell type with the compiled forward pass",
                                  setup}};

} // namespace
} // namespace causeway::cli
