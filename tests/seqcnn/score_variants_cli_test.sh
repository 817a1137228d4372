#!/bin/bash
# causeway score-variants from the command line: help and defaults, every bad input (a clear message
# naming the file and line, exit 1, no output left behind), --keep-going, and determinism. Numerical
# agreement with a direct computation is test_seqcnn_variants'.
# Usage: score_variants_cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
model=$root/tests/seqcnn/fixtures/relu_same_dense3.model.safetensors # L = 37
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"

# A genome of ACGT repeats (chr1 has an N at 0-based 37), and its faidx index written by hand (name,
# length, offset of the first base, bases per line, bytes per line). 0-based x holds "ACGT"[x % 4].
bases() { head -c "$1" /dev/zero | tr '\0' 'A' | sed 's/AAAA/ACGT/g; s/AC/AN/10'; }
printf '>chr1\n%s\n>2\n%s\n' "$(bases 100)" "$(bases 60)" >"$work/genome.fa"
printf 'chr1\t100\t6\t100\t101\n2\t60\t110\t60\t61\n' >"$work/genome.fa.fai"
header='##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n'
# 1:50 is C, chr2:30 is C, 1:20 is T.
printf "$header"'1\t50\trs1\tC\tT,G\t.\tPASS\t.\nchr2\t30\trs2\tC\tA\t.\t.\t.\n1\t20\t.\tTA\tT\t.\t.\t.\n' \
    >"$work/variants.vcf"
score() { run "$1" "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" \
    --tasks 'cell0|factor0,cell1|factor4' --out "$work/scores.tsv" "${@:2}"; }
no_output() { [ ! -e "$work/scores.tsv" ] || fail "output left behind after an error"
    [ -z "$(ls -a "$work" | grep -i scores)" ] || fail "temporary files left: $(ls -a "$work")"; }
# bad_vcf LINE MESSAGE...: a VCF whose fourth line (the second record) is LINE fails with each MESSAGE
# and leaves nothing.
bad_vcf() {
    printf "$header"'1\t50\t.\tC\tT\t.\t.\t.\n%b\n1\t61\t.\tA\tG\t.\t.\t.\n' "$1" >"$work/bad.vcf"
    score 1 --vcf "$work/bad.vcf"
    shift
    for message in "$@"; do contains "$work/err" "$message"; done
    contains "$work/err" "causeway score-variants: "
    no_output
}

case $case_name in
usage)
    run 0 "$causeway" --help
    contains "$work/out" "score-variants"
    run 0 "$causeway" score-variants --help
    for text in --reverse-complement --keep-going "--window-offset INT=0" "--samples INT:INT in [0 - 100000]=50" \
        "--edge TEXT:{pad,skip}=pad" "indels, MNPs" "symbolic alleles" "skipped and counted by reason" \
        ".tsv / .tsv.gz" ".vcf / .vcf.gz / .bcf"; do
        contains "$work/out" "$text"
    done
    run 1 "$causeway" score-variants --model "$model"
    contains "$work/err" "is required"
    ;;
bad_input)
    # The good run first, so that each failure below is the input's: 3 alleles x 2 tasks.
    score 0 --vcf "$work/variants.vcf" --samples 2
    [ "$(wc -l <"$work/scores.tsv")" -eq 7 ] || fail "expected 6 rows: $(cat "$work/scores.tsv")"
    rm "$work/scores.tsv"
    bad_vcf '1\t30\trsX\tG\tA\t.\t.\t.' "REF G does not match the genome's C at chr1:30" "$work/bad.vcf:4 (1:30)"
    bad_vcf '1\t100\t.\tAC\tA\t.\t.\t.' "REF AC runs past the end of chr1" "$work/bad.vcf:4 (1:100)"
    bad_vcf 'chrZ\t10\t.\tA\tG\t.\t.\t.' "contig 'chrZ' is not in $work/genome.fa" "$work/bad.vcf:4 (chrZ:10)"
    bad_vcf '1\tabc\t.\tA\tG\t.\t.\t.' "malformed VCF record" "$work/bad.vcf:4"
    bad_vcf '1\t30' "malformed VCF record" "$work/bad.vcf:4"
    # --keep-going: the REF mismatch and the missing contig skipped, counted, the rest scored.
    printf "$header"'1\t50\t.\tC\tT\t.\t.\t.\n1\t30\t.\tG\tA\t.\t.\t.\nchrZ\t3\t.\tA\tG\t.\t.\t.\n' >"$work/mixed.vcf"
    unset CAUSEWAY_QUIET
    score 0 --vcf "$work/mixed.vcf" --keep-going
    contains "$work/err" "skipped 1 (REF does not match the FASTA), the first at $work/mixed.vcf:4 (1:30)"
    contains "$work/err" "skipped 1 (contig not in the FASTA), the first at $work/mixed.vcf:5 (chrZ:3)"
    [ "$(wc -l <"$work/scores.tsv")" -eq 3 ] || fail "expected 2 rows with --keep-going"
    rm "$work/scores.tsv"
    export CAUSEWAY_QUIET=1
    printf 'chr1\t10\t20\n' >"$work/regions.bed"
    score 1 --vcf "$work/regions.bed"
    contains "$work/err" "not a VCF or BCF file"
    no_output
    score 1 --vcf "$work/missing.vcf"
    contains "$work/err" "cannot open $work/missing.vcf"
    no_output
    run 1 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf "$work/variants.vcf" \
        --tasks 'cell0|factor0,bogus' --out "$work/scores.tsv"
    contains "$work/err" "unknown task 'bogus'; the model's 5 tasks: cell0|factor0, cell1|factor1"
    no_output
    run 1 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf "$work/variants.vcf" \
        --out "$work/scores.txt"
    contains "$work/err" "cannot tell the output format from the name"
    [ ! -e "$work/scores.txt" ] || fail "output left behind"
    run 1 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf - \
        --out "$work/scores.vcf" <"$work/variants.vcf"
    contains "$work/err" "VCF output reads the input twice"
    # A failure while writing the VCF (a key the input already declares) leaves nothing either.
    printf '##fileformat=VCFv4.2\n##INFO=<ID=CW_SKIP,Number=1,Type=String,Description="x">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t50\t.\tC\tT\t.\t.\t.\n' \
        >"$work/scored_before.vcf"
    run 1 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf "$work/scored_before.vcf" \
        --out "$work/scores.vcf.gz" --samples 1
    contains "$work/err" "the input already declares INFO/CW_SKIP"
    [ -z "$(ls -a "$work" | grep scores)" ] || fail "output left behind: $(ls -a "$work")"
    run 0 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf "$work/scored_before.vcf" \
        --out "$work/scores.vcf.gz" --samples 1 --info-prefix CW2
    rm "$work/scores.vcf.gz"
    mv "$work/genome.fa.fai" "$work/index"
    score 1 --vcf "$work/variants.vcf"
    contains "$work/err" "the FASTA has no index $work/genome.fa.fai"
    no_output
    ;;
determinism)
    # --samples 0: dropout off, se exactly 0 and z NA; the same seed gives the same bytes, another seed
    # others; stdin reads as a file does.
    score 0 --vcf "$work/variants.vcf" --samples 0
    awk -F'\t' 'NR > 1 && ($10 != 0 || $11 != "NA") { bad = 1 } END { exit bad }' "$work/scores.tsv" ||
        fail "se not 0 or z not NA"
    for run_name in a b; do
        score 0 --vcf "$work/variants.vcf" --samples 3 --seed 7
        mv "$work/scores.tsv" "$work/$run_name.tsv"
    done
    cmp -s "$work/a.tsv" "$work/b.tsv" || fail "same seed, different output"
    score 0 --vcf "$work/variants.vcf" --samples 3 --seed 8
    cmp -s "$work/a.tsv" "$work/scores.tsv" && fail "different seeds, same output"
    run 0 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf - --out - \
        --tasks 'cell0|factor0,cell1|factor4' --samples 3 --seed 7 <"$work/variants.vcf"
    cmp -s "$work/a.tsv" "$work/out" || fail "stdin/stdout differ from files"
    for run_name in a b; do
        run 0 "$causeway" score-variants --model "$model" --fasta "$work/genome.fa" --vcf "$work/variants.vcf" \
            --samples 2 --seed 7 --out "$work/$run_name.vcf.gz"
    done
    cmp -s "$work/a.vcf.gz" "$work/b.vcf.gz" || fail "same seed, different VCF output"
    # The summary reports throughput and the skipped indel.
    unset CAUSEWAY_QUIET
    score 0 --vcf "$work/variants.vcf" --samples 1
    contains "$work/err" "variants/s"
    contains "$work/err" "skipped 1 (indel), the first at $work/variants.vcf:5 (1:20)"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
