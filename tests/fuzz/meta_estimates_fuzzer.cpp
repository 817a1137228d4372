// The estimates table of causeway meta (group, estimate, se), read, meta-analysed and written.
#include "causeway/error.h"
#include "causeway/solver/meta.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    static const causeway::solver::TauMethod kMethods[] = {
        causeway::solver::TauMethod::DL, causeway::solver::TauMethod::REML, causeway::solver::TauMethod::PM,
        causeway::solver::TauMethod::ML};
    causeway::solver::MetaTableOptions options;
    options.estimates =
        causeway::fuzz::write_input("estimates.tsv", causeway::fuzz::as_text(data + 1, size - 1));
    options.out = causeway::fuzz::scratch_folder() + "/meta.tsv";
    options.keep_going = data[0] & 1;
    options.settings.method = kMethods[(data[0] >> 1) % 4];
    options.settings.hartung_knapp = data[0] & 8;
    try {
        static_cast<void>(causeway::solver::run_meta_table(options));
    } catch (const causeway::Error &e) {
        causeway::fuzz::rejected(e);
    }
    return 0;
}
