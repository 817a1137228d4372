#!/bin/bash
# Epoch time of `causeway train` against a PyTorch training loop of the same module, same split, same batch
# and optimiser, on this machine, side by side in one run: rounds alternate causeway and PyTorch so that drift
# on a shared machine hits both alike. Each round trains EPOCHS epochs from scratch; the per-epoch seconds
# (mini-batch steps and the validation pass; causeway's come from its training log) are summarised as the
# median over all epochs after each round's first. PyTorch gets its best: Debian's /usr/bin/python3, 2 threads,
# Debian's OpenBLAS OpenMP build with OPENBLAS_CORETYPE=SKYLAKEX.
# Usage: bench/study/run.sh [BUILD_DIR] [ROUNDS] [EPOCHS] [BATCH] [DATASET]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
epochs=${3:-4}
batch=${4:-64}
dataset=${5:-$root/data/default.dataset.safetensors}
export OPENBLAS_CORETYPE=SKYLAKEX OMP_NUM_THREADS=2 THREADS=2 HL_NUM_THREADS=2 CAUSEWAY_QUIET=1
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for round in $(seq "$rounds"); do
    "$build/cli/causeway" train --dataset "$dataset" --out "$work/m.safetensors" --epochs "$epochs" \
        --batch "$batch" --patience 0 --threads 2 2>/dev/null
    awk -F'\t' -v r="$round" 'NR > 1 { print "round " r " causeway epoch " $1 " seconds " $5 " train_loss " $2 " valid_loss " $3 }' \
        "$work/m.log.tsv"
    /usr/bin/python3 "$root/bench/study/pytorch_train.py" "$dataset" "$epochs" "$batch" | sed "s/^/round $round /"
done | tee "$work/all.txt"
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours=$(awk '$3 == "causeway" && $5 > 1 { print $7 }' "$work/all.txt" | median)
theirs=$(awk '$3 == "pytorch" && $5 > 1 { print $7 }' "$work/all.txt" | median)
echo "median epoch: causeway ${ours} s, pytorch ${theirs} s (epochs 2..${epochs} of ${rounds} rounds, batch ${batch})"
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "causeway is %.2fx PyTorch per epoch\n", b / a }'
