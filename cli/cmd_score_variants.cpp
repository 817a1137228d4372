// causeway score-variants: effects of a VCF's single-nucleotide variants on a sequence CNN's tasks, with
// shared-mask MC-dropout standard errors (seqcnn_variants.h).
#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "causeway/pecnn_model.h" // split_list
#include "causeway/seqcnn_variants.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct ScoreVariantsCliOptions {
    ScoreVariantsOptions score;
    std::string tasks, edge = "pad";
    int threads = 0;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<ScoreVariantsCliOptions>();
    app.add_option("-m,--model", o->score.model, "Model file (safetensors, architecture seqcnn)")->required();
    app.add_option("-f,--fasta", o->score.fasta,
                   "Genome FASTA, plain or bgzip, indexed (.fai; .gzi for bgzip: samtools faidx); chr1 and 1 "
                   "match the VCF's names")
        ->required();
    app.add_option("-v,--vcf", o->score.vcf,
                   "Variants: VCF (plain or bgzip) or BCF, index not needed; - for stdin (TSV output only). "
                   "Multi-allelic records are split per ALT allele. Only SNVs are scored: indels, MNPs, "
                   "symbolic alleles (<DEL>, *, breakends) and N alleles are skipped and counted by reason")
        ->required();
    app.add_option(
        "-o,--out", o->score.out,
        "Output, its format chosen by the name: .tsv / .tsv.gz (chrom pos id ref alt task ref_prob "
        "alt_prob effect se z; pos 1-based) or .vcf / .vcf.gz / .bcf (the input with INFO fields "
        "added, every record kept); - for TSV on stdout");
    app.add_option("--tasks", o->tasks, "Comma-separated task names, as in the model (default: every task)");
    app.add_option(
           "-n,--samples", o->score.samples,
           "MC-dropout samples, one mask per sample shared by the reference and alternate; 0: dropout "
           "off, se = 0 and z = NA")
        ->check(CLI::Range(0, 100000));
    app.add_option("--seed", o->score.seed, "Seed of the dropout masks");
    app.add_flag("--reverse-complement", o->score.reverse_complement,
                 "Average each prediction with the reverse complement's (same mask on both strands)");
    app.add_option("--window-offset", o->score.window_offset,
                   "0: each variant at the centre of its own window (variants at one position share it); D: "
                   "variants within 2D bases share one window and its reference pass, each at most D bases "
                   "off its centre");
    app.add_option("--edge", o->edge,
                   "Variants whose window runs off a chromosome end: pad (the outside reads as N, all-zero "
                   "one-hot) or skip (counted)")
        ->check(CLI::IsMember({"pad", "skip"}));
    app.add_flag("--keep-going", o->score.keep_going,
                 "Skip and count records whose REF disagrees with the FASTA or whose contig it lacks, "
                 "instead of failing");
    app.add_option("--info-top", o->score.info_top,
                   "VCF output: 0 adds <prefix>_<task>_EFFECT/_SE/_Z per task; K adds one <prefix>_TOP field "
                   "with each allele's K tasks of largest |z|");
    app.add_option("--info-prefix", o->score.info_prefix, "VCF output: prefix of the INFO keys added");
    add_threads_option(app, o->threads);
    return [o]() {
        apply_threads(o->threads);
        o->score.tasks = split_list(o->tasks);
        o->score.edge = o->edge == "skip" ? VariantEdge::Skip : VariantEdge::Pad;
        const ScoreVariantsSummary s = seqcnn_score_variants(o->score);
        if (std::getenv("CAUSEWAY_QUIET") == nullptr) {
            const double seconds = std::max(s.seconds, 1e-9);
            fmt::print(
                stderr,
                "causeway score-variants: {} records, {} ALT alleles; {} scored in {} windows ({} padded "
                "with N) x {} samples in {:.3f} s: {:.1f} variants/s\n",
                s.records, s.alleles, s.scored, s.windows, s.padded, o->score.samples, s.seconds,
                s.scored / seconds);
            for (const auto &[reason, count] : s.skipped)
                fmt::print(stderr, "causeway score-variants: skipped {} ({}), the first at {}\n", count,
                           reason, s.first_skipped.at(reason));
        }
        return 0;
    };
}

const CommandRegistrar registrar{
    {"score-variants", "Sequence models", 51,
     "Effects of a VCF's SNVs on a sequence model's tasks, with MC-dropout se and z", setup}};

} // namespace
} // namespace causeway::cli
