// The TSV reader under every table (plain or gzip): header, comment lines, rows, numbers, messages.
#include "causeway/error.h"
#include "causeway/tsv.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string path = causeway::fuzz::write_input("table.tsv", causeway::fuzz::as_text(data, size));
    try {
        causeway::TsvReader table(path);
        static_cast<void>(table.find_column("value"));
        while (table.next()) {
            for (size_t i = 0; i < table.size(); ++i) {
                try {
                    static_cast<void>(table.number(i));
                } catch (const causeway::Error &) {
                }
                static_cast<void>(table.where(i).size());
            }
        }
        static_cast<void>(table.column("value"));
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
