#!/bin/bash
# GPU figures for issue 8, for a session lent a GPU: the CUDA variants against the CPU path in one run
# (mutants/s of the incremental mutant batch at DeepSEA's size; genes/s of the PECNN training step).
# Usage: bench/cuda/run.sh BUILD_DIR (configured with -DCAUSEWAY_TARGETS="x86;cuda").
# Without a usable GPU the CUDA rows are reported as skipped, with the reason.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR}
"$build/bench/cuda/bench_cuda" --benchmark_counters_tabular=true
