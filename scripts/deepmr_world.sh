#!/bin/bash
# Deep MR on a simulated world, end to end: causeway simulate-genome (planted causal effects of TF binding
# on accessibility), causeway train-seq (a small seqcnn on every TF and CA, chr7 for validation), then
# causeway deepmr on every TF with CA as the outcome, compared with the planted effects (summary.md).
#
#   scripts/deepmr_world.sh OUT_DIR [small]
#
# small: a smaller world and fewer samples (the ctest's size). CAUSEWAY may name the binary (default: the
# first of build*/cli/causeway found from the repository root).
set -euo pipefail
out=${1:?usage: deepmr_world.sh OUT_DIR [small]}
size=${2:-default}
root=$(cd "$(dirname "$0")/.." && pwd)
causeway=${CAUSEWAY:-$(ls "$root"/build/cli/causeway "$root"/build*/cli/causeway 2>/dev/null | head -n 1)}
[ -x "$causeway" ] || { echo "deepmr_world.sh: no causeway binary (set CAUSEWAY)" >&2; exit 1; }

if [ "$size" = small ]; then
    regions=8000 epochs=8 per_exposure=10 samples=12
else
    regions=20000 epochs=10 per_exposure=25 samples=20
fi
mkdir -p "$out"
"$causeway" simulate-genome --out "$out/world" --regions "$regions" --length 400 --tfs 12 --seed 1
tfs=$(head -n 1 "$out/world/labels.tsv" | cut -f 2- | tr '\t' '\n' | grep -vx CA | paste -sd, -)
if [ ! -e "$out/model.safetensors" ]; then
    "$causeway" train-seq --fasta "$out/world/genome.fa" --regions "$out/world/regions.bed" \
        --labels "$out/world/labels.tsv" --out "$out/model.safetensors" --length 400 --channels 64,64 \
        --kernel 19,9 --pools 4,4 --dense 64 --dropout 0.1,0.2 --dense-dropout 0.3 --activation relu \
        --padding valid --epochs "$epochs" --batch 128 --lr 0.002 --seed 1 --valid-chroms chr7 --test-chroms chr8
fi
"$causeway" deepmr --model "$out/model.safetensors" --fasta "$out/world/genome.fa" \
    --regions "$out/world/regions.bed" --labels "$out/world/labels.tsv" --exposures "$tfs" --outcome CA \
    --regions-per-exposure "$per_exposure" --samples "$samples" --seed 1 --truth "$out/world/truth.json" \
    --out "$out/deepmr"
echo "deepmr_world.sh: results in $out/deepmr (summary.md)" >&2
