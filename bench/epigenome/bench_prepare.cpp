// causeway prepare on full-genome tracks: by default 20,000 genes x 12 cell types x 6 marks (72 bigWigs)
// over GRCh38-sized chromosomes (chr1..chr22, chrX: 3.03 Gb), made once by simulate-epigenome into a data
// folder that later runs reuse. Target (issue 3): under a minute on the 2-core development machine.
//
//   bench_prepare [--data DIR] [--genes 20000] [--cells 12] [--genome-scale 1] [--threads 0] [benchmark
//   flags]
//
// Reports wall time, genes, tracks, bigWig intervals decoded and their rate. Real ENCODE Imputation
// Challenge tracks hold a value every 25 bp (about 120 million intervals per genome), far more than the
// simulator writes; prepare_dense_chr1 measures one such track over chr1 (every 25 bp base a new value)
// with the same genes, so that the figure can be carried over to 72 real tracks.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/stat.h>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "causeway/epigenome/bigwig.h"
#include "causeway/epigenome/prepare.h"
#include "causeway/epigenome/simulate.h"

namespace {

struct BenchOptions {
    std::string data = "epigenome_bench_data";
    int genes = 20000, cells = 12, threads = 0;
    double genome_scale = 1.0;
};
BenchOptions bench;

bool exists(const std::string &path) {
    struct stat info {};
    return stat(path.c_str(), &info) == 0;
}

// The data folder is keyed by its parameters, so that a run with other ones never reuses stale tracks.
std::string data_folder() {
    return fmt::format("{}/genes{}_cells{}_scale{}", bench.data, bench.genes, bench.cells,
                       bench.genome_scale);
}

void make_data() {
    const std::string folder = data_folder();
    if (exists(folder + "/truth.json")) return; // written last: the folder is complete
    mkdir(bench.data.c_str(), 0777);
    causeway::epigenome::SimulateOptions o;
    o.out_dir = folder;
    o.genes = bench.genes;
    o.cells = bench.cells;
    o.genome_scale = bench.genome_scale;
    o.threads = bench.threads;
    auto start = std::chrono::steady_clock::now();
    auto summary = causeway::epigenome::simulate_epigenome(o);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "made {} tracks ({} intervals) over a {:.2f} Gb genome in {:.1f} s: {}\n",
               summary.tracks, summary.intervals, summary.genome_length / 1e9, seconds, folder);
}

// One dense track over chr1 (a new value every 25 bp, as the Imputation Challenge tracks), the genes of
// chr1, and a one-column expression table.
void make_dense_data() {
    const std::string folder = data_folder() + "/dense";
    if (exists(folder + "/tracks.tsv")) return;
    mkdir(folder.c_str(), 0777);
    causeway::epigenome::BigWigReader simulated(data_folder() + "/tracks/pluripotent_1.H3K4me3.bigWig");
    const causeway::epigenome::ChromosomeLength chr1 = simulated.chromosomes()[0];
    causeway::epigenome::BigWigWriter writer(folder + "/dense.bigWig", {chr1});
    std::vector<uint32_t> starts, ends;
    std::vector<float> values;
    uint64_t state = 12345;
    for (uint32_t start = 0; start < chr1.length; start += 25) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        starts.push_back(start);
        ends.push_back(std::min(chr1.length, start + 25));
        values.push_back(static_cast<float>(state >> 40) / static_cast<float>(1 << 22));
    }
    writer.add(chr1.name, starts, ends, values);
    writer.close();
    std::FILE *table = std::fopen((folder + "/tpm.tsv").c_str(), "w");
    std::fprintf(table, "gene_id\tdense\n");
    for (int g = 1; g <= bench.genes; ++g) std::fprintf(table, "SIMG%06d\t1\n", g);
    std::fclose(table);
    std::FILE *manifest = std::fopen((folder + "/tracks.tsv").c_str(), "w");
    std::fprintf(manifest, "cell_type\tmark\tpath\ndense\tH3K4me3\tdense.bigWig\n");
    std::fclose(manifest);
}

void BM_prepare_dense_chr1(benchmark::State &state) {
    const std::string folder = data_folder() + "/dense";
    causeway::epigenome::PrepareOptions o;
    o.manifest = folder + "/tracks.tsv";
    o.annotation = data_folder() + "/genes.gtf";
    o.expression = folder + "/tpm.tsv";
    o.out = folder + "/D.safetensors";
    o.chroms = {"chr1"};
    o.marks = {"H3K4me3"};
    o.threads = 1;
    o.progress = false;
    causeway::epigenome::PrepareSummary summary;
    for (auto _ : state) summary = causeway::epigenome::prepare_dataset(o);
    state.counters["genes"] = static_cast<double>(summary.genes);
    state.counters["intervals"] = static_cast<double>(summary.intervals_read);
    state.counters["intervals_per_s"] =
        benchmark::Counter(static_cast<double>(summary.intervals_read), benchmark::Counter::kIsRate);
}

void BM_prepare(benchmark::State &state) {
    const std::string folder = data_folder();
    causeway::epigenome::PrepareOptions o;
    o.manifest = folder + "/tracks.tsv";
    o.annotation = folder + "/genes.gtf";
    o.expression = folder + "/tpm.tsv";
    o.out = folder + "/D.safetensors";
    o.threads = bench.threads;
    o.progress = false;
    causeway::epigenome::PrepareSummary summary;
    for (auto _ : state) summary = causeway::epigenome::prepare_dataset(o);
    state.counters["genes"] = static_cast<double>(summary.genes);
    state.counters["tracks"] = summary.cells * summary.marks;
    state.counters["intervals"] = static_cast<double>(summary.intervals_read);
    state.counters["intervals_per_s"] =
        benchmark::Counter(static_cast<double>(summary.intervals_read), benchmark::Counter::kIsRate);
}

} // namespace

int main(int argc, char **argv) {
    // Our flags first; the rest go to Google Benchmark.
    std::vector<char *> rest = {argv[0]};
    for (int i = 1; i < argc; ++i) {
        std::string flag = argv[i];
        bool has_value = i + 1 < argc;
        if (flag == "--data" && has_value)
            bench.data = argv[++i];
        else if (flag == "--genes" && has_value)
            bench.genes = std::atoi(argv[++i]);
        else if (flag == "--cells" && has_value)
            bench.cells = std::atoi(argv[++i]);
        else if (flag == "--genome-scale" && has_value)
            bench.genome_scale = std::atof(argv[++i]);
        else if (flag == "--threads" && has_value)
            bench.threads = std::atoi(argv[++i]);
        else
            rest.push_back(argv[i]);
    }
    int rest_count = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_count, rest.data());
    try {
        make_data();
        make_dense_data();
    } catch (const std::exception &e) {
        fmt::print(stderr, "bench_prepare: {}\n", e.what());
        return 1;
    }
    benchmark::RegisterBenchmark("prepare", BM_prepare)
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kSecond)
        ->MeasureProcessCPUTime();
    benchmark::RegisterBenchmark("prepare_dense_chr1", BM_prepare_dense_chr1)
        ->Iterations(1)
        ->UseRealTime()
        ->Unit(benchmark::kSecond)
        ->MeasureProcessCPUTime();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
