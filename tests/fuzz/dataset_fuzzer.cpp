// Datasets: D.safetensors (inputs, targets, metadata) and its gene table D.genes.tsv. The input holds both
// files, joined by fuzz::kFileSeparator.
#include <cmath>

#include "causeway/dataset.h"
#include "causeway/error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto [tensors, genes] = causeway::fuzz::split_files(causeway::fuzz::as_text(data, size));
    const std::string path = causeway::fuzz::write_input("d.safetensors", tensors);
    causeway::fuzz::write_input("d.genes.tsv", genes);
    try {
        causeway::Dataset dataset(path);
        double sum = 0;
        const int64_t per_gene = int64_t{dataset.cells()} * dataset.marks() * dataset.bins();
        for (int64_t g = 0; g < dataset.genes(); ++g) {
            sum += dataset.inputs(g)[per_gene - 1] + dataset.inputs(g)[0];
            sum += dataset.targets(g)[dataset.cells() - 1];
        }
        static_cast<void>(std::isfinite(sum) + dataset.gene_table().size());
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
