#!/bin/bash
# Remakes the default data shipped in data/ (deterministic: same bytes each time):
#   default.dataset.safetensors + .genes.tsv  simulate-epigenome (600 genes, 12 cell types) -> prepare
#   default.truth.json                        the planted rules and per-gene truth
#   default.model.safetensors                 a PECNN trained on it in PyTorch (train_default_model.py;
#                                             about 10 minutes; --skip-model keeps the existing one)
# Usage: data/make_default.sh [--skip-model] [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
skip_model=false
if [ "${1:-}" = "--skip-model" ]; then
    skip_model=true
    shift
fi
causeway=$(cd "${1:-$root/build}" && pwd)/cli/causeway
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Relative paths: prepare records its inputs in the dataset's metadata, which must not name a temporary folder.
cd "$work"
"$causeway" simulate-epigenome --out sim --genes 600 --cells 12 --seed 1
"$causeway" prepare --manifest sim/tracks.tsv --genes sim/genes.gtf --expression sim/tpm.tsv --out default.dataset.safetensors
mv default.dataset.safetensors default.dataset.genes.tsv "$root/data/"
cp sim/truth.json "$root/data/default.truth.json"
if ! $skip_model; then
    /usr/bin/python3 "$root/data/train_default_model.py" "$root/data/default.dataset.safetensors" \
        "$root/data/default.model.safetensors"
fi
