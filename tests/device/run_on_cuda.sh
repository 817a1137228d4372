#!/bin/bash
# Usage: run_on_cuda.sh PROBE TEST [ARGS...]: runs TEST with every pipeline on the GPU (CAUSEWAY_DEVICE=cuda)
# when PROBE finds a usable one; otherwise says why and exits 77, which ctest reports as skipped.
probe=$1
shift
"$probe" || exit $?
CAUSEWAY_DEVICE=cuda exec "$@"
