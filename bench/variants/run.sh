#!/bin/bash
# causeway score-variants vs PyTorch scoring the same SNVs (ref + alt full forwards in batches of 64
# variants under the same MC-dropout masks), side by side in one run, alternating so that drift on a shared
# machine hits both alike; both report variants/s over the scoring alone (inputs read and masks made
# beforehand). The first round also checks that both give the same effects and se.
# PyTorch gets its best: Debian's /usr/bin/python3, 2 threads, OpenBLAS OpenMP with OPENBLAS_CORETYPE=SKYLAKEX,
# the fastest execution mode (bench/seqcnn/pytorch_modes.py).
# Usage: bench/variants/run.sh [BUILD_DIR[,BUILD_DIR...]] [ROUNDS] [DATA_DIR]
#   several build directories (comma-separated): each one's causeway in turn, every round (before/after)
#   PYTORCH_MODES="eager frozen conv2d": each PyTorch mode in turn, every round (default: the fastest only)
#   CASES="deepsea_small deepsea": the cases to run (default: all three)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
builds=${1:-$root/build}
rounds=${2:-3}
data=${3:-/tmp/causeway_bench_variants}
export OPENBLAS_CORETYPE=SKYLAKEX OMP_NUM_THREADS=2 THREADS=2 HL_NUM_THREADS=2
export LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
unset CAUSEWAY_QUIET
script=$root/bench/variants/pytorch_score_variants.py
# name, variants, MC samples, causeway's --window-offset. The clustered case (loci of up to 10 variants
# within 100 bases) shows window sharing: causeway scores each locus in one window (variants up to 50 bases
# off-centre, so its scores differ from the centred ones by design and are not compared); PyTorch still
# runs centred windows.
cases=("deepsea_small 1000 20 0" "deepsea_small_clustered 1000 20 50" "deepsea 64 10 0")
if [ -n "${CASES:-}" ]; then
    chosen=()
    for c in "${cases[@]}"; do [[ " $CASES " == *" ${c%% *} "* ]] && chosen+=("$c"); done
    cases=("${chosen[@]}")
fi
IFS=, read -r -a build_list <<<"$builds"
read -r -a modes <<<"${PYTORCH_MODES:-}"
[ ${#modes[@]} -gt 0 ] || modes=("")
for c in "${cases[@]}"; do
    read -r name variants samples offset <<<"$c"
    model=${name%_clustered}
    [ -e "$data/$name.vcf" ] || /usr/bin/python3 "$script" make "$data" "$model" "$variants" \
        $([ "$name" != "$model" ] && echo clustered)
done
for round in $(seq "$rounds"); do
    for c in "${cases[@]}"; do
        read -r name variants samples offset <<<"$c"
        for build in "${build_list[@]}"; do
            echo "round $round load $(cut -d' ' -f1 /proc/loadavg) $build"
            "$build/cli/causeway" score-variants --model "$data/$name.model.safetensors" --fasta "$data/genome.fa" \
                --vcf "$data/$name.vcf" --out "$data/$name.causeway.tsv" --samples "$samples" --seed 1 \
                --threads 2 --window-offset "$offset" 2>&1 | grep -o "[0-9]* windows.*variants/s" |
                sed "s/^/round $round causeway $name samples=$samples offset=$offset: /"
        done
        check=$([ "$round" -eq 1 ] && [ "$offset" -eq 0 ] && echo 1 || echo 0)
        extra=()
        [ "$check" -eq 1 ] && extra=("$data/$name.pytorch.tsv")
        for mode in "${modes[@]}"; do
            echo "round $round load $(cut -d' ' -f1 /proc/loadavg) pytorch ${mode:-default}"
            PYTORCH_MODE=$mode /usr/bin/python3 "$script" score "$data" "$name" "$samples" 1 "${extra[@]}" |
                sed "s/^/round $round ${mode:+mode=$mode }/"
        done
        if [ "$check" -eq 1 ]; then
            # Same (chrom, pos, alt, task) order in both: the VCF is sorted and holds SNVs only.
            paste <(cut -f1,2,5,6,9,10 "$data/$name.causeway.tsv") "$data/$name.pytorch.tsv" | awk -F'\t' '
                NR > 1 { if ($1 != $7 || $2 != $8 || $3 != $9 || $4 != $10) bad = 1
                         d = $5 - $11; if (d < 0) d = -d; if (d > me) me = d
                         d = $6 - $12; if (d < 0) d = -d; if (d > ms) ms = d }
                END { printf "round 1 check '"$name"': rows aligned %s, max |effect diff| %.3g, max |se diff| %.3g\n",
                      bad ? "NO" : "yes", me, ms }'
        fi
    done
done
