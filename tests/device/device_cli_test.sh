#!/bin/bash
# End-to-end tests of --device (causeway/device.h): bad choices fail clearly, with exit status 1 and no
# output left behind; auto falls back to the CPU without a GPU; --version names the compiled targets; and,
# where a GPU is present, predictions on it match PyTorch's golden files as the CPU's do.
# Usage: device_cli_test.sh CASE CAUSEWAY PROBE SOURCE_DIR WITH_CUDA CPU_FAMILY
#   CPU_FAMILY: the build's CPU target family, x86 or arm64 (an arm64 cross build runs this under qemu).
case_name=$1
causeway=$2
probe=$3
source_dir=$4
with_cuda=$5
cpu_family=$6
source "$source_dir/tests/cli_harness.sh"
fixtures="$source_dir/tests/pecnn/fixtures"
model="$fixtures/c12_depth2_mean.model.safetensors"
dataset="$fixtures/c12_depth2_mean.dataset.safetensors"
gpu=0
"$probe" 2>/dev/null && gpu=1

case "$case_name" in
unknown_device)
    run 1 "$causeway" predict --model "$model" --dataset "$dataset" --out "$work/p.tsv" --device gpu
    contains "$work/err" "causeway predict: --device"
    contains "$work/err" "gpu"
    [ ! -e "$work/p.tsv" ] || fail "output left behind after an error"
    CAUSEWAY_DEVICE=tpu run 1 "$causeway" predict --model "$model" --dataset "$dataset" --out "$work/p.tsv"
    contains "$work/err" "causeway predict: --device 'tpu' is not one of cpu, cuda, auto"
    [ ! -e "$work/p.tsv" ] || fail "output left behind after an error"
    ;;
cuda_unavailable)
    [ "$gpu" -eq 0 ] || { echo "[SKIP] a usable CUDA GPU is present, so --device cuda succeeds"; exit 77; }
    run 1 "$causeway" predict --model "$model" --dataset "$dataset" --out "$work/p.tsv" --device cuda
    contains "$work/err" "causeway predict: --device cuda: "
    if [ "$with_cuda" = ON ]; then
        contains "$work/err" "no usable CUDA GPU"
    else
        contains "$work/err" "this build has no CUDA pipelines"
    fi
    [ ! -e "$work/p.tsv" ] || fail "output left behind after an error"
    [ -z "$(ls "$work" | grep -v -E '^(out|err)$')" ] || fail "temporary files left: $(ls "$work")"
    # Subcommands that run no pipeline check the choice too.
    run 1 "$causeway" init-model --out "$work/m.safetensors" --device cuda
    contains "$work/err" "--device cuda: "
    ;;
auto_without_gpu)
    [ "$gpu" -eq 0 ] || { echo "[SKIP] a GPU is present: auto takes it (see cuda_predict_golden)"; exit 77; }
    run 0 "$causeway" predict --model "$model" --dataset "$dataset" --out "$work/cpu.tsv" --device cpu
    run 0 "$causeway" predict --model "$model" --dataset "$dataset" --out "$work/auto.tsv" --device auto
    run 0 "$causeway" predict --model "$model" --dataset "$dataset" --out "$work/default.tsv"
    cmp -s "$work/cpu.tsv" "$work/auto.tsv" || fail "--device auto differs from --device cpu without a GPU"
    cmp -s "$work/cpu.tsv" "$work/default.tsv" || fail "the default differs from --device cpu without a GPU"
    run 0 "$causeway" help predict
    contains "$work/out" "--device"
    ;;
version)
    run 0 "$causeway" --version
    contains "$work/out" "compiled targets: $cpu_family"
    if [ "$with_cuda" = ON ]; then
        contains "$work/out" "cuda (x86-64-linux-sse41-cuda-cuda_capability_"
    elif grep -q cuda "$work/out"; then
        fail "--version names cuda in a build without it: $(cat "$work/out")"
    fi
    ;;
cuda_predict_golden)
    [ "$gpu" -eq 1 ] || { "$probe"; exit 77; }
    for name in c1_depth1_mean c5_depth3_dilated_max c12_depth2_mean c12_depth2_max_k3; do
        run 0 "$causeway" predict --device cuda --model "$fixtures/$name.model.safetensors" \
            --dataset "$fixtures/$name.dataset.safetensors" --out "$work/$name.tsv"
        awk -F'\t' 'NR == FNR { e[FNR] = $4; next }
            FNR > 1 { d = $4 - e[FNR]; if (d < 0) d = -d; s = e[FNR] < 0 ? -e[FNR] : e[FNR]; if (s < 0.1) s = 0.1;
                      if (d > 1e-5 * s) { print "row " FNR ": " $4 " vs " e[FNR]; bad = 1 } }
            END { exit bad }' "$fixtures/$name.predictions.tsv" "$work/$name.tsv" ||
            fail "$name: CUDA predictions differ from PyTorch's"
    done
    ;;
*)
    fail "unknown case"
    ;;
esac
