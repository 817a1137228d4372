// Deep MR at the paper's scale in MC samples and variants: one exposure = 25 regions x 3L mutants x 50
// shared-mask samples, then per-region MR-Egger and the meta-analysis. Runs causeway deepmr's library on a
// simulate-genome world and reports exposures per minute and where the time goes (mutant batch, MR fits,
// I/O), from DeepmrSummary's clocks, with the load average at the start and the end (the machine is shared).
//
//   bench_deepmr [--model default|deepsea|FILE] [--regions 25] [--samples 50] [--exposures 1] [--threads 2]
//
// "default" is scripts/deepmr_world.sh's architecture (L 400; conv 128 k16, global max pool; dense 64),
// random weights (the time does not depend on their values). "deepsea" is DeepSEA's size (L 1000,
// 320/480/960 channels, 919 tasks); run it with --regions 1 and multiply (the report says so).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "causeway/deepmr/deepmr.h"
#include "causeway/deepmr/simulate_genome.h"
#include "causeway/pecnn_network.h" // set_pipeline_threads
#include "causeway/seqcnn_model.h"

using namespace causeway;

namespace {

SeqcnnConfig default_config(const std::vector<std::string> &tasks) {
    SeqcnnConfig c;
    c.sequence_length = 400;
    c.activation = SeqcnnActivation::Relu;
    c.padding = SeqcnnPadding::Valid;
    c.conv_channels = {128};
    c.conv_kernels = {16};
    c.pools = {400 - 16 + 1}; // global: the whole valid output
    c.conv_dropout = {0.2};
    c.dense_units = {64, static_cast<int>(tasks.size())};
    c.dense_dropout = {0.0};
    c.tasks = tasks;
    return c;
}

} // namespace

int main(int argc, char **argv) {
    std::string model = "default";
    int regions = 25, samples = 50, exposures = 1, threads = 2;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--model")
            model = value;
        else if (flag == "--regions")
            regions = std::stoi(value);
        else if (flag == "--samples")
            samples = std::stoi(value);
        else if (flag == "--exposures")
            exposures = std::stoi(value);
        else if (flag == "--threads")
            threads = std::stoi(value);
        else {
            std::fprintf(stderr, "unknown option %s\n", flag.c_str());
            return 1;
        }
    }
    set_pipeline_threads(threads);
    // The machine is shared: the load average says how much of it this run had.
    double load_before[3] = {0, 0, 0};
    getloadavg(load_before, 3);
    const std::string dir = fmt::format("/tmp/bench_deepmr_{}", getpid());
    if (::mkdir(dir.c_str(), 0777) != 0) {
        std::perror(dir.c_str());
        return 1;
    }
    const int length = model == "deepsea" ? 1000 : 400;
    deepmr::SimulateGenomeOptions world;
    world.out = dir + "/world";
    world.regions = 2000;
    world.length = length;
    world.tfs = 12;
    world.seed = 1;
    const deepmr::SimulateGenomeSummary simulated = deepmr::simulate_genome(world);

    std::string model_path = model;
    if (model == "default" || model == "deepsea") {
        model_path = dir + "/model.safetensors";
        SeqcnnConfig c =
            model == "default" ? default_config(simulated.tasks) : deepsea_config(simulated.tasks);
        seqcnn_save(seqcnn_init(c, 1), model_path);
    }
    deepmr::DeepmrOptions o;
    o.model = model_path;
    o.fasta = world.out + "/genome.fa";
    o.regions = world.out + "/regions.bed";
    o.labels = world.out + "/labels.tsv";
    o.exposures.assign(simulated.tasks.begin(), simulated.tasks.begin() + exposures);
    o.regions_per_exposure = regions;
    o.samples = samples;
    o.seed = 1;
    o.naive_regions = 3;
    o.out = dir + "/deepmr";
    const deepmr::DeepmrSummary s = deepmr::deepmr_run(o);
    std::system(fmt::format("rm -rf '{}'", dir).c_str());

    // To the paper's scale (25 regions, 50 samples): the mutant batch scales with regions x samples, the rest
    // with regions.
    const double region_scale = 25.0 / regions, sample_scale = 50.0 / samples;
    const double per_exposure =
        (s.seconds_mutants * sample_scale + s.seconds_mr + s.seconds_io) * region_scale / exposures;
    const double accounted = s.seconds_mutants + s.seconds_mr + s.seconds_io;
    fmt::print("model {} (L {}), {} threads: {} exposure(s) x {} regions x {} mutants x {} samples\n", model,
               length, threads, exposures, regions, s.mutants / std::max<int64_t>(1, s.exposures * regions),
               samples);
    fmt::print("  mutant batch {:.2f} s ({:.1f}%), MR fits + meta {:.3f} s ({:.2f}%), I/O + figures {:.3f} s "
               "({:.2f}%)\n",
               s.seconds_mutants, 100 * s.seconds_mutants / accounted, s.seconds_mr,
               100 * s.seconds_mr / accounted, s.seconds_io, 100 * s.seconds_io / accounted);
    const bool extrapolated = regions != 25 || samples != 50;
    fmt::print(
        "  {:.1f} s per exposure at 25 regions x 50 samples{}: {:.3f} exposures per minute\n", per_exposure,
        extrapolated ? fmt::format(" (extrapolated from {} region(s) x {} samples)", regions, samples) : "",
        60.0 / per_exposure);
    double load_after[3] = {0, 0, 0};
    getloadavg(load_after, 3);
    fmt::print("  load average (1 min) {:.2f} at the start, {:.2f} at the end\n", load_before[0],
               load_after[0]);
    return 0;
}
