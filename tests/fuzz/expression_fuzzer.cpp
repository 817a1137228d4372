// Expression tables (gene_id, then TPM per cell type) and their gene-id matching.
#include "causeway/epigenome/expression.h"
#include "causeway/error.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path =
        causeway::fuzz::write_input("expression.tsv", causeway::fuzz::as_text(data, size));
    try {
        causeway::epigenome::ExpressionTable table(path);
        for (size_t row = 0; row < table.genes(); ++row) {
            static_cast<void>(table.find(table.gene_id(row)));
            static_cast<void>(table.find(table.gene_id(row) + ".1"));
            for (size_t cell = 0; cell < table.cell_types().size(); ++cell)
                static_cast<void>(table.tpm(row, cell));
        }
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
