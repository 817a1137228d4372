#!/bin/bash
# Sharded Deep MR on this machine: 1 job against 2 shards in parallel, and the cost of sharding + merging.
# Builds a world with the main job's model architecture (scripts/deepmr_world.sh: L 400, conv 128 k16,
# global max pool, dense 64; 1 training epoch, the time does not depend on the weights), then alternates,
# ROUNDS times:
#   unsharded   causeway deepmr --threads 2
#   2 shards    causeway deepmr --shard 1/2 and 2/2 at once, --threads 1 each, then causeway merge
#   1 shard     causeway deepmr --shard 1/1 --threads 2, then causeway merge (the overhead of the machinery)
# and the same three variants of expression optimisation (causeway optimize --sparse on the shipped default
# model and dataset: OPTIMIZE_GENES genes in batches of 8, 100 + 100 steps; 0 skips it), then prints each
# variant's median wall time and its ratio to the unsharded run's.
# Usage: bench/shard/run.sh [CAUSEWAY] [ROUNDS] [REGIONS_PER_EXPOSURE] [SAMPLES] [OPTIMIZE_GENES]
# (REGIONS_PER_EXPOSURE 0 skips Deep MR and its world.)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
causeway=$(realpath "${1:-$root/build/cli/causeway}") # the runs happen in a scratch folder
rounds=${2:-3}
per_exposure=${3:-6}
samples=${4:-20}
optimize_genes=${5:-32}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CAUSEWAY_QUIET=1
cd "$work"

if [ "$per_exposure" -gt 0 ]; then # 0: optimize only
    "$causeway" simulate-genome --out world --regions 2000 --length 400 --tfs 4 --seed 1 >/dev/null 2>&1
    "$causeway" train-seq --fasta world/genome.fa --regions world/regions.bed --labels world/labels.tsv \
        --out model.safetensors --length 400 --channels 128 --kernel 16 --pools global --dense 64 --dropout 0.2 \
        --dense-dropout 0 --epochs 1 --patience 0 --seed 1 >/dev/null 2>&1
    exposures=$(head -n 1 world/labels.tsv | cut -f2-4 | tr '\t' ',')
fi
deepmr() {
    "$causeway" deepmr --model model.safetensors --fasta world/genome.fa --regions world/regions.bed \
        --labels world/labels.tsv --exposures "$exposures" --outcome CA --regions-per-exposure "$per_exposure" \
        --samples "$samples" --naive-regions 500 --seed 1 "$@" 2>>log
}
optimize() {
    "$causeway" optimize --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --genes @genes.txt --sparse --steps 100 \
        --refit-steps 100 --batch 8 --heatmaps 0 "$@" 2>>log
}
awk -F'\t' -v n="$optimize_genes" 'NR > 1 && NR <= n + 1 { print $1 }' "$root/data/default.dataset.genes.tsv" >genes.txt
now() { date +%s.%N; }
declare -a t_one t_two t_single o_one o_two o_single
for r in $(seq 1 "$rounds"); do
    rm -rf one two* single*
    if [ "$per_exposure" -gt 0 ]; then
        t0=$(now); deepmr --out one --threads 2; t1=$(now)
        t_one+=("$(echo "$t1 - $t0" | bc)")

        t0=$(now)
        deepmr --out two1 --shard 1/2 --threads 1 &
        p1=$!
        deepmr --out two2 --shard 2/2 --threads 1 &
        p2=$!
        wait "$p1" "$p2"
        "$causeway" merge --out two --threads 2 two1 two2 2>>log
        t1=$(now)
        t_two+=("$(echo "$t1 - $t0" | bc)")

        t0=$(now); deepmr --out single1 --shard 1/1 --threads 2; "$causeway" merge --out single --threads 2 single1 2>>log; t1=$(now)
        t_single+=("$(echo "$t1 - $t0" | bc)")

        for f in exposures.tsv regions.tsv effects.tsv.gz summary.md; do
            cmp -s one/$f two/$f || { echo "bench: $f differs between the unsharded run and 2 merged shards" >&2; exit 1; }
            cmp -s one/$f single/$f || { echo "bench: $f differs between the unsharded run and 1 merged shard" >&2; exit 1; }
        done
        echo "round $r: unsharded ${t_one[-1]} s, 2 shards + merge ${t_two[-1]} s, 1 shard + merge ${t_single[-1]} s" >&2
    fi

    [ "$optimize_genes" -gt 0 ] || continue
    rm -rf opt*
    t0=$(now); optimize --out opt --threads 2; t1=$(now)
    o_one+=("$(echo "$t1 - $t0" | bc)")
    t0=$(now)
    optimize --out opt2.1 --shard 1/2 --threads 1 &
    p1=$!
    optimize --out opt2.2 --shard 2/2 --threads 1 &
    p2=$!
    wait "$p1" "$p2"
    "$causeway" merge --out opt2 --threads 2 opt2.1 opt2.2 2>>log
    t1=$(now)
    o_two+=("$(echo "$t1 - $t0" | bc)")
    t0=$(now); optimize --out opt1.1 --shard 1/1 --threads 2; "$causeway" merge --out opt1 --threads 2 opt1.1 2>>log; t1=$(now)
    o_single+=("$(echo "$t1 - $t0" | bc)")
    for f in achieved.tsv genes.tsv edits.tsv loss.tsv; do
        cmp -s opt/$f opt2/$f || { echo "bench: optimize $f differs between the unsharded run and 2 merged shards" >&2; exit 1; }
        cmp -s opt/$f opt1/$f || { echo "bench: optimize $f differs between the unsharded run and 1 merged shard" >&2; exit 1; }
    done
    echo "round $r: optimize unsharded ${o_one[-1]} s, 2 shards + merge ${o_two[-1]} s, 1 shard + merge ${o_single[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
if [ "$per_exposure" -gt 0 ]; then
    units=$((3 * per_exposure))
    m_one=$(median "${t_one[@]}"); m_two=$(median "${t_two[@]}"); m_single=$(median "${t_single[@]}")
    echo "Deep MR, 3 exposures x $per_exposure regions x 1200 mutants x $samples samples ($units units), L 400; median of $rounds rounds:"
    printf '  unsharded, 2 threads:                      %8.2f s\n' "$m_one"
    printf '  2 shards in parallel (1 thread each)+merge: %7.2f s  (%.2fx the unsharded time)\n' "$m_two" "$(echo "$m_two / $m_one" | bc -l)"
    printf '  1 shard (2 threads) + merge:               %8.2f s  (%.2fx: the overhead of sharding and merging)\n' "$m_single" "$(echo "$m_single / $m_one" | bc -l)"
fi
if [ "$optimize_genes" -gt 0 ]; then
    m_one=$(median "${o_one[@]}"); m_two=$(median "${o_two[@]}"); m_single=$(median "${o_single[@]}")
    echo "optimize --sparse, $optimize_genes genes of the default dataset in batches of 8, 100 + 100 steps; median of $rounds rounds:"
    printf '  unsharded, 2 threads:                      %8.2f s\n' "$m_one"
    printf '  2 shards in parallel (1 thread each)+merge: %7.2f s  (%.2fx the unsharded time)\n' "$m_two" "$(echo "$m_two / $m_one" | bc -l)"
    printf '  1 shard (2 threads) + merge:               %8.2f s  (%.2fx: the overhead of sharding and merging)\n' "$m_single" "$(echo "$m_single / $m_one" | bc -l)"
fi
