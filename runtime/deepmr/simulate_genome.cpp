#include "causeway/deepmr/simulate_genome.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/seqcnn_model.h"
#include "study/output_folder.h"

namespace causeway::deepmr {

namespace {

// Uniform and normal numbers from seqcnn's counter-based generator: one stream per purpose, so changing
// one part of the simulation (e.g. the number of TFs) leaves the other draws as they were.
class Stream {
public:
    Stream(uint64_t seed, uint64_t stream) : key_(seqcnn_stream_key(seed, stream)) {}
    double uniform() { return seqcnn_uniform(key_, index_++); }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    int below(int n) { return std::min(n - 1, static_cast<int>(uniform() * n)); }
    double normal() {
        // Box-Muller; 1 - u keeps the logarithm finite.
        const double u = 1.0 - uniform(), v = uniform();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
    }
    bool bernoulli(double p) { return uniform() < p; }

private:
    uint64_t key_, index_ = 0;
};

enum StreamId : uint64_t {
    kSequence = 1,
    kPlanting = 2,
    kBindingNoise = 3,
    kCaNoise = 4,
    kLabels = 5,
    kCalibration = 6
};

// Simulation constants, written to truth.json.
constexpr double kGcLow = 0.30, kGcHigh = 0.65, kGcCentre = 0.475;
constexpr double kPlantProbability = 0.3;
// Binding log-odds per nat of motif score above the TF's threshold (see binding_threshold).
constexpr double kBindingSlope = 1.5;
constexpr double kPlantedQuantile = 0.2, kRandomQuantile = 0.95;
constexpr int kCalibrationDraws = 1000;
constexpr double kBindingGc = 8.0, kBindingNoiseSd = 0.5;
constexpr double kCaIntercept = -1.0, kCaGc = 12.0, kCaNoiseSd = 0.5;
constexpr int kSpacer = 50, kFastaLineBases = 60, kMaxChromosomes = 8;
const char kBases[] = "ACGT";

double sigmoid(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

// A PWM's log-odds (natural log) against a uniform background: of one window, and the best of any window
// on either strand.
struct MotifScorer {
    std::vector<std::array<double, 4>> log_odds;
    double min_score = 0, max_score = 0;

    explicit MotifScorer(const std::vector<std::array<double, 4>> &pwm) {
        for (const auto &column : pwm) {
            std::array<double, 4> row{};
            for (int b = 0; b < 4; ++b) row[b] = std::log(column[b] / 0.25);
            min_score += *std::min_element(row.begin(), row.end());
            max_score += *std::max_element(row.begin(), row.end());
            log_odds.push_back(row);
        }
    }

    double best_score(const std::vector<int> &seq) const {
        const int w = static_cast<int>(log_odds.size()), n = static_cast<int>(seq.size());
        double best = min_score;
        for (int start = 0; start + w <= n; ++start) {
            double forward = 0, reverse = 0;
            for (int j = 0; j < w; ++j) {
                forward += log_odds[j][seq[start + j]];
                // The reverse strand: complement (3 - b) read backwards.
                reverse += log_odds[j][3 - seq[start + w - 1 - j]];
            }
            best = std::max({best, forward, reverse});
        }
        return best;
    }

    double score(const std::vector<int> &window) const {
        double total = 0;
        for (size_t j = 0; j < log_odds.size(); ++j) total += log_odds[j][window[j]];
        return total;
    }
};

double quantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(q * (v.size() - 1))];
}

// Draws one copy of a motif from its PWM.
void draw_motif(const std::vector<std::array<double, 4>> &pwm, Stream &rng, int *out) {
    for (size_t j = 0; j < pwm.size(); ++j) {
        const double u = rng.uniform();
        int b = 0;
        for (double cumulative = pwm[j][0]; b < 3 && u >= cumulative; cumulative += pwm[j][++b]) {
        }
        out[j] = b;
    }
}

// The score at which binding is even odds: the higher of the 20th percentile of copies drawn from the PWM
// (most planted copies bind) and the 95th percentile of the best chance match in a background region of
// average GC content (short motifs do not bind everywhere by chance).
double binding_threshold(const MotifScorer &scorer, const std::vector<std::array<double, 4>> &pwm, int length,
                         Stream &rng) {
    std::vector<double> planted, chance;
    std::vector<int> window(pwm.size()), region(length);
    for (int i = 0; i < kCalibrationDraws; ++i) {
        draw_motif(pwm, rng, window.data());
        planted.push_back(scorer.score(window));
    }
    for (int i = 0; i < kCalibrationDraws / 4; ++i) {
        for (int &b : region) {
            const double u = rng.uniform();
            b = u < kGcCentre ? (u < kGcCentre / 2 ? 1 : 2) : (u < (1 + kGcCentre) / 2 ? 0 : 3);
        }
        chance.push_back(scorer.best_score(region));
    }
    return std::max(quantile(planted, kPlantedQuantile), quantile(chance, kRandomQuantile));
}

nlohmann::json pwm_json(const std::vector<std::array<double, 4>> &pwm) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto &column : pwm) rows.push_back({column[0], column[1], column[2], column[3]});
    return rows;
}

} // namespace

const std::vector<TfMotif> &deepmr_motif_catalog() {
    // Consensus sequences of the JASPAR CORE (vertebrates) profiles named, in IUPAC codes; effects are
    // planted log-odds of accessibility, chosen to mix activators, repressors and TFs without effect, of
    // different sizes, in every prefix of the list.
    static const std::vector<TfMotif> catalog = {
        {"FOXA1", "forkhead (FOX)", "MA0148", "TGTTTACWYW", 2.0},
        {"CTCF", "CTCF zinc finger", "MA0139", "CCACCAGGGGGCGC", 0.0},
        {"REST", "REST/NRSF zinc finger", "MA0138", "TTCAGCACCATGGACAGCGCC", -1.6},
        {"GATA1", "GATA zinc finger", "MA0035", "WGATAAGR", 1.2},
        {"HNF4A", "nuclear receptor (DR1)", "MA0114", "RGGTCAAAGGTCA", 0.0},
        {"FOS_JUN", "AP-1 bZIP", "MA0099", "ATGASTCAT", 1.5},
        {"YY1", "YY1 zinc finger", "MA0095", "CAAGATGGCGGC", -0.9},
        {"SP1", "SP/KLF zinc finger", "MA0079", "GGGGCGGGGC", 0.0},
        {"CEBPB", "C/EBP bZIP", "MA0466", "ATTGCGCAAT", 0.8},
        {"MAX", "bHLH-ZIP E-box", "MA0058", "RCCACGTGGY", 0.0},
        {"ZEB1", "ZEB zinc finger E-box", "MA0103", "YCACCTGY", -1.1},
        {"NFYA", "NF-Y CCAAT box", "MA0060", "RRCCAATCAG", 0.0},
        {"HNF1A", "HNF1 homeodomain", "MA0046", "GTTAATNATTAAC", 1.0},
        {"ELK1", "ETS", "MA0028", "ACCGGAAGT", 0.0},
        {"NRF1", "NRF1", "MA0506", "GCGCATGCGC", 0.6},
        {"TEAD1", "TEA domain", "MA0090", "ACATTCCW", -0.7},
    };
    return catalog;
}

std::vector<std::array<double, 4>> deepmr_pwm(const std::string &consensus) {
    std::vector<std::array<double, 4>> pwm;
    for (char code : consensus) {
        std::string bases;
        switch (code) {
        case 'A':
        case 'C':
        case 'G':
        case 'T':
            bases = std::string(1, code);
            break;
        case 'R':
            bases = "AG";
            break;
        case 'Y':
            bases = "CT";
            break;
        case 'S':
            bases = "CG";
            break;
        case 'W':
            bases = "AT";
            break;
        case 'K':
            bases = "GT";
            break;
        case 'M':
            bases = "AC";
            break;
        case 'B':
            bases = "CGT";
            break;
        case 'D':
            bases = "AGT";
            break;
        case 'H':
            bases = "ACT";
            break;
        case 'V':
            bases = "ACG";
            break;
        case 'N':
            bases = "ACGT";
            break;
        default:
            fail("motif consensus '{}': unknown IUPAC code '{}'", consensus, code);
        }
        const double in = bases.size() == 1   ? 0.85
                          : bases.size() == 2 ? 0.45
                          : bases.size() == 3 ? 0.30
                                              : 0.25;
        const double out = bases.size() == 4 ? 0.25 : (1.0 - in * bases.size()) / (4 - bases.size());
        std::array<double, 4> column{};
        for (int b = 0; b < 4; ++b) column[b] = bases.find(kBases[b]) != std::string::npos ? in : out;
        pwm.push_back(column);
    }
    return pwm;
}

SimulateGenomeSummary simulate_genome(const SimulateGenomeOptions &o) {
    const auto &catalog = deepmr_motif_catalog();
    if (o.out.empty()) fail("--out is required");
    if (o.regions < 2) fail("--regions must be at least 2, not {}", o.regions);
    if (o.length < 50 || o.length > 100000) fail("--length must be in [50, 100000], not {}", o.length);
    if (o.tfs < 1 || o.tfs > static_cast<int>(catalog.size()))
        fail("--tfs must be in [1, {}] (the motif catalogue's size), not {}", catalog.size(), o.tfs);
    {
        // --out a/b with a/ missing: create the parents too, as mkdir -p would.
        const std::filesystem::path parent = std::filesystem::path(o.out).parent_path();
        std::error_code error;
        if (!parent.empty()) std::filesystem::create_directories(parent, error);
        if (error) fail("cannot create output folder: {}: {}", o.out, error.message());
    }
    study::make_output_folder(o.out);

    std::vector<std::vector<std::array<double, 4>>> pwms;
    std::vector<MotifScorer> scorers;
    std::vector<double> thresholds;
    Stream calibration_rng(o.seed, kCalibration);
    for (int t = 0; t < o.tfs; ++t) {
        pwms.push_back(deepmr_pwm(catalog[t].consensus));
        scorers.emplace_back(pwms.back());
        if (static_cast<int>(pwms.back().size()) > o.length)
            fail("--length {} is shorter than {}'s motif ({} bases)", o.length, catalog[t].name,
                 pwms.back().size());
        thresholds.push_back(binding_threshold(scorers.back(), pwms.back(), o.length, calibration_rng));
    }

    SimulateGenomeSummary summary;
    summary.chromosomes = std::min(kMaxChromosomes, o.regions);
    for (int t = 0; t < o.tfs; ++t) summary.tasks.push_back(catalog[t].name);
    summary.tasks.emplace_back("CA");
    summary.positives.assign(summary.tasks.size(), 0);

    Stream sequence_rng(o.seed, kSequence), planting_rng(o.seed, kPlanting),
        binding_noise(o.seed, kBindingNoise), ca_noise(o.seed, kCaNoise), label_rng(o.seed, kLabels);

    // Chromosomes hold consecutive blocks of regions, kSpacer background bases before each and at the end.
    std::vector<std::string> chromosomes(summary.chromosomes);
    AtomicOutput bed(o.out + "/regions.bed"), labels(o.out + "/labels.tsv");
    labels.print("region");
    for (const std::string &task : summary.tasks) labels.print("\t{}", task);
    labels.print("\n");

    std::vector<int> seq(o.length);
    std::vector<std::pair<int, int>> planted; // [start, end) of motifs already in the region
    for (int r = 0; r < o.regions; ++r) {
        const int c = static_cast<int>(static_cast<int64_t>(r) * summary.chromosomes / o.regions);
        std::string &chrom = chromosomes[c];
        for (int i = 0; i < kSpacer; ++i) chrom += kBases[sequence_rng.below(4)];

        // Background with the region's own GC content.
        const double gc_target = sequence_rng.uniform(kGcLow, kGcHigh);
        for (int &b : seq) {
            const double u = sequence_rng.uniform();
            b = u < gc_target ? (u < gc_target / 2 ? 1 : 2) : (u < (1 + gc_target) / 2 ? 0 : 3);
        }
        // Motifs, each drawn from its PWM on a random strand, not overlapping one another.
        planted.clear();
        for (int t = 0; t < o.tfs; ++t) {
            if (!planting_rng.bernoulli(kPlantProbability)) continue;
            const int w = static_cast<int>(pwms[t].size());
            for (int attempt = 0; attempt < 20; ++attempt) {
                const int start = planting_rng.below(o.length - w + 1);
                const bool clash = std::any_of(planted.begin(), planted.end(), [&](const auto &p) {
                    return start < p.second && p.first < start + w;
                });
                if (clash) continue;
                const bool reverse = planting_rng.bernoulli(0.5);
                for (int j = 0; j < w; ++j) {
                    const double u = planting_rng.uniform();
                    const auto &column = pwms[t][j];
                    int b = 0;
                    for (double cumulative = column[0]; b < 3 && u >= cumulative; cumulative += column[++b]) {
                    }
                    if (reverse)
                        seq[start + w - 1 - j] = 3 - b;
                    else
                        seq[start + j] = b;
                }
                planted.emplace_back(start, start + w);
                break;
            }
        }
        int gc_count = 0;
        for (int b : seq) gc_count += b == 1 || b == 2;
        const double gc = static_cast<double>(gc_count) / o.length;

        // Binding from the motif score and GC content; accessibility from binding and GC content.
        std::vector<int> label(o.tfs + 1);
        double ca_logit = kCaIntercept + kCaGc * (gc - kGcCentre) + kCaNoiseSd * ca_noise.normal();
        for (int t = 0; t < o.tfs; ++t) {
            const double logit = kBindingSlope * (scorers[t].best_score(seq) - thresholds[t]) +
                                 kBindingGc * (gc - kGcCentre) + kBindingNoiseSd * binding_noise.normal();
            label[t] = label_rng.bernoulli(sigmoid(logit));
            ca_logit += catalog[t].effect * label[t];
        }
        label[o.tfs] = label_rng.bernoulli(sigmoid(ca_logit));

        const std::string name = fmt::format("r{:06d}", r + 1);
        const auto start = static_cast<int64_t>(chrom.size());
        for (int b : seq) chrom += kBases[b];
        bed.print("chr{}\t{}\t{}\t{}\n", c + 1, start, start + o.length, name);
        labels.print("{}", name);
        for (size_t k = 0; k < label.size(); ++k) {
            labels.print("\t{}", label[k]);
            summary.positives[k] += label[k];
        }
        labels.print("\n");
    }

    // FASTA at 60 bases a line and its samtools faidx index (name, length, offset, line bases, line bytes).
    AtomicOutput fasta(o.out + "/genome.fa"), fai(o.out + "/genome.fa.fai");
    int64_t offset = 0;
    for (int c = 0; c < summary.chromosomes; ++c) {
        std::string &chrom = chromosomes[c];
        for (int i = 0; i < kSpacer; ++i) chrom += kBases[sequence_rng.below(4)];
        const std::string header = fmt::format(">chr{}\n", c + 1);
        fasta.write(header.data(), header.size());
        offset += static_cast<int64_t>(header.size());
        fai.print("chr{}\t{}\t{}\t{}\t{}\n", c + 1, chrom.size(), offset, kFastaLineBases,
                  kFastaLineBases + 1);
        for (size_t i = 0; i < chrom.size(); i += kFastaLineBases) {
            const size_t n = std::min<size_t>(kFastaLineBases, chrom.size() - i);
            fasta.write(chrom.data() + i, n);
            fasta.write("\n", 1);
            offset += static_cast<int64_t>(n) + 1;
        }
    }

    nlohmann::ordered_json truth;
    truth["generator"] = "causeway simulate-genome";
    truth["seed"] = o.seed;
    truth["regions"] = o.regions;
    truth["length"] = o.length;
    truth["chromosomes"] = summary.chromosomes;
    truth["effect_scale"] = "log-odds of accessibility (CA) when the TF is bound";
    truth["binding"] = {
        {"model", "bound ~ Bernoulli(sigmoid(slope * (score - threshold_tf) + gc_coefficient * "
                  "(gc - gc_centre) + noise_sd * N(0, 1)))"},
        {"score", "best PWM log-odds (natural log, uniform background) of any window on either "
                  "strand"},
        {"threshold", "per TF: the higher of the 20th percentile of PWM draws' scores and the "
                      "95th percentile of the best chance match in a background region"},
        {"slope", kBindingSlope},
        {"gc_coefficient", kBindingGc},
        {"noise_sd", kBindingNoiseSd},
        {"plant_probability", kPlantProbability}};
    truth["accessibility"] = {{"model", "CA ~ Bernoulli(sigmoid(intercept + sum_tf effect_tf * bound_tf + "
                                        "gc_coefficient * (gc - gc_centre) + noise_sd * N(0, 1)))"},
                              {"intercept", kCaIntercept},
                              {"gc_coefficient", kCaGc},
                              {"noise_sd", kCaNoiseSd}};
    truth["confounder"] = {{"name", "gc_content"},
                           {"description", "each region's GC fraction (background drawn uniformly in "
                                           "[gc_low, gc_high]); it raises the binding of every TF and "
                                           "accessibility directly, so naive binding-CA correlations are "
                                           "biased upwards"},
                           {"gc_low", kGcLow},
                           {"gc_high", kGcHigh},
                           {"gc_centre", kGcCentre}};
    nlohmann::ordered_json tfs = nlohmann::ordered_json::array();
    for (int t = 0; t < o.tfs; ++t) {
        const TfMotif &m = catalog[t];
        tfs.push_back({{"name", m.name},
                       {"family", m.family},
                       {"jaspar", m.jaspar},
                       {"consensus", m.consensus},
                       {"effect", m.effect},
                       {"role", m.effect > 0   ? "activator"
                                : m.effect < 0 ? "repressor"
                                               : "no effect"},
                       {"binding_threshold", thresholds[t]},
                       {"max_score", scorers[t].max_score},
                       {"bound_regions", summary.positives[t]},
                       {"pwm_acgt", pwm_json(pwms[t])}});
    }
    truth["tfs"] = tfs;
    truth["ca_regions"] = summary.positives[o.tfs];
    AtomicOutput truth_file(o.out + "/truth.json");
    truth_file.print("{}\n", truth.dump(2));

    bed.commit();
    labels.commit();
    fasta.commit();
    fai.commit();
    truth_file.commit();
    return summary;
}

} // namespace causeway::deepmr
