// `causeway meta`: estimates table in, one row per group out.
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/solver/meta.h"
#include "causeway/solver/table_format.h"
#include "causeway/tsv.h"

namespace causeway::solver {

namespace {

struct Group {
    std::string name;
    size_t first_line = 0;
    std::vector<double> y, se;
    std::string bad_input;
};

} // namespace

size_t run_meta_table(const MetaTableOptions &options) {
    if (!(options.settings.level > 0 && options.settings.level < 1))
        fail("--level must be strictly between 0 and 1, got {}", options.settings.level);

    TsvReader in(options.estimates);
    const size_t c_group = in.column("group"), c_estimate = in.column("estimate"), c_se = in.column("se");
    std::vector<Group> groups;
    std::unordered_map<std::string, size_t> index;
    while (in.next()) {
        std::string name(in.field(c_group));
        if (name.empty()) fail("empty group name: {}", in.where(c_group));
        auto [it, inserted] = index.emplace(name, groups.size());
        if (inserted) {
            groups.emplace_back();
            groups.back().name = name;
            groups.back().first_line = in.line();
        }
        Group &group = groups[it->second];
        double y, se;
        std::string problem = check_value(in, c_estimate, false, y);
        if (problem.empty()) problem = check_value(in, c_se, true, se);
        if (!problem.empty()) {
            if (!options.keep_going) throw Error(problem + " (--keep-going reports such groups as NA)");
            if (group.bad_input.empty()) group.bad_input = problem;
            continue;
        }
        group.y.push_back(y);
        group.se.push_back(se);
    }
    if (groups.empty()) fail("no data rows in {}", options.estimates);
    if (!options.keep_going) {
        for (const Group &group : groups)
            if (group.y.size() < 2)
                fail("group '{}' has {} estimate{}, a random-effects meta-analysis needs at least 2: {}:{} "
                     "(--keep-going reports such groups as NA)",
                     group.name, group.y.size(), group.y.size() == 1 ? "" : "s", in.path(), group.first_line);
    }

    std::vector<MetaResult> results;
    results.reserve(groups.size());
    for (const Group &group : groups) {
        if (!group.bad_input.empty()) {
            MetaResult na = meta_analyse({}, {}, options.settings);
            na.k = group.y.size();
            na.note = "bad input: " + group.bad_input;
            results.push_back(std::move(na));
            continue;
        }
        try {
            results.push_back(meta_analyse(group.y, group.se, options.settings));
        } catch (const Error &e) {
            if (!options.keep_going)
                fail("group '{}' (from {}:{}): {}", group.name, in.path(), group.first_line, e.what());
            MetaResult na = meta_analyse({}, {}, options.settings);
            na.k = group.y.size();
            na.note = e.what();
            results.push_back(std::move(na));
        }
    }
    for (size_t g = 0; g < groups.size(); ++g)
        if (!results[g].ok && !(options.keep_going && !groups[g].bad_input.empty()))
            fmt::print(stderr, "causeway meta: warning: group '{}' (from {}:{}): NA: {}\n", groups[g].name,
                       in.path(), groups[g].first_line, results[g].note);

    AtomicOutput out(options.out);
    out.print("group\tmethod\tmu\tse\tci_low\tci_high\ttau2\ti2\tq\tq_pvalue\tk\ttau\tpi_low\tpi_"
              "high\titerations{}\n",
              options.keep_going ? "\tnote" : "");
    for (size_t g = 0; g < groups.size(); ++g) {
        const MetaResult &r = results[g];
        out.print("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}", groups[g].name, r.method,
                  format_number(r.mu), format_number(r.se), format_number(r.ci_low), format_number(r.ci_high),
                  format_number(r.tau2), format_number(r.i2), format_number(r.q), format_number(r.q_pvalue),
                  r.k, format_number(r.tau), format_number(r.pi_low), format_number(r.pi_high), r.iterations);
        if (options.keep_going) out.print("\t{}", format_note(r.note));
        out.print("\n");
    }
    out.commit();
    return groups.size();
}

} // namespace causeway::solver
