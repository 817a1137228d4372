// `causeway mr`: effects table in, one row per region and method out.
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/progress.h"
#include "causeway/solver/mr.h"
#include "causeway/solver/table_format.h"
#include "causeway/tsv.h"
#include "parallel.h"

namespace causeway::solver {

namespace {

struct Region {
    std::string name;
    size_t first_line = 0;
    size_t rows = 0;     // data rows read for the region
    size_t filtered = 0; // rows removed by --min-z
    MrData data;
    std::string bad_input; // --keep-going: the first problem found in the region's rows
    std::vector<MrResult> results;
};

} // namespace

std::vector<MrMethod> parse_mr_methods(const std::string &list) {
    static const std::map<std::string, MrMethod> names = {{"ivw", MrMethod::Ivw},
                                                          {"egger", MrMethod::Egger},
                                                          {"median", MrMethod::WeightedMedian},
                                                          {"raps", MrMethod::Raps}};
    std::vector<MrMethod> methods;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        std::string name = list.substr(start, comma - start);
        auto found = names.find(name);
        if (found == names.end())
            fail("unknown method '{}' in --methods '{}' (choose from ivw, egger, median, raps)", name, list);
        for (MrMethod seen : methods)
            if (seen == found->second) fail("method '{}' given twice in --methods '{}'", name, list);
        methods.push_back(found->second);
        start = comma + 1;
    }
    return methods;
}

size_t run_mr_table(const MrTableOptions &options) {
    if (options.methods.empty()) fail("no methods to run");
    if (!(options.min_z >= 0) || !std::isfinite(options.min_z))
        fail("--min-z must be a finite number >= 0, got {}", options.min_z);
    if (options.settings.bootstrap < 0 || options.settings.bootstrap == 1)
        fail("--bootstrap must be 0 (no standard error) or at least 2, got {}", options.settings.bootstrap);

    /* Read and validate everything before computing or writing anything. */
    TsvReader in(options.effects);
    const size_t c_region = in.column("region");
    in.column("variant");
    const size_t c_bx = in.column("beta_exposure"), c_bx_se = in.column("se_exposure");
    const size_t c_by = in.column("beta_outcome"), c_by_se = in.column("se_outcome");

    std::vector<Region> regions;
    std::unordered_map<std::string, size_t> index;
    while (in.next()) {
        std::string name(in.field(c_region));
        if (name.empty()) fail("empty region name: {}", in.where(c_region));
        auto [it, inserted] = index.emplace(name, regions.size());
        if (inserted) {
            regions.emplace_back();
            regions.back().name = name;
            regions.back().first_line = in.line();
        }
        Region &region = regions[it->second];
        ++region.rows;
        double bx, bx_se, by, by_se;
        std::string problem = check_value(in, c_bx, false, bx);
        if (problem.empty()) problem = check_value(in, c_bx_se, true, bx_se);
        if (problem.empty()) problem = check_value(in, c_by, false, by);
        if (problem.empty()) problem = check_value(in, c_by_se, true, by_se);
        if (!problem.empty()) {
            if (!options.keep_going) throw Error(problem + " (--keep-going reports such regions as NA)");
            if (region.bad_input.empty()) region.bad_input = problem;
            continue;
        }
        if (std::fabs(bx / bx_se) < options.min_z) {
            ++region.filtered;
            continue;
        }
        region.data.beta_exposure.push_back(bx);
        region.data.se_exposure.push_back(bx_se);
        region.data.beta_outcome.push_back(by);
        region.data.se_outcome.push_back(by_se);
    }
    if (regions.empty()) fail("no data rows in {}", options.effects);

    // Too few variants is bad input: stop before any work unless --keep-going.
    if (!options.keep_going) {
        for (const Region &region : regions) {
            for (MrMethod method : options.methods) {
                size_t n = region.data.size();
                if (n >= mr_min_variants(method)) continue;
                std::string filtered = region.filtered ? fmt::format(" ({} removed by --min-z {:g})",
                                                                     region.filtered, options.min_z)
                                                       : std::string();
                fail("region '{}' has {} usable variant{}{}, {} needs at least {}: {}:{} (first line of the "
                     "region; --keep-going reports such regions as NA)",
                     region.name, n, n == 1 ? "" : "s", filtered, mr_method_name(method),
                     mr_min_variants(method), in.path(), region.first_line);
            }
        }
    }

    /* Compute. */
    Progress progress("mr", static_cast<int64_t>(regions.size()));
    parallel_for(regions.size(), options.threads, &progress, [&](size_t r) {
        Region &region = regions[r];
        for (MrMethod method : options.methods) {
            if (!region.bad_input.empty()) {
                MrResult na = mr_run(method, MrData{}, options.settings);
                na.status = MrStatus::TooFewVariants;
                na.note = "bad input: " + region.bad_input;
                na.n_variants = region.data.size();
                region.results.push_back(std::move(na));
                continue;
            }
            region.results.push_back(mr_run(method, region.data, options.settings));
        }
    });
    progress.finish();

    /* Warn, then write. */
    size_t warnings = 0;
    for (const Region &region : regions) {
        for (const MrResult &result : region.results) {
            if (result.status == MrStatus::Ok) continue;
            if (result.status == MrStatus::TooFewVariants && !options.keep_going) continue;
            if (++warnings <= 20)
                fmt::print(stderr, "causeway mr: warning: region '{}' (from {}:{}) {}: NA: {}\n", region.name,
                           in.path(), region.first_line, mr_method_name(result.method), result.note);
        }
    }
    if (warnings > 20)
        fmt::print(stderr, "causeway mr: warning: {} more NA results not shown\n", warnings - 20);

    AtomicOutput out(options.out);
    out.print(
        "region\tmethod\testimate\tse\tpvalue\tintercept\tintercept_se\tintercept_pvalue\tn_variants{}\n",
        options.keep_going ? "\tnote" : "");
    for (const Region &region : regions) {
        for (const MrResult &result : region.results) {
            out.print("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", region.name, mr_method_name(result.method),
                      format_number(result.estimate), format_number(result.se), format_number(result.pvalue),
                      format_number(result.intercept), format_number(result.intercept_se),
                      format_number(result.intercept_pvalue), result.n_variants);
            if (options.keep_going) out.print("\t{}", format_note(result.note));
            out.print("\n");
        }
    }
    out.commit();
    return regions.size();
}

} // namespace causeway::solver
