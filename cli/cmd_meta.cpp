// causeway meta: random-effects meta-analysis per group (metafor's rma() conventions).
#include <memory>

#include "causeway/solver/meta.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct MetaOptions {
    std::string estimates, out = "-", method = "reml";
    bool hartung_knapp = false;
    double level = 0.95;
    bool keep_going = false;
};

CommandRun setup_meta(CLI::App &app) {
    auto o = std::make_shared<MetaOptions>();
    app.add_option("--estimates", o->estimates,
                   "Estimates TSV: group estimate se (other columns ignored); - for stdin")
        ->required();
    app.add_option("-o,--out", o->out,
                   "Results TSV: group method mu se ci_low ci_high tau2 i2 (percent) q q_pvalue k tau pi_low "
                   "pi_high iterations [note]; - for stdout");
    app.add_option(
           "--method", o->method,
           "tau^2 estimator: dl (DerSimonian-Laird), reml, pm (Paule-Mandel) or ml. REML is the default "
           "of metafor and of the meta package since 5.0; Deep MR's own analysis ran meta 4.18, whose "
           "default was DL (use --method dl to reproduce it)")
        ->check(CLI::IsMember({"dl", "reml", "pm", "ml"}, CLI::ignore_case));
    app.add_flag(
        "--hartung-knapp", o->hartung_knapp,
        "Hartung-Knapp adjustment: se scaled by the weighted residual mean square, t(k-1) intervals");
    app.add_option("--level", o->level, "Confidence level of the confidence and prediction intervals")
        ->check(CLI::Range(0.0, 1.0));
    app.add_flag(
        "--keep-going", o->keep_going,
        "Report groups with bad input as NA rows with the reason in a 'note' column instead of stopping");
    return [o]() {
        solver::MetaTableOptions options;
        options.estimates = o->estimates;
        options.out = o->out;
        options.settings.method = solver::parse_tau_method(o->method);
        options.settings.hartung_knapp = o->hartung_knapp;
        options.settings.level = o->level;
        options.keep_going = o->keep_going;
        solver::run_meta_table(options);
        return 0;
    };
}

const CommandRegistrar registrar_meta{
    {"meta", "Statistics", 41, "Random-effects meta-analysis per group (DL, REML, PM, ML; Hartung-Knapp)",
     setup_meta}};

} // namespace
} // namespace causeway::cli
