#!/bin/bash
# Training throughput, causeway train-seq's step (bench_seqtrain) vs a PyTorch training loop of the same module
# (pytorch_seqtrain.py), side by side in one run, alternating round by round so that drift on a shared machine
# hits both alike. PyTorch gets its best: Debian's /usr/bin/python3, 2 threads, Debian's OpenBLAS OpenMP build
# with OPENBLAS_CORETYPE=SKYLAKEX (OpenBLAS 0.3.21 misdetects newer Xeons).
# Usage: bench/seqtrain/run.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
export OPENBLAS_CORETYPE=SKYLAKEX OMP_NUM_THREADS=2 THREADS=2 HL_NUM_THREADS=2
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for round in $(seq "$rounds"); do
    "$build/bench/seqtrain/bench_seqtrain" --benchmark_format=console 2>/dev/null | grep -E "^BM_" |
        awk -v r="$round" '{ for (i = 1; i <= NF; i++) if ($i ~ /\/s=/) extra = extra " " $i;
                             print "round " r " causeway " $1 extra; extra = "" }'
    /usr/bin/python3 "$root/bench/seqtrain/pytorch_seqtrain.py" | sed "s/^/round $round /"
done
