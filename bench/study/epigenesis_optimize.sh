#!/bin/bash
# Throughput of `causeway epigenesis` (all genes, all marks, every cell type: 126 compiled forward
# evaluations of 12 cell types per gene) and `causeway optimize` (100-fold, Adam, the default steps) in
# genes/s on the shipped default data and model, ROUNDS runs each; the commands report their own timing of
# the compiled passes (model loading and writing the outputs excluded).
# Usage: bench/study/epigenesis_optimize.sh [BUILD_DIR] [ROUNDS] [THREADS] [OPTIMIZE_GENES]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
threads=${3:-2}
optimize_genes=${4:-120}
export CAUSEWAY_QUIET=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$root/data/default.dataset.safetensors
model=$root/data/default.model.safetensors
seq -f 'SIMG%06g' 1 "$optimize_genes" >"$work/genes.txt"
for round in $(seq "$rounds"); do
    "$build/cli/causeway" epigenesis --model "$model" --dataset "$data" --out "$work/epi" --heatmaps 0 \
        --threads "$threads" 2>&1 | sed "s/^/round $round /"
    "$build/cli/causeway" optimize --model "$model" --dataset "$data" --genes "@$work/genes.txt" --out "$work/opt" \
        --heatmaps 0 --threads "$threads" 2>&1 | sed "s/^/round $round /"
done
