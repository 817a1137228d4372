// Variant effect scoring from a VCF (causeway score-variants): each single-nucleotide variant scored by a
// sequence CNN in a model-length window of the reference genome, reference and alternate predictions under
// the same MC-dropout masks (seqcnn_mutant_batch), per task ref_prob, alt_prob, effect = mean_n [f(alt) -
// f(ref)], the paper's se and z = effect / se.
//
// Windows: with window_offset 0 every variant sits at index floor(L / 2) of its own window (start = pos0 -
// floor(L / 2), as `ism` centres a one-base region), and the variants at one position (multi-allelic
// records, repeated records) share that window and its reference pass: each score equals scoring the
// variant alone. With window_offset D > 0, the variants of a chromosome, in position order, are grouped
// greedily: a group starts at the first variant not yet placed, takes every later one within 2D bases of
// it, and its window is centred on floor((first + last) / 2), so each variant lies at most D bases off its
// window's centre and one reference pass serves the whole group (scores then depend on D).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace causeway {

// What happens to a variant whose window runs off its chromosome.
enum class VariantEdge { Pad, Skip };

struct ScoreVariantsOptions {
    std::string model, fasta, vcf, out = "-";
    std::vector<std::string> tasks; // empty: every task of the model
    int samples = 50;
    uint64_t seed = 0;
    bool reverse_complement = false;
    int window_offset = 0;
    VariantEdge edge = VariantEdge::Pad;
    // Skip (and count) variants whose REF disagrees with the genome or whose contig the FASTA lacks,
    // instead of failing.
    bool keep_going = false;
    // VCF output: 0 writes effect, se and z INFO fields for every task; K > 0 one INFO field listing each
    // allele's K tasks of largest |z| (|effect| when se = 0).
    int info_top = 0;
    std::string info_prefix = "CW"; // INFO keys: <prefix>_<task>_{EFFECT,SE,Z}, <prefix>_TOP, <prefix>_SKIP
};

struct ScoreVariantsSummary {
    int64_t records = 0; // VCF records read
    int64_t alleles = 0; // ALT alleles (a multi-allelic record counts once per allele)
    int64_t scored = 0;  // SNV alleles scored
    int64_t windows = 0; // reference windows (one reference pass per MC sample each)
    int64_t padded = 0;  // scored alleles whose window was padded with N at a chromosome end
    double seconds = 0;  // spent scoring (not reading or writing)
    // Skipped alleles by reason, and the first such allele (file:line or record, chrom:pos) of each.
    std::map<std::string, int64_t> skipped;
    std::map<std::string, std::string> first_skipped;
};

// The output's format from its name: "tsv" (.tsv, .tsv.gz, or "-" for stdout) or "vcf" (.vcf, .vcf.gz,
// .bcf); anything else is an error naming the file.
std::string score_variants_output_format(const std::string &path);

// Reads and checks every record (and the model, tasks and FASTA) before scoring any, then writes the
// output atomically: TSV `chrom pos id ref alt task ref_prob alt_prob effect se z` in input order (pos
// 1-based; z NA when se = 0, as with samples = 0), or the input VCF/BCF with INFO fields added to every
// scored allele and a <prefix>_SKIP reason on skipped ones, every input record kept.
ScoreVariantsSummary seqcnn_score_variants(const ScoreVariantsOptions &options);

} // namespace causeway
