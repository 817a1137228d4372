#include "causeway/epigenome/simulate.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <numeric>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "causeway/atomic_output.h"
#include "causeway/epigenome/bigwig.h"
#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "parallel.h"
#include "random.h"

namespace causeway::epigenome {
namespace {

// The paper's six marks, in default_marks() order.
enum Mark { K36me3, K27me3, K27ac, K4me1, K4me3, K9me3, kMarks };
const char *const kMarkNames[kMarks] = {"H3K36me3", "H3K27me3", "H3K27ac", "H3K4me1", "H3K4me3", "H3K9me3"};

// Tracks are piecewise constant at 25 bp, the resolution of the ENCODE Imputation Challenge tracks the
// paper used.
constexpr int64_t kResolution = 25;

struct ChromosomeSpec {
    const char *name;
    int64_t grch38_length;
};
const ChromosomeSpec kChromosomes[] = {
    {"chr1", 248956422},  {"chr2", 242193529},  {"chr3", 198295559},  {"chr4", 190214555},
    {"chr5", 181538259},  {"chr6", 170805979},  {"chr7", 159345973},  {"chr8", 145138636},
    {"chr9", 138394717},  {"chr10", 133797422}, {"chr11", 135086622}, {"chr12", 133275309},
    {"chr13", 114364328}, {"chr14", 107043718}, {"chr15", 101991189}, {"chr16", 90338345},
    {"chr17", 83257441},  {"chr18", 80373285},  {"chr19", 58617616},  {"chr20", 64444167},
    {"chr21", 46709983},  {"chr22", 50818468},  {"chrX", 156040895}};
constexpr int kChromosomeCount = sizeof(kChromosomes) / sizeof(kChromosomes[0]);
constexpr double kBasesPerGene = 40000;    // the automatic genome scale
constexpr double kMinimumAutoScale = 0.01; // keeps small runs' chromosomes roomy enough for long genes

// The planted rule's constants, shared by every cell type.
constexpr double kRuleScale = 2.6; // log1p(TPM) of a fully open, unrepressed gene without H3K36me3
constexpr double kGateSlope = 2.5; // steepness of the promoter gate
constexpr double kNoiseSd = 0.35;  // expression noise on the log1p scale

// Weights of one cell type's rule, by mark; `threshold` is the promoter gate's.
struct RuleWeights {
    std::array<double, kMarks> weight{};
    double threshold = 0;
};

struct Program {
    const char *name;
    std::array<double, kMarks> background; // mean of the nonzero background, -log10 p
    double polycomb, heterochromatin;      // chances for a gene inactive in this program
    double bivalent;                       // chance that a polycomb promoter keeps a weak H3K4me3 peak
    RuleWeights rule;
};

// Three programs whose rules differ, and whose genome-wide chromatin differs visibly (ES cells carry broad
// H3K27me3 and little H3K9me3; differentiated somatic cells spread H3K9me3; blood cells have abundant
// H3K4me1/H3K27ac enhancer marking), so that a model can tell which rules apply from the tracks alone.
//                                 K36me3 K27me3 K27ac K4me1 K4me3 K9me3
const Program kPrograms[] = {
    {"pluripotent",
     {0.4, 1.5, 0.3, 0.4, 0.25, 0.25},
     0.65,
     0.05,
     0.7,
     {{0.35, 0.9, 0.6, 0.25, 1.0, 0.5}, 3.0}},
    {"somatic", {0.4, 0.5, 0.3, 0.4, 0.25, 1.5}, 0.35, 0.35, 0.3, {{0.5, 0.7, 1.0, 0.35, 0.8, 0.9}, 3.0}},
    {"blood", {0.4, 0.5, 0.6, 1.2, 0.25, 0.5}, 0.4, 0.2, 0.3, {{0.6, 0.6, 0.9, 0.6, 0.9, 0.7}, 3.2}},
};
constexpr int kProgramCount = 3;

enum GeneClass { Off, Housekeeping, Specific };
const char *const kClassNames[] = {"off", "housekeeping", "specific"};
enum State { Active, Polycomb, Heterochromatin, Unmarked };
const char kStateLetters[] = "APHU";

struct SimGene {
    std::string id;
    int chrom = 0;
    int64_t tss = 0;  // 0-based TSS base
    int64_t body = 0; // transcribed length
    char strand = '+';
    GeneClass gene_class = Off;
    unsigned programs = 0; // bit p: active in program p (specific genes)
    // 0-based first and last bases of the gene.
    int64_t low() const { return strand == '+' ? tss : tss - body + 1; }
    int64_t high() const { return strand == '+' ? tss + body - 1 : tss; }
    int direction() const { return strand == '+' ? 1 : -1; }
};

// A gene's chromatin in one cell type: the planted height of each mark's feature (-log10 p; 0: absent).
struct Chromatin {
    std::array<float, kMarks> level{};
    State state = Unmarked;
};

double rule_log1p_tpm(const RuleWeights &w, const Chromatin &chromatin) {
    auto u = [&](Mark m) { return std::log1p(static_cast<double>(chromatin.level[m])); };
    double drive = w.weight[K4me3] * u(K4me3) + w.weight[K27ac] * u(K27ac);
    double gate = 1 / (1 + std::exp(-kGateSlope * (drive - w.threshold)));
    double elongation = 1 + w.weight[K36me3] * u(K36me3);
    double repression =
        std::exp(-(w.weight[K27me3] * u(K27me3) + w.weight[K9me3] * u(K9me3) + w.weight[K4me1] * u(K4me1)));
    return kRuleScale * gate * elongation * repression;
}

Chromatin draw_chromatin(bool active, double strength, const Program &program, Random &random) {
    Chromatin c;
    auto maybe = [&](Mark m, double p, double median, double sigma) {
        if (random.bernoulli(p)) c.level[m] = static_cast<float>(random.lognormal(median, sigma));
    };
    if (active) {
        c.state = Active;
        maybe(K4me3, 0.92, 30 * std::exp(0.45 * strength), 0.35);
        maybe(K27ac, 0.8, 18 * std::exp(0.35 * strength), 0.45);
        maybe(K36me3, 0.9, 7 * std::exp(0.3 * strength), 0.4);
        maybe(K4me1, 0.25, 4, 0.5);
        maybe(K27me3, 0.08, 3, 0.4);
        maybe(K9me3, 0.05, 3, 0.4);
        return c;
    }
    double state = random.uniform();
    if (state < program.polycomb) {
        c.state = Polycomb;
        maybe(K27me3, 1.0, 10, 0.5);
        maybe(K4me3, program.bivalent, 8, 0.5);
        maybe(K4me1, 0.5, 5, 0.5);
        maybe(K27ac, 0.05, 4, 0.5);
    } else if (state < program.polycomb + program.heterochromatin) {
        c.state = Heterochromatin;
        maybe(K9me3, 1.0, 8, 0.5);
        maybe(K4me1, 0.1, 4, 0.5);
    } else {
        c.state = Unmarked;
        maybe(K4me1, 0.45, 4, 0.5);
        maybe(K4me3, 0.1, 5, 0.5);
        maybe(K27ac, 0.1, 4, 0.5);
        maybe(K36me3, 0.05, 2, 0.4);
    }
    return c;
}

// The genome and its genes.
struct Genome {
    std::vector<ChromosomeLength> chromosomes;
    std::vector<SimGene> genes;                // by chromosome, then position
    std::vector<std::vector<size_t>> genes_on; // per chromosome, indices into genes
};

Genome lay_out_genome(int gene_count, double scale, Random &random) {
    Genome genome;
    double total = 0;
    for (auto &spec : kChromosomes) {
        auto length = static_cast<int64_t>(std::llround(static_cast<double>(spec.grch38_length) * scale));
        if (length < 1000) fail("--genome-scale {} makes {} only {} bases long", scale, spec.name, length);
        genome.chromosomes.push_back({spec.name, static_cast<uint32_t>(length)});
        total += static_cast<double>(length);
    }
    // Genes per chromosome in proportion to its length (largest remainders).
    std::vector<int> count(kChromosomeCount);
    std::vector<std::pair<double, int>> remainders;
    int assigned = 0;
    for (int c = 0; c < kChromosomeCount; ++c) {
        double share = gene_count * static_cast<double>(genome.chromosomes[c].length) / total;
        count[c] = static_cast<int>(share);
        assigned += count[c];
        remainders.emplace_back(share - count[c], c);
    }
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    for (int i = 0; assigned < gene_count; ++i, ++assigned) ++count[remainders[i].second];

    // Each gene's locus is its body with 5 kb either side; loci do not overlap, gaps between them random.
    constexpr int64_t flank = 5000;
    genome.genes_on.resize(kChromosomeCount);
    int serial = 0;
    for (int c = 0; c < kChromosomeCount; ++c) {
        std::vector<int64_t> bodies(count[c]);
        int64_t used = 0;
        for (auto &body : bodies) {
            body = std::clamp<int64_t>(std::llround(random.lognormal(12000, 0.8)), 1000, 150000);
            used += body + 2 * flank;
        }
        const int64_t length = genome.chromosomes[c].length;
        int64_t free = length - used;
        if (free < 1000 * static_cast<int64_t>(count[c]))
            fail(
                "the genome is too small for {} genes ({} needs {} bases for its {} genes but has {}): raise "
                "--genome-scale",
                gene_count, genome.chromosomes[c].name, used + 1000 * static_cast<int64_t>(count[c]),
                count[c], length);
        std::vector<double> gaps(count[c] + 1);
        double gap_sum = 0;
        for (auto &gap : gaps) gap_sum += (gap = random.exponential(1.0));
        double cursor = free * gaps[0] / gap_sum;
        for (int i = 0; i < count[c]; ++i) {
            SimGene gene;
            ++serial;
            gene.chrom = c;
            gene.body = bodies[i];
            gene.strand = random.bernoulli(0.5) ? '+' : '-';
            int64_t low = static_cast<int64_t>(cursor) + flank;
            gene.tss = gene.strand == '+' ? low : low + gene.body - 1;
            // Versioned ids, as GENCODE writes them; the expression table carries them bare.
            gene.id = fmt::format("SIMG{:06d}.{}", serial, random.integer(1, 9));
            genome.genes_on[c].push_back(genome.genes.size());
            genome.genes.push_back(std::move(gene));
            cursor += static_cast<double>(bodies[i] + 2 * flank) + free * gaps[i + 1] / gap_sum;
        }
    }
    return genome;
}

// A chromosome's signal on a 25 bp grid, written as piecewise-constant bigWig intervals.
class SignalGrid {
public:
    explicit SignalGrid(int64_t length)
        : length_(length), values_((length + kResolution - 1) / kResolution, 0.f) {}

    // MACS2-like background: the local lambda makes it piecewise constant over kilobases; half the runs
    // are 0 (left uncovered), the rest exponential around `mean`.
    void background(double mean, Random &random) {
        int64_t cell = 0;
        const auto cells = static_cast<int64_t>(values_.size());
        while (cell < cells) {
            int64_t run = 1 + static_cast<int64_t>(random.exponential(80.0));
            float value = random.bernoulli(0.5) ? 0.f : static_cast<float>(random.exponential(mean));
            for (int64_t end = std::min(cells, cell + run); cell < end; ++cell) values_[cell] = value;
        }
    }
    // A peak of the given height and half-width centred at `center` (biweight profile), in 100 bp steps
    // with 12% measurement noise each.
    void peak(double center, double half_width, double height, Random &random) {
        constexpr int64_t step = 4;
        int64_t first = std::max<int64_t>(0, static_cast<int64_t>((center - half_width) / kResolution));
        int64_t last = std::min<int64_t>(static_cast<int64_t>(values_.size()) - 1,
                                         static_cast<int64_t>((center + half_width) / kResolution));
        for (int64_t cell = first; cell <= last; cell += step) {
            double x =
                (static_cast<double>(cell * kResolution) + step * kResolution / 2.0 - center) / half_width;
            if (std::abs(x) >= 1) continue;
            double shape = (1 - x * x) * (1 - x * x);
            auto value = static_cast<float>(height * shape * random.lognormal(1.0, 0.12));
            for (int64_t c = cell; c < std::min(cell + step, last + 1); ++c) values_[c] += value;
        }
    }
    // A broad domain over [start, end) at `level`, in 500 bp segments of varying level, some missing;
    // with `ramp`, rising from 35% at `start_side` to full at the other end (H3K36me3 towards the 3' end).
    void domain(int64_t start, int64_t end, double level, bool ramp, bool rising_to_right, Random &random) {
        start = std::max<int64_t>(0, start);
        end = std::min<int64_t>(length_, end);
        if (end <= start) return;
        const int64_t first = start / kResolution, last = (end - 1) / kResolution;
        constexpr int64_t segment = 20;
        for (int64_t cell = first; cell <= last; cell += segment) {
            double multiplier = random.bernoulli(0.12) ? 0.0 : random.lognormal(1.0, 0.3);
            const int64_t end_cell = std::min(cell + segment, last + 1);
            double along = static_cast<double>(cell + end_cell - 2 * first) / 2.0 /
                           static_cast<double>(last - first + 1);
            if (!rising_to_right) along = 1 - along;
            double shape = ramp ? 0.35 + 0.65 * along : 1.0;
            auto value = static_cast<float>(level * shape * multiplier);
            for (int64_t c = cell; c < end_cell; ++c) values_[c] += value;
        }
    }
    int64_t length() const { return length_; }

    // Equal neighbours merged, zeros left uncovered.
    void intervals(std::vector<uint32_t> &starts, std::vector<uint32_t> &ends,
                   std::vector<float> &values) const {
        starts.clear();
        ends.clear();
        values.clear();
        const auto cells = static_cast<int64_t>(values_.size());
        for (int64_t cell = 0; cell < cells;) {
            float value = values_[cell];
            int64_t next = cell + 1;
            while (next < cells && values_[next] == value) ++next;
            if (value != 0) {
                starts.push_back(static_cast<uint32_t>(cell * kResolution));
                ends.push_back(static_cast<uint32_t>(std::min(length_, next * kResolution)));
                values.push_back(value);
            }
            cell = next;
        }
    }

private:
    int64_t length_;
    std::vector<float> values_;
};

// Loci that random genome-wide features keep clear of, so that a gene's planted features are the only
// ones at its promoter: sorted [start, end) per chromosome.
struct Exclusions {
    std::vector<std::pair<int64_t, int64_t>> promoters, loci;
    static bool overlaps(const std::vector<std::pair<int64_t, int64_t>> &zones, int64_t start, int64_t end) {
        auto it = std::lower_bound(zones.begin(), zones.end(), std::make_pair(end, int64_t(0)));
        return it != zones.begin() && std::prev(it)->second > start;
    }
};

// Genome-wide features unrelated to any gene: enhancer H3K4me1/H3K27ac, stray H3K4me3 peaks, intergenic
// polycomb and heterochromatin domains. Densities per base.
void random_features(SignalGrid &grid, Mark mark, const Exclusions &exclusions, Random &random) {
    struct Kind {
        double density;
        bool is_domain;
        double height, min_width, max_width;
    };
    Kind kind{};
    switch (mark) {
    case K4me1:
        kind = {1.0 / 50000, false, 5, 700, 2500};
        break;
    case K27ac:
        kind = {1.0 / 100000, false, 6, 500, 1500};
        break;
    case K4me3:
        kind = {1.0 / 500000, false, 8, 600, 1500};
        break;
    case K27me3:
        kind = {1.0 / 500000, true, 4, 10000, 80000};
        break;
    case K9me3:
        kind = {1.0 / 400000, true, 4, 20000, 150000};
        break;
    default:
        return;
    }
    const double expected = kind.density * static_cast<double>(grid.length());
    const auto count = static_cast<int64_t>(expected + random.uniform());
    for (int64_t i = 0; i < count; ++i) {
        double center = random.uniform(0, static_cast<double>(grid.length()));
        double width = random.uniform(kind.min_width, kind.max_width);
        double height = random.lognormal(kind.height, 0.6);
        if (kind.is_domain) {
            auto start = static_cast<int64_t>(center - width / 2),
                 end = static_cast<int64_t>(center + width / 2);
            if (!Exclusions::overlaps(exclusions.loci, start, end))
                grid.domain(start, end, height, false, true, random);
        } else {
            auto start = static_cast<int64_t>(center - width), end = static_cast<int64_t>(center + width);
            if (!Exclusions::overlaps(exclusions.promoters, start, end))
                grid.peak(center, width, height, random);
        }
    }
}

// The features planted for one gene in one cell type's track of one mark, shaped around its TSS.
void gene_features(SignalGrid &grid, Mark mark, const SimGene &gene, const Chromatin &chromatin,
                   Random &random) {
    const double level = chromatin.level[mark];
    if (level <= 0) return;
    const double tss = static_cast<double>(gene.tss) + 0.5;
    const int d = gene.direction();
    switch (mark) {
    case K4me3:
        grid.peak(tss + d * random.uniform(0, 300), random.uniform(900, 2000), level, random);
        break;
    case K27ac:
        grid.peak(tss + d * random.uniform(-400, 200), random.uniform(1000, 2500), level, random);
        break;
    case K4me1:
        for (int side : {-1, 1})
            grid.peak(tss + side * random.uniform(1500, 3000), random.uniform(700, 1400),
                      level * random.uniform(0.7, 1.3), random);
        break;
    case K36me3:
        if (gene.body > 1000) {
            int64_t start = gene.strand == '+' ? gene.tss + 1000 : gene.low();
            int64_t end = gene.strand == '+' ? gene.high() + 1 : gene.tss - 999;
            grid.domain(start, end, level, true, gene.strand == '+', random);
        }
        break;
    case K27me3: {
        auto before = static_cast<int64_t>(random.uniform(3000, 8000));
        auto after = static_cast<int64_t>(random.uniform(3000, 8000));
        grid.domain(gene.tss - before, gene.tss + after, level, false, true, random);
        break;
    }
    case K9me3: {
        auto before = static_cast<int64_t>(random.uniform(2000, 6000));
        auto after = static_cast<int64_t>(random.uniform(2000, 6000));
        grid.domain(gene.low() - before, gene.high() + after, level, false, true, random);
        break;
    }
    default:
        break;
    }
}

void make_directory(const std::string &path) {
    if (mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
        fail("cannot create folder {}: {}", path, std::strerror(errno));
    struct stat info {};
    if (stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) fail("not a folder: {}", path);
}

// Four decimals, as the nearest double to the decimal (so that JSON shows 0.9853, not 0.9853000000000001).
double rounded(double value) {
    return std::stod(fmt::format("{:.4f}", value));
}

} // namespace

SimulateSummary simulate_epigenome(const SimulateOptions &o) {
    if (o.genes < 1) fail("--genes must be at least 1, got {}", o.genes);
    if (o.cells < 1) fail("--cells must be at least 1, got {}", o.cells);
    if (o.genome_scale < 0 || o.genome_scale > 1)
        fail("--genome-scale must lie in [0, 1] (0: automatic), got {}", o.genome_scale);
    if (o.out_dir.empty()) fail("--out is empty");
    for (int m = 0; m < kMarks; ++m)
        if (default_marks()[m] != kMarkNames[m])
            fail("internal: the simulator's marks differ from default_marks()");
    double human = 0;
    for (auto &spec : kChromosomes) human += static_cast<double>(spec.grch38_length);
    const double scale = o.genome_scale > 0
                             ? o.genome_scale
                             : std::clamp(o.genes * kBasesPerGene / human, kMinimumAutoScale, 1.0);

    // Genome, genes and chromatin states, from streams of their own.
    Random layout_random(stream_seed(o.seed, 0));
    Genome genome = lay_out_genome(o.genes, scale, layout_random);
    const size_t gene_count = genome.genes.size();
    const int cells = o.cells;
    std::vector<std::string> cell_names;
    std::vector<int> program_of;
    std::vector<RuleWeights> weights;
    Random rule_random(stream_seed(o.seed, 1));
    std::vector<int> per_program(kProgramCount, 0);
    for (int c = 0; c < cells; ++c) {
        int p = c % kProgramCount;
        program_of.push_back(p);
        cell_names.push_back(fmt::format("{}_{}", kPrograms[p].name, ++per_program[p]));
        // Cell types of one program share its rule up to a small jitter of their own.
        RuleWeights w = kPrograms[p].rule;
        for (auto &weight : w.weight) weight *= rule_random.lognormal(1.0, 0.05);
        w.threshold *= rule_random.lognormal(1.0, 0.03);
        weights.push_back(w);
    }
    Random state_random(stream_seed(o.seed, 2));
    std::vector<Chromatin> chromatin(gene_count * cells);
    for (auto &gene : genome.genes) {
        double kind = state_random.uniform();
        gene.gene_class = kind < 0.15 ? Off : kind < 0.5 ? Housekeeping : Specific;
        if (gene.gene_class == Specific) {
            gene.programs = 1u << state_random.integer(0, kProgramCount - 1);
            if (state_random.bernoulli(0.3))
                gene.programs |= 1u << state_random.integer(0, kProgramCount - 1);
        }
    }
    for (size_t g = 0; g < gene_count; ++g) {
        const SimGene &gene = genome.genes[g];
        const double strength = state_random.normal();
        for (int c = 0; c < cells; ++c) {
            double p_active = 0;
            if (gene.gene_class == Housekeeping) p_active = 0.97;
            if (gene.gene_class == Specific) p_active = (gene.programs >> program_of[c]) & 1u ? 0.85 : 0.04;
            bool active = state_random.bernoulli(p_active);
            chromatin[g * cells + c] =
                draw_chromatin(active, strength, kPrograms[program_of[c]], state_random);
        }
    }
    // Expression from the rule, plus noise.
    Random noise_random(stream_seed(o.seed, 3));
    std::vector<double> rule(gene_count * cells), observed(gene_count * cells);
    for (size_t g = 0; g < gene_count; ++g)
        for (int c = 0; c < cells; ++c) {
            size_t i = g * cells + c;
            rule[i] = rule_log1p_tpm(weights[c], chromatin[i]);
            observed[i] = std::max(0.0, rule[i] + kNoiseSd * noise_random.normal());
        }
    // TPM as written (3 decimals); the figures below use what the files hold.
    std::vector<double> tpm(observed.size());
    for (size_t i = 0; i < observed.size(); ++i) {
        tpm[i] = std::stod(fmt::format("{:.3f}", std::expm1(observed[i])));
        observed[i] = std::log1p(tpm[i]);
    }
    double mean =
        std::accumulate(observed.begin(), observed.end(), 0.0) / static_cast<double>(observed.size());
    double total_ss = 0, residual_ss = 0;
    for (size_t i = 0; i < observed.size(); ++i) {
        total_ss += (observed[i] - mean) * (observed[i] - mean);
        residual_ss += (observed[i] - rule[i]) * (observed[i] - rule[i]);
    }
    SimulateSummary summary;
    summary.genome_scale = scale;
    for (auto &c : genome.chromosomes) summary.genome_length += c.length;
    summary.tracks = cells * kMarks;
    summary.rule_r2 = total_ss > 0 ? 1 - residual_ss / total_ss : 0;

    // Promoters (TSS +/- 3 kb) and loci (gene +/- 5 kb) kept clear of random features.
    std::vector<Exclusions> exclusions(kChromosomeCount);
    for (int c = 0; c < kChromosomeCount; ++c) {
        for (size_t g : genome.genes_on[c]) {
            const SimGene &gene = genome.genes[g];
            exclusions[c].promoters.emplace_back(gene.tss - 3000, gene.tss + 3001);
            exclusions[c].loci.emplace_back(gene.low() - 5000, gene.high() + 5001);
        }
        std::sort(exclusions[c].promoters.begin(), exclusions[c].promoters.end());
    }

    make_directory(o.out_dir);
    const std::string dir = o.out_dir.back() == '/' ? o.out_dir : o.out_dir + "/";
    make_directory(dir + "tracks");
    std::atomic<int64_t> intervals_written{0};
    parallel_for(
        static_cast<size_t>(cells) * kMarks, o.threads, "simulate-epigenome", o.progress, [&](size_t t) {
            const int c = static_cast<int>(t / kMarks);
            const Mark mark = static_cast<Mark>(t % kMarks);
            Random random(stream_seed(o.seed, 100 + t));
            const double background = kPrograms[program_of[c]].background[mark];
            BigWigWriter writer(fmt::format("{}tracks/{}.{}.bigWig", dir, cell_names[c], kMarkNames[mark]),
                                genome.chromosomes);
            std::vector<uint32_t> starts, ends;
            std::vector<float> values;
            for (int chrom = 0; chrom < kChromosomeCount; ++chrom) {
                SignalGrid grid(genome.chromosomes[chrom].length);
                grid.background(background, random);
                random_features(grid, mark, exclusions[chrom], random);
                for (size_t g : genome.genes_on[chrom])
                    gene_features(grid, mark, genome.genes[g], chromatin[g * cells + c], random);
                grid.intervals(starts, ends, values);
                intervals_written += static_cast<int64_t>(starts.size());
                writer.add(genome.chromosomes[chrom].name, starts, ends, values);
            }
            writer.close();
        });
    summary.intervals = intervals_written;

    {
        AtomicOutput sizes(dir + "genome.chrom.sizes");
        for (auto &c : genome.chromosomes) sizes.print("{}\t{}\n", c.name, c.length);
        sizes.commit();
    }
    {
        AtomicOutput gtf(dir + "genes.gtf");
        gtf.print("##description: causeway simulate-epigenome, seed {}\n", o.seed);
        for (auto &gene : genome.genes) {
            const std::string &chrom = genome.chromosomes[gene.chrom].name;
            std::string attributes =
                fmt::format(R"(gene_id "{}"; gene_name "{}"; gene_type "protein_coding";)", gene.id,
                            gene.id.substr(0, gene.id.find('.')));
            for (const char *feature : {"gene", "transcript"})
                gtf.print("{}\tcauseway\t{}\t{}\t{}\t.\t{}\t.\t{}{}\n", chrom, feature, gene.low() + 1,
                          gene.high() + 1, gene.strand, attributes,
                          std::string(feature) == "transcript"
                              ? fmt::format(" transcript_id \"{}\";", "SIMT" + gene.id.substr(4))
                              : "");
        }
        gtf.commit();
    }
    {
        AtomicOutput table(dir + "tpm.tsv");
        table.print("gene_id");
        for (auto &name : cell_names) table.print("\t{}", name);
        table.print("\n");
        for (size_t g = 0; g < gene_count; ++g) {
            table.print("{}", genome.genes[g].id.substr(0, genome.genes[g].id.find('.')));
            for (int c = 0; c < cells; ++c) table.print("\t{:.3f}", tpm[g * cells + c]);
            table.print("\n");
        }
        table.commit();
    }
    {
        AtomicOutput manifest(dir + "tracks.tsv");
        manifest.print("cell_type\tmark\tpath\n");
        for (int c = 0; c < cells; ++c)
            for (auto kMarkName : kMarkNames)
                manifest.print("{}\t{}\ttracks/{}.{}.bigWig\n", cell_names[c], kMarkName, cell_names[c],
                               kMarkName);
        manifest.commit();
    }

    using nlohmann::ordered_json;
    ordered_json truth;
    truth["generator"] = "causeway simulate-epigenome";
    truth["seed"] = o.seed;
    truth["genes"] = gene_count;
    truth["cell_types"] = cells;
    truth["genome_scale"] = scale;
    truth["genome_length"] = summary.genome_length;
    truth["track_resolution_bp"] = kResolution;
    truth["rule"] = {
        {"formula",
         "log1p(TPM) = max(0, scale * gate * elongation * repression + noise); "
         "gate = 1 / (1 + exp(-gate_slope * (w.H3K4me3 * u.H3K4me3 + w.H3K27ac * u.H3K27ac - threshold))); "
         "elongation = 1 + w.H3K36me3 * u.H3K36me3; "
         "repression = exp(-(w.H3K27me3 * u.H3K27me3 + w.H3K9me3 * u.H3K9me3 + w.H3K4me1 * u.H3K4me1)); "
         "noise ~ Normal(0, noise_sd)"},
        {"features",
         "u.mark = log1p(height of the mark's planted feature at the gene, -log10 p units; 0 if absent)"},
        {"scale", kRuleScale},
        {"gate_slope", kGateSlope},
        {"noise_sd", kNoiseSd},
        {"rule_r2", rounded(summary.rule_r2)},
    };
    // Where each planted feature lies, in bases from the TSS in the direction of transcription (the
    // dataset's window puts downstream to the right, the TSS at bin window / bin_size).
    truth["marks"] = ordered_json::array({
        {{"mark", "H3K4me3"},
         {"effect", "raises"},
         {"acts_through", "gate"},
         {"feature", "peak at the TSS"},
         {"region_bp", {-1500, 2300}}},
        {{"mark", "H3K27ac"},
         {"effect", "raises"},
         {"acts_through", "gate"},
         {"feature", "peak at the TSS"},
         {"region_bp", {-2900, 2700}}},
        {{"mark", "H3K36me3"},
         {"effect", "raises"},
         {"acts_through", "elongation"},
         {"feature", "domain over the gene body from +1 kb, rising towards the 3' end"},
         {"region_bp", {1000, 10000}}},
        {{"mark", "H3K27me3"},
         {"effect", "lowers"},
         {"acts_through", "repression"},
         {"feature", "broad domain over the TSS"},
         {"region_bp", {-3000, 3000}}},
        {{"mark", "H3K9me3"},
         {"effect", "lowers"},
         {"acts_through", "repression"},
         {"feature", "broad domain over the whole gene and 2-6 kb beyond"},
         {"region_bp", {-2000, 10000}}},
        {{"mark", "H3K4me1"},
         {"effect", "lowers"},
         {"acts_through", "repression"},
         {"feature", "two peaks flanking the TSS at 1.5-3 kb"},
         {"region_bp", {-3000, 3000}}},
    });
    ordered_json programs = ordered_json::array();
    for (int p = 0; p < kProgramCount; ++p) {
        ordered_json background, rule_weights, members = ordered_json::array();
        for (int m = 0; m < kMarks; ++m) {
            background[kMarkNames[m]] = kPrograms[p].background[m];
            rule_weights[kMarkNames[m]] = kPrograms[p].rule.weight[m];
        }
        rule_weights["threshold"] = kPrograms[p].rule.threshold;
        for (int c = 0; c < cells; ++c)
            if (program_of[c] == p) members.push_back(cell_names[c]);
        programs.push_back({{"name", kPrograms[p].name},
                            {"cell_types", members},
                            {"background_mean", background},
                            {"inactive_polycomb", kPrograms[p].polycomb},
                            {"inactive_heterochromatin", kPrograms[p].heterochromatin},
                            {"bivalent", kPrograms[p].bivalent},
                            {"weights", rule_weights}});
    }
    truth["programs"] = programs;
    ordered_json cell_list = ordered_json::array();
    for (int c = 0; c < cells; ++c) {
        ordered_json w;
        for (int m = 0; m < kMarks; ++m) w[kMarkNames[m]] = rounded(weights[c].weight[m]);
        w["threshold"] = rounded(weights[c].threshold);
        cell_list.push_back(
            {{"name", cell_names[c]}, {"program", kPrograms[program_of[c]].name}, {"weights", w}});
    }
    truth["cell_type_rules"] = cell_list;
    truth["states"] =
        "per gene, one letter per cell type: A active, P polycomb, H heterochromatin, U unmarked";
    ordered_json gene_list = ordered_json::array();
    int64_t class_count[3] = {0, 0, 0};
    for (size_t g = 0; g < gene_count; ++g) {
        const SimGene &gene = genome.genes[g];
        ++class_count[gene.gene_class];
        ordered_json active_programs = ordered_json::array(), rule_values = ordered_json::array();
        for (int p = 0; p < kProgramCount; ++p)
            if ((gene.programs >> p) & 1u) active_programs.push_back(kPrograms[p].name);
        std::string states;
        for (int c = 0; c < cells; ++c) {
            rule_values.push_back(rounded(rule[g * cells + c]));
            states += kStateLetters[chromatin[g * cells + c].state];
        }
        gene_list.push_back({{"gene_id", gene.id},
                             {"class", kClassNames[gene.gene_class]},
                             {"programs", active_programs},
                             {"body_bp", gene.body},
                             {"states", states},
                             {"rule_log1p_tpm", rule_values}});
    }
    truth["classes"] = {{"off", class_count[Off]},
                        {"housekeeping", class_count[Housekeeping]},
                        {"specific", class_count[Specific]}};
    truth["gene_truth"] = gene_list;
    AtomicOutput truth_file(dir + "truth.json");
    truth_file.print("{}\n", truth.dump(1));
    truth_file.commit();
    return summary;
}

} // namespace causeway::epigenome
