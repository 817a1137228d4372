#!/bin/bash
# causeway ism from the command line: help and defaults, every bad input (a clear message naming the file
# and line, exit 1, no output left behind), and determinism. Numerical agreement with a direct computation
# is test_seqcnn_ism's.
# Usage: ism_cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
model=$root/tests/seqcnn/fixtures/relu_same_dense3.model.safetensors # L = 37
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"

# A genome of two chromosomes on one line each, and its faidx index written by hand (name, length, offset
# of the first base, bases per line, bytes per line).
bases() { head -c "$1" /dev/zero | tr '\0' 'A' | sed 's/AAAA/ACGT/g; s/AC/AN/10'; }
printf '>chr1\n%s\n>2\n%s\n>short\n%s\n' "$(bases 100)" "$(bases 60)" "$(bases 30)" >"$work/genome.fa"
printf 'chr1\t100\t6\t100\t101\n2\t60\t110\t60\t61\nshort\t30\t178\t30\t31\n' >"$work/genome.fa.fai"
printf 'chr1\t40\t50\tpeakA\n1\t50\t52\n' >"$work/regions.bed"
ism() { run "$1" "$causeway" ism --model "$model" --fasta "$work/genome.fa" --tasks 'cell0|factor0' \
    --out "$work/effects.tsv" "${@:2}"; }
no_output() { [ ! -e "$work/effects.tsv" ] || fail "output left behind after an error"
    [ -z "$(ls -a "$work" | grep -i effects)" ] || fail "temporary files left: $(ls -a "$work")"; }
# bad_bed LINE MESSAGE...: a region file whose third line is LINE fails with each MESSAGE and leaves nothing.
bad_bed() {
    printf 'chr1\t40\t50\n# a comment\n%b\n' "$1" >"$work/bad.bed"
    ism 1 --regions "$work/bad.bed"
    shift
    for message in "$@"; do contains "$work/err" "$message"; done
    contains "$work/err" "causeway ism: "
    no_output
}

case $case_name in
usage)
    run 0 "$causeway" --help
    contains "$work/out" "Sequence models"
    contains "$work/out" "ism"
    run 0 "$causeway" ism --help
    contains "$work/out" "--reverse-complement"
    contains "$work/out" "resized to the model's sequence length around its"
    contains "$work/out" "--samples INT:INT in [0 - 100000]=50"
    run 1 "$causeway" ism --model "$model"
    contains "$work/err" "is required"
    ;;
bad_input)
    # The good run first, so that each failure below is the input's.
    ism 0 --regions "$work/regions.bed" --samples 2
    [ "$(wc -l <"$work/effects.tsv")" -gt 100 ] || fail "too few rows"
    # Every run to a file leaves its manifest beside the table (a failed run leaves neither: no_output).
    rm "$work/effects.tsv" "$work/effects.tsv.manifest.json"
    bad_bed 'chr1\t0\t10' "region chr1:0-10 resized to the model's 37 bases (chr1:-13-24) runs off chr1" \
        "$work/bad.bed:3"
    bad_bed 'chr1\t95\t100' "runs off chr1 (length 100)" "$work/bad.bed:3"
    # The model's window is longer than this chromosome.
    bad_bed 'short\t10\t20' "runs off short (length 30)" "$work/bad.bed:3"
    bad_bed 'chrZ\t10\t20' "chromosome 'chrZ' is not in $work/genome.fa" "$work/bad.bed:3"
    bad_bed 'chr1\tabc\t20' "malformed BED line" "$work/bad.bed:3"
    bad_bed 'chr1\t30' "malformed BED line" "$work/bad.bed:3"
    bad_bed 'chr1\t50\t40' "malformed BED line" "$work/bad.bed:3"
    ism 1 --regions "$work/missing.bed"
    contains "$work/err" "cannot open $work/missing.bed"
    no_output
    run 1 "$causeway" ism --model "$model" --fasta "$work/genome.fa" --regions "$work/regions.bed" \
        --tasks 'cell0|factor0,bogus' --out "$work/effects.tsv"
    contains "$work/err" "unknown task 'bogus'; the model's 5 tasks: cell0|factor0, cell1|factor1, cell2|factor2"
    no_output
    mv "$work/genome.fa.fai" "$work/index"
    ism 1 --regions "$work/regions.bed"
    contains "$work/err" "the FASTA has no index $work/genome.fa.fai"
    no_output
    mv "$work/index" "$work/genome.fa.fai"
    run 1 "$causeway" ism --model "$model" --fasta "$work/nothing.fa" --regions "$work/regions.bed" \
        --tasks 'cell0|factor0' --out "$work/effects.tsv"
    contains "$work/err" "cannot open $work/nothing.fa"
    no_output
    ;;
determinism)
    # --samples 0: dropout off, se exactly 0; the same seed gives the same bytes, another seed others.
    ism 0 --regions "$work/regions.bed" --samples 0
    awk -F'\t' 'NR > 1 && $7 != 0 { bad = 1 } END { exit bad }' "$work/effects.tsv" || fail "se not 0"
    head -1 "$work/effects.tsv" | grep -qx $'region\tposition\tref\talt\ttask\tbeta\tse' || fail "header"
    awk -F'\t' 'NR > 1 && $1 == "1:50-52" && $2 == 37 { bad = 1 } END { exit bad }' "$work/effects.tsv" ||
        fail "the N at 37 was mutated"
    gzip -c "$work/regions.bed" >"$work/regions.bed.gz"
    for run_name in a b; do
        ism 0 --regions "$work/regions.bed.gz" --samples 3 --seed 7
        mv "$work/effects.tsv" "$work/$run_name.tsv"
    done
    cmp -s "$work/a.tsv" "$work/b.tsv" || fail "same seed, different output"
    ism 0 --regions "$work/regions.bed" --samples 3 --seed 8
    cmp -s "$work/a.tsv" "$work/effects.tsv" && fail "different seeds, same output"
    # The summary reports throughput.
    unset CAUSEWAY_QUIET
    ism 0 --regions "$work/regions.bed" --samples 1
    contains "$work/err" "sequences/s"
    contains "$work/err" "mutants/s"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
