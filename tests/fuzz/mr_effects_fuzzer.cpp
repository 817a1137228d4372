// The effects table of causeway mr (region, variant, exposure and outcome effects with their SEs), read,
// fitted and written. The first byte picks --keep-going and --min-z, so both paths are exercised.
#include "causeway/error.h"
#include "causeway/solver/mr.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    causeway::solver::MrTableOptions options;
    options.effects = causeway::fuzz::write_input("effects.tsv", causeway::fuzz::as_text(data + 1, size - 1));
    options.out = causeway::fuzz::scratch_folder() + "/mr.tsv";
    options.keep_going = data[0] & 1;
    options.min_z = (data[0] & 2) ? 1.0 : 0.0;
    options.threads = 1;
    options.settings.bootstrap = 0;
    try {
        static_cast<void>(causeway::solver::run_mr_table(options));
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
