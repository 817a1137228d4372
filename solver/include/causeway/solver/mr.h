// Two-sample summary-data Mendelian randomisation, one analysis per region, with the conventions of the
// MendelianRandomization R package (0.5 to 0.10) for IVW, MR-Egger and the weighted median, and of
// mr.raps (Zhao et al. 2018) for RAPS with Huber loss. Ceres fits IVW, Egger and RAPS.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace causeway::solver {

// Genetic associations of the variants in one region.
struct MrData {
    std::vector<double> beta_exposure, se_exposure, beta_outcome, se_outcome;
    size_t size() const { return beta_exposure.size(); }
};

enum class MrMethod { Ivw, Egger, WeightedMedian, Raps };
const char *mr_method_name(MrMethod method); // "IVW", "Egger", "WeightedMedian", "RAPS"

enum class IvwModel { Default, Fixed, Random };
enum class PvalueDistribution { Normal, T };

struct MrSettings {
    // default: fixed effects below 4 variants, multiplicative random effects otherwise.
    IvwModel ivw_model = IvwModel::Default;
    // t: n-1 degrees of freedom for IVW and the weighted median, n-2 for Egger (RAPS stays normal, as
    // in mr.raps).
    PvalueDistribution pvalues = PvalueDistribution::Normal;
    // Bootstrap draws for the weighted median's standard error; 0 leaves it NA.
    int bootstrap = 1000;
    // R's set.seed() value, used afresh for every region, as mr_median(seed = ...) does per call.
    uint32_t seed = 314159265;
    // Huber threshold for RAPS (mr.raps's default).
    double huber_k = 1.345;
};

// Why a result is NA. TooFewVariants is bad input (an error unless --keep-going); the others are
// properties of the data that get a warning and an NA row.
enum class MrStatus { Ok, TooFewVariants, IllConditioned, NotConverged };

// NaN marks NA.
struct MrResult {
    MrMethod method;
    MrStatus status = MrStatus::Ok;
    std::string note;
    double estimate, se, pvalue, intercept, intercept_se, intercept_pvalue;
    size_t n_variants = 0;
    int iterations = 0; // Ceres iterations (0 for closed forms)
};

// Minimum number of variants each method needs (IVW and RAPS 2, Egger and weighted median 3).
size_t mr_min_variants(MrMethod method);

MrResult mr_ivw(const MrData &data, const MrSettings &settings);
MrResult mr_egger(const MrData &data, const MrSettings &settings);
MrResult mr_weighted_median(const MrData &data, const MrSettings &settings);
MrResult mr_raps(const MrData &data, const MrSettings &settings);
MrResult mr_run(MrMethod method, const MrData &data, const MrSettings &settings);

// The package's weighted median of ratio estimates: sorted, cumulative weights less half the variant's
// own weight, linear interpolation at 0.5. Exposed for tests.
double weighted_median(const std::vector<double> &theta, const std::vector<double> &weights);

// Constants of the Huber psi function under N(0, 1), as mr.raps integrates them numerically:
// delta = E[Z psi(Z)], c1 = E[psi(Z)^2]. Closed forms here.
double huber_delta(double k);
double huber_c1(double k);

// ---------------------------------------------------------------- the `causeway mr` table driver

struct MrTableOptions {
    std::string effects = "-";
    std::string out = "-";
    std::vector<MrMethod> methods = {MrMethod::Ivw, MrMethod::Egger, MrMethod::WeightedMedian,
                                     MrMethod::Raps};
    MrSettings settings;
    double min_z = 0;        // keep variants with |beta_exposure / se_exposure| >= min_z
    bool keep_going = false; // NA rows with a `note` instead of stopping at bad input
    int threads = 0;         // 0: all cores
};

// Parses a comma-separated list of ivw, egger, median, raps; an error names the unknown entry.
std::vector<MrMethod> parse_mr_methods(const std::string &list);

// Reads the effects table, runs every region and writes the results table. Returns the number of
// regions. Warnings (ill-conditioned regions, regions dropped to NA by --keep-going) go to stderr.
size_t run_mr_table(const MrTableOptions &options);

} // namespace causeway::solver
