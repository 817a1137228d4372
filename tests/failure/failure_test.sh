#!/bin/bash
# Failure handling end to end (issue 10): a full disk and a read-only output folder give a clear error, exit
# 1 and leave no output (not even a temporary file); SIGINT during a long run stops it, leaves the last
# checkpoint intact and no temporary files. Inputs come from simulate-epigenome and prepare, built here.
# Usage: failure_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"

# Nothing but the listed names may be in FOLDER (a leftover temporary is named OUTPUT.tmp.XXXXXX).
only_files() {
    local folder=$1
    shift
    local found
    found=$(cd "$folder" && ls -A | grep -vx '.filler' | sort | tr '\n' ' ')
    [ "$found" = "$(printf '%s\n' "$@" | sed '/^$/d' | sort | tr '\n' ' ')" ] ||
        fail "$folder holds '$found', expected '$*'"
}
# A small simulated epigenome and its dataset (30 genes, 2 cell types, 40 bins).
make_inputs() {
    run 0 "$causeway" simulate-epigenome -o "$work/sim" --genes 30 --cells 2 --seed 3 -t 1
    mkdir -p "$work/data"
    run 0 "$causeway" prepare --manifest "$work/sim/tracks.tsv" --genes "$work/sim/genes.gtf" \
        --expression "$work/sim/tpm.tsv" -o "$work/data/d.safetensors" --window 2000 --bin-size 100 -t 1
    run 0 "$causeway" init-model -o "$work/data/model.safetensors" --bins 40 --hidden 4 --depth 1 --kernel 3 \
        --dilations 1
    local region variant
    {
        printf 'region\tvariant\tbeta_exposure\tse_exposure\tbeta_outcome\tse_outcome\n'
        for region in $(seq 1 200); do
            for variant in 1 2 3 4; do
                printf 'r%d\tv%d\t0.%d\t0.05\t0.0%d\t0.02\n' "$region" "$variant" "$variant" "$((variant + region % 3))"
            done
        done
    } >"$work/data/effects.tsv"
}
# The representative writers: a TSV (predict, mr), a dataset (prepare), a folder of tracks (simulate-epigenome).
# Each runs with its output in OUT_DIR and must fail with MESSAGE, leaving OUT_DIR empty.
writers_fail() {
    local out=$1 message=$2 limit=${3:-}
    local prefix=()
    [ -n "$limit" ] && prefix=(bash -c "ulimit -f $limit && exec \"\$@\"" limited)
    run 1 "${prefix[@]}" "$causeway" predict -m "$work/data/model.safetensors" -d "$work/data/d.safetensors" \
        -o "$out/predictions.tsv" -t 1
    contains "$work/err" "causeway predict: "
    contains "$work/err" "$out/predictions.tsv"
    contains "$work/err" "$message"
    only_files "$out"
    run 1 "${prefix[@]}" "$causeway" mr --effects "$work/data/effects.tsv" --methods ivw -o "$out/mr.tsv" -t 1
    contains "$work/err" "causeway mr: "
    contains "$work/err" "$out/mr.tsv"
    contains "$work/err" "$message"
    only_files "$out"
    run 1 "${prefix[@]}" "$causeway" prepare --manifest "$work/sim/tracks.tsv" --genes "$work/sim/genes.gtf" \
        --expression "$work/sim/tpm.tsv" -o "$out/d.safetensors" --window 2000 --bin-size 100 -t 1
    contains "$work/err" "causeway prepare: "
    contains "$work/err" "$out/d."
    contains "$work/err" "$message"
    only_files "$out"
    run 1 "${prefix[@]}" "$causeway" simulate-epigenome -o "$out/sim" --genes 30 --cells 2 --seed 3 -t 1
    contains "$work/err" "causeway simulate-epigenome: "
    contains "$work/err" "$out/sim"
    # libBigWig reports no OS reason for a failed finish; the message then says what it was writing.
    grep -qF -e "$message" -e "cannot write bigWig" "$work/err" || fail "unclear error: $(head -c 800 "$work/err")"
    only_files "$out"
}

case $case_name in
full_disk)
    make_inputs
    mkdir -p "$work/dest"
    # A file-size limit (in KiB): writes past it fail with EFBIG, as on a full disk.
    writers_fail "$work/dest" "File too large" 1
    # A really full file system where mounting is allowed (root; CI runs as root): ENOSPC.
    if mkdir -p "$work/tiny" && mount -t tmpfs -o size=8k tmpfs "$work/tiny" 2>/dev/null; then
        trap 'umount "$work/tiny" 2>/dev/null; rm -rf "$work"' EXIT
        # Filled up, so that even the smallest output finds no room.
        head -c 65536 /dev/zero >"$work/tiny/.filler" 2>/dev/null
        writers_fail "$work/tiny" "No space left on device"
        umount "$work/tiny"
    fi
    ;;
read_only)
    make_inputs
    mkdir -p "$work/ro"
    if [ "$(id -u)" -eq 0 ]; then
        # root writes through permissions: a read-only mount is read-only for everyone.
        mount -t tmpfs -o ro,size=64k tmpfs "$work/ro" 2>/dev/null || { echo "[SKIP] cannot mount (root without mount rights)"; exit 77; }
        trap 'umount "$work/ro" 2>/dev/null; rm -rf "$work"' EXIT
        writers_fail "$work/ro" "Read-only file system"
        umount "$work/ro"
    else
        chmod 555 "$work/ro"
        writers_fail "$work/ro" "Permission denied"
    fi
    ;;
interrupt_train)
    make_inputs
    # Job control, so that the background run does not start with SIGINT ignored (a shell's default).
    set -m
    "$causeway" train -d "$work/data/d.safetensors" -o "$work/data/trained.safetensors" --valid-chroms '' \
        --train-chroms chr1-chr22,chrX --epochs 1000000 --patience 0 --batch 4 --hidden 4 --depth 1 --kernel 3 \
        --dilations 1 -t 1 >"$work/out" 2>"$work/err" &
    pid=$!
    checkpoint=$work/data/trained.checkpoint.safetensors
    # The log is written just after the checkpoint: wait for both, so the resume below knows the epochs done.
    for _ in $(seq 1 600); do
        [ -s "$checkpoint" ] && [ -s "$work/data/trained.log.tsv" ] && break
        sleep 0.1
    done
    [ -s "$checkpoint" ] && [ -s "$work/data/trained.log.tsv" ] ||
        fail "no checkpoint and log after 60 s: $(head -c 800 "$work/err")"
    sleep 1 # mid-epoch, most likely mid-write of the next checkpoint on some runs
    kill -INT "$pid"
    wait "$pid"
    status=$?
    set +m
    [ "$status" -eq 130 ] || fail "train exited $status after SIGINT, expected 130 (killed by SIGINT)"
    # The checkpoint is whole: training resumes from it.
    ls "$work/data" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$work/data")"
    epochs=$(($(wc -l <"$work/data/trained.log.tsv") - 1))
    run 0 "$causeway" train -d "$work/data/d.safetensors" -o "$work/data/trained.safetensors" --valid-chroms '' \
        --train-chroms chr1-chr22,chrX --epochs $((epochs + 2)) --patience 0 --batch 4 --hidden 4 --depth 1 \
        --kernel 3 --dilations 1 -t 1 --resume
    [ -s "$work/data/trained.safetensors" ] || fail "no model after resuming"
    ;;
interrupt_ism)
    # A long batch run: saturation mutagenesis over many regions with many dropout samples.
    model=$root/tests/seqcnn/fixtures/relu_same_dense3.model.safetensors # L = 37
    bases() { head -c "$1" /dev/zero | tr '\0' 'A' | sed 's/AAAA/ACGT/g'; }
    printf '>chr1\n%s\n' "$(bases 1000)" >"$work/genome.fa"
    printf 'chr1\t1000\t6\t1000\t1001\n' >"$work/genome.fa.fai"
    for i in $(seq 1 900); do printf 'chr1\t%d\t%d\n' $((50 + i)) $((51 + i)); done >"$work/regions.bed"
    mkdir -p "$work/dest"
    set -m
    "$causeway" ism --model "$model" --fasta "$work/genome.fa" --tasks 'cell0|factor0' --regions "$work/regions.bed" \
        --samples 2000 -t 1 -o "$work/dest/effects.tsv" >"$work/stdout" 2>"$work/err" &
    pid=$!
    # Until the temporary output exists (the run is under way).
    for _ in $(seq 1 600); do
        ls "$work/dest" | grep -q '\.tmp\.' && break
        sleep 0.1
    done
    ls "$work/dest" | grep -q '\.tmp\.' || fail "ism wrote no temporary output in 60 s: $(head -c 800 "$work/err")"
    kill -INT "$pid"
    wait "$pid"
    status=$?
    set +m
    [ "$status" -eq 130 ] || fail "ism exited $status after SIGINT, expected 130"
    only_files "$work/dest"
    ;;
*)
    fail "unknown case"
    ;;
esac
