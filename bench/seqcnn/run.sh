#!/bin/bash
# Saturation mutagenesis, causeway (incremental and naive) vs naive batched PyTorch, side by side in one run,
# alternating causeway and PyTorch round by round so that drift on a shared machine hits both alike. PyTorch
# gets its best: Debian's /usr/bin/python3, 2 threads, Debian's OpenBLAS OpenMP build with
# OPENBLAS_CORETYPE=SKYLAKEX (OpenBLAS 0.3.21 misdetects newer Xeons), the fastest execution mode
# (pytorch_modes.py). See pytorch_ism.py and bench_seqcnn.cpp's BM_SeqcnnIsm for what each measures.
# Usage: bench/seqcnn/run.sh [BUILD_DIR[,BUILD_DIR...]] [ROUNDS]
#   several build directories (comma-separated): each one's bench_seqcnn in turn, every round (before/after)
#   PYTORCH_MODES="eager frozen conv2d": each PyTorch mode in turn, every round (default: the fastest only)
#   FILTER: bench_seqcnn's runs (default: incremental and naive)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
builds=${1:-$root/build}
rounds=${2:-2}
filter=${FILTER:-}
export OPENBLAS_CORETYPE=SKYLAKEX OMP_NUM_THREADS=2 THREADS=2 HL_NUM_THREADS=2
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
IFS=, read -r -a build_list <<<"$builds"
read -r -a modes <<<"${PYTORCH_MODES:-}"
[ ${#modes[@]} -gt 0 ] || modes=("")
for round in $(seq "$rounds"); do
    for model in deepsea_small deepsea; do
        deepsea=$([ "$model" = deepsea ] && echo 1 || echo 0)
        for build in "${build_list[@]}"; do
            echo "round $round load $(cut -d' ' -f1 /proc/loadavg) $build"
            "$build/bench/seqcnn/bench_seqcnn" --benchmark_filter="BM_SeqcnnIsm/deepsea:$deepsea/${filter}" \
                --benchmark_format=console 2>/dev/null | grep -E "^BM_" |
                awk -v r="$round" '{ for (i = 1; i <= NF; i++) if ($i ~ /\/s=/) extra = extra " " $i;
                                     print "round " r " causeway " $1 extra; extra = "" }'
        done
        for mode in "${modes[@]}"; do
            echo "round $round load $(cut -d' ' -f1 /proc/loadavg) pytorch ${mode:-default}"
            PYTORCH_MODE=$mode /usr/bin/python3 "$root/bench/seqcnn/pytorch_ism.py" "$model" |
                sed "s/^/round $round ${mode:+mode=$mode }/"
        done
    done
done
