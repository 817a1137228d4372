// causeway mr: Mendelian randomisation per region (IVW, MR-Egger, weighted median, RAPS).
#include <memory>

#include "causeway/solver/mr.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct MrOptions {
    std::string effects, out = "-", methods = "ivw,egger,median,raps", ivw_model = "default",
                         pvalues = "normal";
    int bootstrap = 1000;
    uint32_t seed = 314159265;
    double min_z = 0;
    bool keep_going = false;
    int threads = 0;
};

CommandRun setup_mr(CLI::App &app) {
    auto o = std::make_shared<MrOptions>();
    app.add_option(
           "--effects", o->effects,
           "Effects TSV: region variant beta_exposure se_exposure beta_outcome se_outcome (other columns "
           "ignored); - for stdin")
        ->required();
    app.add_option("-o,--out", o->out,
                   "Results TSV: region method estimate se pvalue intercept intercept_se intercept_pvalue "
                   "n_variants [note]; - for stdout");
    app.add_option("--methods", o->methods, "Comma-separated methods: ivw, egger, median (weighted), raps");
    app.add_option(
           "--ivw-model", o->ivw_model,
           "IVW model: default (fixed effects below 4 variants, multiplicative random effects otherwise), "
           "fixed or random")
        ->check(CLI::IsMember({"default", "fixed", "random"}));
    app.add_option(
           "--pvalues", o->pvalues,
           "P-value distribution: normal, or t (n-1 df for IVW and the weighted median, n-2 for Egger; "
           "RAPS stays normal as in mr.raps)")
        ->check(CLI::IsMember({"normal", "t"}));
    app.add_option("--bootstrap", o->bootstrap,
                   "Bootstrap draws for the weighted median's standard error (0: none, se NA); "
                   "MendelianRandomization's default is 10000")
        ->check(CLI::NonNegativeNumber);
    app.add_option(
        "--seed", o->seed,
        "Seed of the bootstrap, as R's set.seed(): same draws as mr_median(seed = S), fresh per region");
    app.add_option("--min-z", o->min_z, "Keep only variants with |beta_exposure / se_exposure| >= Z")
        ->check(CLI::NonNegativeNumber);
    app.add_flag(
        "--keep-going", o->keep_going,
        "Report regions with bad input as NA rows with the reason in a 'note' column instead of stopping");
    app.add_option("-t,--threads", o->threads, "Threads (regions run in parallel; 0: all cores)")
        ->check(CLI::Range(0, 1024));
    return [o]() {
        solver::MrTableOptions options;
        options.effects = o->effects;
        options.out = o->out;
        options.methods = solver::parse_mr_methods(o->methods);
        options.settings.ivw_model = o->ivw_model == "fixed"    ? solver::IvwModel::Fixed
                                     : o->ivw_model == "random" ? solver::IvwModel::Random
                                                                : solver::IvwModel::Default;
        options.settings.pvalues =
            o->pvalues == "t" ? solver::PvalueDistribution::T : solver::PvalueDistribution::Normal;
        options.settings.bootstrap = o->bootstrap;
        options.settings.seed = o->seed;
        options.min_z = o->min_z;
        options.keep_going = o->keep_going;
        options.threads = o->threads;
        solver::run_mr_table(options);
        return 0;
    };
}

const CommandRegistrar registrar{{"mr", "Statistics", 40,
                                  "Mendelian randomisation per region (IVW, Egger, weighted median, RAPS)",
                                  setup_mr}};

} // namespace
} // namespace causeway::cli
