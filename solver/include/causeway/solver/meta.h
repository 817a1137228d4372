// Random-effects meta-analysis with the conventions of metafor's rma(): DerSimonian-Laird, REML,
// Paule-Mandel and ML estimates of tau^2 (truncated at 0), inverse-variance weighted mean, Cochran's Q,
// I^2 from tau^2 and the "typical" within-study variance, normal or Hartung-Knapp (t, k-1) inference,
// and the prediction interval of predict.rma(). Ceres maximises the (restricted) log-likelihood for REML
// and ML.
#pragma once

#include <string>
#include <vector>

namespace causeway::solver {

enum class TauMethod { DL, REML, PM, ML };
const char *tau_method_name(TauMethod method);       // "DL", "REML", "PM", "ML"
TauMethod parse_tau_method(const std::string &name); // dl, reml, pm, ml (any case)

struct MetaSettings {
    TauMethod method = TauMethod::REML;
    bool hartung_knapp = false;
    double level = 0.95;
};

// NaN marks NA.
struct MetaResult {
    std::string method; // e.g. "REML" or "REML_HK"
    bool ok = true;
    std::string note;
    double mu, se, ci_low, ci_high, tau2, i2, q, q_pvalue, tau, pi_low, pi_high;
    size_t k = 0;
    int iterations = 0; // Ceres iterations (REML, ML), root-finding steps (PM), 0 (DL)
};

// One meta-analysis of the estimates y with standard errors se (k >= 2, se > 0, all finite).
MetaResult meta_analyse(const std::vector<double> &y, const std::vector<double> &se,
                        const MetaSettings &settings);

// Cochran's Q about the fixed-effect mean, computed in a stable two-pass form.
double cochran_q(const std::vector<double> &y, const std::vector<double> &se);

struct MetaTableOptions {
    std::string estimates = "-";
    std::string out = "-";
    MetaSettings settings;
    bool keep_going = false;
};

// Reads `group estimate se`, writes one row per group. Returns the number of groups.
size_t run_meta_table(const MetaTableOptions &options);

} // namespace causeway::solver
