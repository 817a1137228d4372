#!/bin/bash
# Throughput of `causeway epigenesis` (all genes, all marks, every cell type: 126 compiled forward
# evaluations of 12 cell types per gene) and `causeway optimize` (100-fold, Adam, the default steps; and
# --sparse, its L1 phase then the refit) in genes/s on the shipped default data and model, ROUNDS runs each;
# the commands report their own timing of the compiled passes (model loading and writing the outputs
# excluded). With BASELINE (another causeway binary, e.g. an older build), each round also runs the
# baseline's optimize right after this build's, so that before/after ratios come from one alternating run.
# Usage: bench/study/epigenesis_optimize.sh [BUILD_DIR] [ROUNDS] [THREADS] [OPTIMIZE_GENES] [BASELINE]
#        (SKIP_EPIGENESIS=1: optimize only; STEPS=N: optimize's --steps and --refit-steps, 200 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
threads=${3:-2}
optimize_genes=${4:-120}
baseline=${5:-}
export CAUSEWAY_QUIET=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$root/data/default.dataset.safetensors
model=$root/data/default.model.safetensors
seq -f 'SIMG%06g' 1 "$optimize_genes" >"$work/genes.txt"
optimize() {
    rm -rf "$work/opt" # a finished folder would be resumed, not recomputed
    "$1" optimize --model "$model" --dataset "$data" --genes "@$work/genes.txt" --out "$work/opt" --heatmaps 0 \
        --threads "$threads" --steps "${STEPS:-200}" "${@:2}" 2>&1
}
for round in $(seq "$rounds"); do
    if [ -z "${SKIP_EPIGENESIS:-}" ]; then
        "$build/cli/causeway" epigenesis --model "$model" --dataset "$data" --out "$work/epi" --heatmaps 0 \
            --threads "$threads" 2>&1 | sed "s/^/round $round /"
    fi
    optimize "$build/cli/causeway" | sed "s/^/round $round this build: /"
    [ -z "$baseline" ] || optimize "$baseline" | sed "s/^/round $round baseline: /"
    optimize "$build/cli/causeway" --sparse --refit-steps "${STEPS:-200}" | sed "s/^/round $round this build --sparse: /"
done
