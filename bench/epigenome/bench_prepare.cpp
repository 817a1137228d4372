// causeway prepare on full-genome tracks: by default 20,000 genes x 12 cell types x 6 marks (72 bigWigs)
// over GRCh38-sized chromosomes (chr1..chr22, chrX: 3.03 Gb), made once by simulate-epigenome into a data
// folder that later runs reuse. Target (issue 3): under a minute on the 2-core development machine.
//
//   bench_prepare [--data DIR] [--genes 20000] [--cells 12] [--genome-scale 1] [--threads 0]
//                 [--dense-files K] [--dense-reference] [benchmark flags]
//
// Reports wall time, genes, tracks, bigWig intervals decoded and their rate. The simulator's tracks are
// sparse; real ENCODE Imputation Challenge tracks hold a value every 25 bp (about 120 million intervals per
// genome). prepare_dense_chr1 measures one such track over chr1 with the same genes on one thread.
// With --dense-files K, prepare_dense measures the whole issue-sized case on dense tracks: the simulator's
// genes and expression, its 72 manifest rows, each a whole-genome track with a value every 25 bp written
// as UCSC's bedGraphToBigWig lays them out (1024 items per block, 256 per index node). Such a track takes
// 775 MB, so the rows share K distinct files round robin (K = 4: 3.1 GB, about 5 minutes to make); each
// row is still opened, indexed and decoded as a track of its own, but the shared files stay in the page
// cache, so disk reads are not measured. --dense-reference adds prepare_dense_reference: the same work
// through the per-region path prepare keeps as its reference (each region's intervals copied, sorted if
// need be, and binned window by window), with the same block decoding.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

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
    int dense_files = 0;
    bool dense_reference = false;
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

// Signal with a value every 25 bp over a whole chromosome, values in [0, 4) (random, so that it compresses
// about as badly as real -log10 p values do).
void dense_signal(const causeway::epigenome::ChromosomeLength &chrom, uint64_t &state,
                  std::vector<uint32_t> &starts, std::vector<uint32_t> &ends, std::vector<float> &values) {
    starts.clear();
    ends.clear();
    values.clear();
    for (uint32_t start = 0; start < chrom.length; start += 25) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        starts.push_back(start);
        ends.push_back(std::min(chrom.length, start + 25));
        values.push_back(static_cast<float>(state >> 40) / static_cast<float>(1 << 22));
    }
}

std::string dense_folder() {
    return fmt::format("{}/dense{}", data_folder(), bench.dense_files);
}

// K whole-genome dense tracks (zoom levels left out: prepare never reads them), and a manifest of the
// simulator's (cell type, mark) rows pointing at them round robin.
void make_dense_genome() {
    const std::string folder = dense_folder();
    if (exists(folder + "/tracks.tsv")) return; // written last: the folder is complete
    mkdir(folder.c_str(), 0777);
    causeway::epigenome::BigWigReader simulated(data_folder() + "/tracks/pluripotent_1.H3K4me3.bigWig");
    const auto chromosomes = simulated.chromosomes();
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    std::vector<std::string> errors(static_cast<size_t>(bench.dense_files));
    const int threads = bench.threads > 0 ? bench.threads : 2;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            std::vector<uint32_t> starts, ends;
            std::vector<float> values;
            for (int k = t; k < bench.dense_files; k += threads) try {
                    uint64_t state = 12345 + static_cast<uint64_t>(k);
                    causeway::epigenome::BigWigWriter writer(fmt::format("{}/dense_{}.bigWig", folder, k),
                                                             chromosomes, 0, 1024, 256);
                    for (auto &chrom : chromosomes) {
                        dense_signal(chrom, state, starts, ends, values);
                        writer.add(chrom.name, starts, ends, values);
                    }
                    writer.close();
                } catch (const std::exception &e) {
                    errors[static_cast<size_t>(k)] = e.what();
                }
        });
    for (auto &thread : pool) thread.join();
    for (auto &error : errors)
        if (!error.empty()) throw std::runtime_error(error);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print(stderr, "made {} dense whole-genome tracks in {:.1f} s: {}\n", bench.dense_files, seconds,
               folder);
    // The simulator's manifest, its paths replaced.
    std::FILE *in = std::fopen((data_folder() + "/tracks.tsv").c_str(), "r");
    std::FILE *out = std::fopen((folder + "/tracks.tsv.tmp").c_str(), "w");
    if (!in || !out) throw std::runtime_error("cannot copy the manifest into " + folder);
    char line[4096];
    for (int row = -1; std::fgets(line, sizeof line, in); ++row) {
        if (row < 0) {
            std::fputs(line, out);
            continue;
        }
        std::string text(line);
        size_t tab = text.find('\t', text.find('\t') + 1);
        std::fprintf(out, "%s\tdense_%d.bigWig\n", text.substr(0, tab).c_str(), row % bench.dense_files);
    }
    std::fclose(in);
    std::fclose(out);
    std::rename((folder + "/tracks.tsv.tmp").c_str(), (folder + "/tracks.tsv").c_str());
}

void prepare_dense(benchmark::State &state, bool reference) {
    const std::string folder = dense_folder();
    causeway::epigenome::PrepareOptions o;
    o.manifest = folder + "/tracks.tsv";
    o.annotation = data_folder() + "/genes.gtf";
    o.expression = data_folder() + "/tpm.tsv";
    o.out = folder + "/D.safetensors";
    o.threads = bench.threads;
    o.progress = false;
    o.reference_path = reference;
    causeway::epigenome::PrepareSummary summary;
    for (auto _ : state) summary = causeway::epigenome::prepare_dataset(o);
    state.counters["genes"] = static_cast<double>(summary.genes);
    state.counters["tracks"] = summary.cells * summary.marks;
    state.counters["intervals"] = static_cast<double>(summary.intervals_read);
    state.counters["intervals_per_s"] =
        benchmark::Counter(static_cast<double>(summary.intervals_read), benchmark::Counter::kIsRate);
}

void BM_prepare_dense(benchmark::State &state) {
    prepare_dense(state, false);
}
void BM_prepare_dense_reference(benchmark::State &state) {
    prepare_dense(state, true);
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
        else if (flag == "--dense-files" && has_value)
            bench.dense_files = std::atoi(argv[++i]);
        else if (flag == "--dense-reference")
            bench.dense_reference = true;
        else
            rest.push_back(argv[i]);
    }
    int rest_count = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_count, rest.data());
    try {
        make_data();
        make_dense_data();
        if (bench.dense_files > 0) make_dense_genome();
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
    if (bench.dense_files > 0)
        benchmark::RegisterBenchmark("prepare_dense", BM_prepare_dense)
            ->Iterations(1)
            ->UseRealTime()
            ->Unit(benchmark::kSecond)
            ->MeasureProcessCPUTime();
    if (bench.dense_files > 0 && bench.dense_reference)
        benchmark::RegisterBenchmark("prepare_dense_reference", BM_prepare_dense_reference)
            ->Iterations(1)
            ->UseRealTime()
            ->Unit(benchmark::kSecond)
            ->MeasureProcessCPUTime();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
