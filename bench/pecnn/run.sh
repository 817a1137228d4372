#!/bin/bash
# Compiled PECNN vs PyTorch on this machine, side by side in one run, alternating A B A B so that drift
# on a shared machine hits both alike. PyTorch gets its best: Debian's /usr/bin/python3, 2 threads, Debian's
# OpenBLAS OpenMP build with OPENBLAS_CORETYPE=SKYLAKEX (OpenBLAS 0.3.21 misdetects newer Xeons).
# Usage: bench/pecnn/run.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
export OPENBLAS_CORETYPE=SKYLAKEX OMP_NUM_THREADS=2 THREADS=2 HL_NUM_THREADS=2
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
"$build/bench/pecnn/fma_peak" 2
for round in $(seq "$rounds"); do
    "$build/bench/pecnn/bench_pecnn" --benchmark_format=console 2>/dev/null | grep -E "^BM_" |
        awk -v r="$round" '{ for (i = 1; i <= NF; i++) if ($i ~ /genes\/s=|GFLOP\/s=/) extra = extra " " $i;
                             print "round " r " causeway " $1 extra; extra = "" }'
    /usr/bin/python3 "$root/bench/pecnn/pytorch_pecnn.py" | sed "s/^/round $round /"
done
