// causeway predict: the compiled PECNN forward pass over a dataset, as a long TSV.
#include <cmath>
#include <memory>

#include "causeway/atomic_output.h"
#include "causeway/dataset.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/progress.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct PredictOptions {
    std::string model, dataset, out = "-";
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
    app.add_option("--batch", o->batch, "Genes per compiled call")->check(CLI::Range(1, 65536));
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        PecnnModel model = pecnn_load(o->model);
        Dataset data(o->dataset);
        const PecnnConfig &c = model.config;
        check_model_fits_dataset(c, data, o->model);
        PecnnNetwork network(model);
        const int cells = data.cells();
        std::vector<float> predictions(static_cast<size_t>(data.genes()) * cells);
        Progress progress("predict", data.genes());
        for (int64_t start = 0; start < data.genes(); start += o->batch) {
            int64_t count = std::min<int64_t>(o->batch, data.genes() - start);
            network.forward(data.inputs(start), count, cells, predictions.data() + start * cells);
            progress.update(start + count);
        }
        progress.finish();
        AtomicOutput out(o->out);
        out.print("gene_id\tchrom\tcell_type\tpredicted\tobserved\n");
        for (int64_t g = 0; g < data.genes(); ++g) {
            const GeneRecord &gene = data.gene_table()[g];
            for (int cell = 0; cell < cells; ++cell) {
                float observed = data.targets(g)[cell];
                // %.9g keeps every bit of a float.
                if (std::isnan(observed)) {
                    out.print("{}\t{}\t{}\t{:.9g}\tNA\n", gene.gene_id, gene.chrom, data.cell_types()[cell],
                              predictions[g * cells + cell]);
                } else {
                    out.print("{}\t{}\t{}\t{:.9g}\t{:.9g}\n", gene.gene_id, gene.chrom,
                              data.cell_types()[cell], predictions[g * cells + cell], observed);
                }
            }
        }
        out.commit();
        return 0;
    };
}

const CommandRegistrar registrar{{"predict", "Equivariant CNN", 20,
                                  "Predict log1p(TPM) per gene and cell type with the compiled forward pass",
                                  setup}};

} // namespace
} // namespace causeway::cli
