#!/bin/bash
# End-to-end tests of `causeway prepare` and `causeway simulate-epigenome`: usage conventions, the
# simulate -> prepare -> predict chain, determinism (same seed, same bytes), notes and errors on stderr
# (exit 1, no output left behind).
# Usage: cli_test.sh CASE CAUSEWAY_BINARY
set -u
case_name=$1
causeway=$2
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"
# only_files DIR NAME...: DIR holds exactly these names (none: it is empty)
only_files() {
    local dir=$1
    shift
    local got want
    got=$(ls -A "$dir" | sort | tr '\n' ' ')
    want=""
    [ $# -gt 0 ] && want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    [ "$got" = "$want" ] || fail "$dir holds '$got', expected '$want'"
}

case $case_name in
usage)
    run 0 "$causeway" --help
    contains "$work/out" "Epigenome data:"
    contains "$work/out" "prepare"
    contains "$work/out" "simulate-epigenome"
    run 0 "$causeway" help prepare
    contains "$work/out" "--manifest"
    run 0 "$causeway" prepare --help
    contains "$work/out" "--window INT:INT in [1 - 10000000]=10000"
    contains "$work/out" "--bin-size INT:INT in [1 - 10000000]=100"
    contains "$work/out" "--impute TEXT:{none,mean-of-cells}=none"
    contains "$work/out" "--marks TEXT=H3K36me3,H3K27me3,H3K27ac,H3K4me1,H3K4me3,H3K9me3"
    run 0 "$causeway" simulate-epigenome --help
    contains "$work/out" "--genes INT:INT in [1 - 1000000]=4000"
    contains "$work/out" "--cells INT:INT in [1 - 1000]=12"
    run 1 "$causeway" prepare --manifest x
    contains "$work/err" "causeway prepare:"
    contains "$work/err" "Usage: causeway prepare"
    run 1 "$causeway" prepare --manifest a --genes b --expression c --out d --impute zero
    contains "$work/err" "--impute"
    run 1 "$causeway" simulate-epigenome
    contains "$work/err" "--out is required"
    run 1 "$causeway" simulate-epigenome --out "$work/s" --genes 0
    contains "$work/err" "--genes"
    ;;
round_trip)
    # Simulate twice with one seed and once with another; prepare; the core's predict reads the result.
    run 0 "$causeway" simulate-epigenome --out "$work/a" --genes 150 --cells 3 --seed 5
    run 0 "$causeway" simulate-epigenome --out "$work/b" --genes 150 --cells 3 --seed 5 --threads 1
    run 0 "$causeway" simulate-epigenome --out "$work/c" --genes 150 --cells 3 --seed 6
    diff -r "$work/a" "$work/b" >/dev/null || fail "same seed, different bytes"
    cmp -s "$work/a/tpm.tsv" "$work/c/tpm.tsv" && fail "another seed, same expression"
    only_files "$work/a" genes.gtf genome.chrom.sizes tpm.tsv tracks tracks.tsv truth.json
    [ "$(ls "$work/a/tracks" | wc -l)" -eq 18 ] || fail "expected 18 bigWigs"
    [ "$(head -1 "$work/a/tracks.tsv")" = $'cell_type\tmark\tpath' ] || fail "tracks.tsv header"
    [ "$(head -1 "$work/a/tpm.tsv")" = $'gene_id\tpluripotent_1\tsomatic_1\tblood_1' ] || fail "tpm.tsv header"
    run 0 "$causeway" prepare --manifest "$work/a/tracks.tsv" --genes "$work/a/genes.gtf" \
        --expression "$work/a/tpm.tsv" --out "$work/D.safetensors"
    (cd "$work/b" && "$causeway" prepare --manifest tracks.tsv --genes genes.gtf --expression tpm.tsv \
        --out "$work/E.safetensors" --threads 1) 2>"$work/err" || fail "prepare from the folder: $(cat "$work/err")"
    cmp -s "$work/D.genes.tsv" "$work/E.genes.tsv" || fail "gene tables differ"
    [ "$(wc -l <"$work/D.genes.tsv")" -eq 151 ] || fail "expected 150 genes"
    [ "$(head -1 "$work/D.genes.tsv")" = $'gene_id\tchrom\ttss\tstrand' ] || fail "gene table header"
    run 0 "$causeway" init-model --out "$work/m.safetensors"
    run 0 "$causeway" predict --model "$work/m.safetensors" --dataset "$work/D.safetensors" --out "$work/p.tsv"
    [ "$(wc -l <"$work/p.tsv")" -eq 451 ] || fail "expected 150 x 3 predictions"
    ;;
errors)
    run 0 "$causeway" simulate-epigenome --out "$work/s" --genes 40 --cells 2 --seed 3
    s=$work/s
    mkdir "$work/o"
    run 1 "$causeway" prepare --manifest "$s/nope.tsv" --genes "$s/genes.gtf" --expression "$s/tpm.tsv" \
        --out "$work/o/D.safetensors"
    contains "$work/err" "causeway prepare: cannot open $s/nope.tsv"
    only_files "$work/o"
    sed '3s/\t[0-9.]*$/\tabc/' "$s/tpm.tsv" >"$s/bad.tsv"
    run 1 "$causeway" prepare --manifest "$s/tracks.tsv" --genes "$s/genes.gtf" --expression "$s/bad.tsv" \
        --out "$work/o/D.safetensors"
    contains "$work/err" "causeway prepare: non-numeric TPM: column 'somatic_1' ('abc') at $s/bad.tsv:3"
    only_files "$work/o"
    head -c 3000 "$s/tracks/somatic_1.H3K27ac.bigWig" >"$s/cut.bw"
    sed 's|tracks/somatic_1.H3K27ac.bigWig|cut.bw|' "$s/tracks.tsv" >"$s/cut.tsv"
    run 1 "$causeway" prepare --manifest "$s/cut.tsv" --genes "$s/genes.gtf" --expression "$s/tpm.tsv" \
        --out "$work/o/D.safetensors"
    contains "$work/err" "causeway prepare: track somatic_1 H3K27ac ($s/cut.bw, manifest line 10)"
    contains "$work/err" "truncated or corrupt bigWig"
    only_files "$work/o"
    # A gene on a chromosome no track has: reported, skipped; the rest prepared.
    { cat "$s/genes.gtf"; printf 'chrUn_x\tt\tgene\t100\t900\t.\t+\t.\tgene_id "EXTRA";\n'; } >"$s/extra.gtf"
    { cat "$s/tpm.tsv"; printf 'EXTRA\t1\t2\n'; } >"$s/extra.tsv"
    run 0 "$causeway" prepare --manifest "$s/tracks.tsv" --genes "$s/extra.gtf" --expression "$s/extra.tsv" \
        --out "$work/o/D.safetensors"
    contains "$work/err" "causeway prepare: note: skipped 1 gene on chrUn_x, a chromosome absent from every track"
    [ "$(wc -l <"$work/o/D.genes.tsv")" -eq 41 ] || fail "expected 40 genes"
    only_files "$work/o" D.safetensors D.genes.tsv
    ;;
*)
    fail "unknown case"
    ;;
esac
