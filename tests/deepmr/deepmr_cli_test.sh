#!/bin/bash
# causeway simulate-genome and causeway deepmr from the command line: help with live defaults, bad input (a
# clear message naming the file and line or task, exit 1, no tables left behind), determinism (same seed,
# same bytes; a resumed run the same bytes as a fresh one). Numerical agreement is test_deepmr's.
# Usage: deepmr_cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
model=$root/tests/seqcnn/fixtures/relu_same_dense3.model.safetensors # L = 37, dropout, 5 tasks
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"

# A small world whose first three TFs are renamed to three of the fixture model's tasks.
world() {
    run 0 "$causeway" simulate-genome --out "$work/world" --regions 300 --length 60 --tfs 3 --seed "${1:-4}"
    sed -i '1s/.*/region\tcell0|factor0\tcell1|factor1\tcell2|factor2\tcell0|factor3/' "$work/world/labels.tsv"
}
deepmr() {
    run "$1" "$causeway" deepmr --model "$model" --fasta "$work/world/genome.fa" \
        --regions "$work/world/regions.bed" --labels "$work/world/labels.tsv" \
        --exposures 'cell0|factor0,cell1|factor1' --outcome 'cell0|factor3' --regions-per-exposure 4 \
        --samples "${samples:-5}" --seed "${seed:-3}" --naive-regions 50 "${@:2}"
}

case $case_name in
usage)
    run 0 "$causeway" --help
    contains "$work/out" "simulate-genome"
    contains "$work/out" "deepmr"
    run 0 "$causeway" deepmr --help
    contains "$work/out" "--regions-per-exposure INT:INT in [3 - 1000000]=25"
    contains "$work/out" "--samples INT:INT in [2 - 100000]=50"
    contains "$work/out" "--mr TEXT=egger"
    contains "$work/out" "--meta TEXT=reml"
    contains "$work/out" "--min-beta-exposure FLOAT:FLOAT in [0 - 1]=0.01"
    run 0 "$causeway" simulate-genome --help
    contains "$work/out" "--regions INT:INT in [2 - 10000000]=20000"
    contains "$work/out" "--tfs"
    run 1 "$causeway" deepmr --model "$model"
    contains "$work/err" "is required"
    ;;
bad_input)
    world
    deepmr 0 --out "$work/good"
    [ -s "$work/good/exposures.tsv" ] || fail "no exposures.tsv"
    deepmr 1 --out "$work/bad" --mr bogus
    contains "$work/err" "bogus"
    deepmr 1 --out "$work/bad" --meta xx
    contains "$work/err" "xx"
    deepmr 1 --out "$work/bad" --min-beta-exposure 1
    contains "$work/err" "--min-beta-exposure must be in [0, 1), not 1"
    run 1 "$causeway" deepmr --model "$model" --fasta "$work/world/genome.fa" --regions "$work/world/regions.bed" \
        --labels "$work/world/labels.tsv" --exposures 'cell0|factor0,TF9' --outcome 'cell0|factor3' --out "$work/bad"
    contains "$work/err" "causeway deepmr: "
    contains "$work/err" "TF9"
    printf 'region\tcell0|factor0\tcell1|factor1\tcell0|factor3\nr000001\t1\t0\t1\nr000002\tyes\t0\t1\n' \
        >"$work/bad_labels.tsv"
    run 1 "$causeway" deepmr --model "$model" --fasta "$work/world/genome.fa" --regions "$work/world/regions.bed" \
        --labels "$work/bad_labels.tsv" --exposures 'cell0|factor0,cell1|factor1' --outcome 'cell0|factor3' \
        --out "$work/bad"
    contains "$work/err" "$work/bad_labels.tsv:3"
    [ ! -e "$work/bad/exposures.tsv" ] || fail "a table was left behind after an error"
    # Resuming with other settings is refused, not mixed.
    samples=6 deepmr 1 --out "$work/good"
    contains "$work/err" "settings.json"
    ;;
determinism)
    world 4
    cp -r "$work/world" "$work/world_a"
    world 4
    # --out a/b/c with a/ missing: the parents are created, and the world is the same.
    run 0 "$causeway" simulate-genome --out "$work/nested/a/world" --regions 300 --length 60 --tfs 3 --seed 4
    for f in genome.fa genome.fa.fai regions.bed labels.tsv truth.json; do
        cmp -s "$work/world/$f" "$work/world_a/$f" || fail "simulate-genome: $f differs for the same seed"
        # (world() renamed the label table's header; the rows must agree)
        cmp -s <(sed 1d "$work/nested/a/world/$f") <(sed 1d "$work/world_a/$f") ||
            fail "simulate-genome --out a/b/c: $f differs"
    done
    deepmr 0 --out "$work/a"
    deepmr 0 --out "$work/b"
    # An interrupted run: half the work files gone, no tables; it resumes to the same bytes.
    rm -f "$work/b"/*.tsv "$work/b"/*.gz "$work/b"/summary.md
    find "$work/b/work" -name '*.tsv' | sort | awk 'NR % 2' | xargs rm -f
    deepmr 0 --out "$work/b"
    for f in exposures.tsv regions.tsv naive.tsv effects.tsv.gz summary.md; do
        cmp -s "$work/a/$f" "$work/b/$f" || fail "$f differs between a fresh and a resumed run"
    done
    seed=4 deepmr 0 --out "$work/c"
    cmp -s "$work/a/effects.tsv.gz" "$work/c/effects.tsv.gz" && fail "another seed gave the same effects"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
