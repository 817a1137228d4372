#!/bin/bash
# causeway train-seq and evaluate-seq from the command line on a planted-motif genome: the model learns the
# motifs (held-out AUROC > 0.9 on the test chromosome), PyTorch loads the model file, --resume gives the same
# bytes as an uninterrupted run, and every bad input fails with a clear message and leaves nothing behind.
# Usage: train_seq_cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"

# Three chromosomes of 100-base regions (chr1 trains, chr3 validates, chr2 is held out). Task AP1 is 1 where
# TGACTCA was planted, task GATA where AGATAA was; each independently in about half the regions.
/usr/bin/python3 - "$work" <<'PY'
import random, sys
work = sys.argv[1]
rng = random.Random(7)
fasta, fai, bed, labels, offset = [], [], [], ["region\tAP1\tGATA"], 0
for chrom, n in (("chr1", 1600), ("chr2", 400), ("chr3", 300)):
    seq = []
    for i in range(n):
        s = [rng.choice("ACGT") for _ in range(100)]
        ap1, gata = rng.random() < 0.5, rng.random() < 0.45
        if ap1:
            at = rng.randrange(10, 40)
            s[at:at + 7] = "TGACTCA"
        if gata:
            at = rng.randrange(55, 85)
            s[at:at + 6] = "AGATAA"
        seq.append("".join(s))
        name = f"{chrom}_r{i}"
        bed.append(f"{chrom}\t{i * 100}\t{i * 100 + 100}\t{name}")
        labels.append(f"{name}\t{int(ap1)}\t{int(gata)}")
    seq = "".join(seq)
    header = f">{chrom}\n"
    fai.append(f"{chrom}\t{len(seq)}\t{offset + len(header)}\t{len(seq)}\t{len(seq) + 1}")
    fasta.append(header + seq + "\n")
    offset += len(header) + len(seq) + 1
open(f"{work}/genome.fa", "w").write("".join(fasta))
open(f"{work}/genome.fa.fai", "w").write("\n".join(fai) + "\n")
open(f"{work}/regions.bed", "w").write("\n".join(bed) + "\n")
open(f"{work}/labels.tsv", "w").write("\n".join(labels) + "\n")
PY

# A small model: it learns two motifs in seconds.
model=(--length 100 --channels 16,16 --kernel 8,5 --pools 4,none --dense 16 --dropout 0.1 --batch 32)
small=("${model[@]}" --lr 3e-3 --valid-chroms chr3 --test-chroms chr2)
seed=5
train() { run "$1" "$causeway" train-seq --fasta "$work/genome.fa" --regions "$work/regions.bed" --seed "$seed" "${@:2}"; }

case $case_name in
usage)
    run 0 "$causeway" --help
    contains "$work/out" "train-seq"
    contains "$work/out" "evaluate-seq"
    run 0 "$causeway" train-seq --help
    contains "$work/out" "--resume"
    contains "$work/out" "global"
    run 0 "$causeway" evaluate-seq --help
    contains "$work/out" "--test-chroms"
    ;;
learns)
    train 0 --labels "$work/labels.tsv" --out "$work/m.safetensors" "${small[@]}" --epochs 8
    [ -s "$work/m.safetensors" ] || fail "no model written"
    contains "$work/m.log.tsv" "epoch	train_loss	valid_loss	lr	seconds"
    run 0 "$causeway" evaluate-seq --model "$work/m.safetensors" --fasta "$work/genome.fa" \
        --regions "$work/regions.bed" --labels "$work/labels.tsv" --test-chroms chr2 --out "$work/metrics.tsv"
    contains "$work/metrics.tsv" "task	positives	negatives	auroc	auprc"
    awk -F'\t' 'NR > 1 && $1 != "mean" { if ($4 + 0 <= 0.9 || $2 + $3 != 400) bad = bad " " $0 } END { exit bad != "" }' \
        "$work/metrics.tsv" || fail "held-out AUROC not above 0.9 on 400 regions: $(cat "$work/metrics.tsv")"
    # PyTorch loads the model file as tests/seqcnn/seqcnn_reference.py's module and agrees on a prediction.
    if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        /usr/bin/python3 - "$root" "$work/m.safetensors" <<'PY' || fail "PyTorch could not load the model"
import sys
sys.path.insert(0, sys.argv[1] + "/tests/seqcnn")
import torch
from seqcnn_reference import load_seqcnn
model, tasks = load_seqcnn(sys.argv[2])
assert tasks == ["AP1", "GATA"], tasks
model.eval()
x = torch.zeros(1, 4, 100)
x[0, [0, 1, 2, 3] * 25, range(100)] = 1
p = model(x)
assert p.shape == (1, 2) and torch.all((p > 0) & (p < 1)), p
PY
    fi
    ;;
resume)
    train 0 --labels "$work/labels.tsv" --out "$work/full.safetensors" "${small[@]}" --epochs 3 --patience 0
    train 0 --labels "$work/labels.tsv" --out "$work/part.safetensors" "${small[@]}" --epochs 1 --patience 0
    train 0 --labels "$work/labels.tsv" --out "$work/part.safetensors" "${small[@]}" --epochs 3 --patience 0 --resume
    cmp "$work/full.safetensors" "$work/part.safetensors" || fail "--resume differs from an uninterrupted run"
    cmp "$work/full.checkpoint.safetensors" "$work/part.checkpoint.safetensors" >/dev/null ||
        cut -f1-4 "$work/full.log.tsv" | cmp - <(cut -f1-4 "$work/part.log.tsv") || fail "the logs differ"
    train 0 --labels "$work/labels.tsv" --out "$work/again.safetensors" "${small[@]}" --epochs 3 --patience 0
    cmp "$work/full.safetensors" "$work/again.safetensors" || fail "the same seed gave different bytes"
    seed=6 train 0 --labels "$work/labels.tsv" --out "$work/other.safetensors" "${small[@]}" --epochs 3 --patience 0
    cmp -s "$work/full.safetensors" "$work/other.safetensors" && fail "another seed gave the same model"
    # A resumed run must have the same settings.
    train 1 --labels "$work/labels.tsv" --out "$work/part.safetensors" "${small[@]}" --epochs 4 --patience 2 --resume
    contains "$work/err" "--resume: the checkpoint was written with --patience 0, this run has 2"
    ;;
bad_input)
    no_model() { [ ! -e "$work/bad.safetensors" ] || fail "a model was left behind after an error"; }
    # A region without labels.
    grep -v '^chr1_r17	' "$work/labels.tsv" >"$work/missing.tsv"
    train 1 --labels "$work/missing.tsv" --out "$work/bad.safetensors" "${small[@]}"
    contains "$work/err" "causeway train-seq: region 'chr1_r17'"
    contains "$work/err" "regions.bed:18"
    contains "$work/err" "missing.tsv"
    no_model
    # A label other than 0 or 1.
    sed '5s/	1$/	2/; 5s/	0$/	0.5/' "$work/labels.tsv" >"$work/nonbinary.tsv"
    train 1 --labels "$work/nonbinary.tsv" --out "$work/bad.safetensors" "${small[@]}"
    contains "$work/err" "a label must be 0 or 1"
    contains "$work/err" "nonbinary.tsv:5"
    no_model
    # A repeated region in the label table.
    sed -n '2p' "$work/labels.tsv" | cat "$work/labels.tsv" - >"$work/repeated.tsv"
    train 1 --labels "$work/repeated.tsv" --out "$work/bad.safetensors" "${small[@]}"
    contains "$work/err" "appears twice in the label table"
    no_model
    # No region column.
    sed '1s/^region/name/' "$work/labels.tsv" >"$work/noregion.tsv"
    train 1 --labels "$work/noregion.tsv" --out "$work/bad.safetensors" "${small[@]}"
    contains "$work/err" "region"
    contains "$work/err" "noregion.tsv"
    no_model
    # A chromosome the genome lacks.
    { cat "$work/regions.bed"; printf 'chr9\t0\t100\tchr9_r0\n'; } >"$work/unknown.bed"
    run 1 "$causeway" train-seq --fasta "$work/genome.fa" --regions "$work/unknown.bed" --labels "$work/labels.tsv" \
        --out "$work/bad.safetensors" "${small[@]}"
    contains "$work/err" "chr9"
    contains "$work/err" "unknown.bed:2301"
    no_model
    # A validation chromosome without regions; a per-layer list of the wrong length.
    train 1 --labels "$work/labels.tsv" --out "$work/bad.safetensors" "${model[@]}" --valid-chroms chr7
    contains "$work/err" "--valid-chroms chr7: no region"
    train 1 --labels "$work/labels.tsv" --out "$work/bad.safetensors" --length 100 --channels 8,8 --pools 4,4,4
    contains "$work/err" "--pools has 3 values for 2 layers"
    no_model
    # evaluate-seq: a model task missing from the labels.
    cut -f1,2 "$work/labels.tsv" >"$work/one_task.tsv"
    train 0 --labels "$work/one_task.tsv" --out "$work/one.safetensors" "${small[@]}" --epochs 1
    run 1 "$causeway" evaluate-seq --model "$work/one.safetensors" --fasta "$work/genome.fa" \
        --regions "$work/regions.bed" --labels "$work/missing.tsv" --test-chroms chr2 --out "$work/metrics.tsv"
    contains "$work/err" "chr1_r17"
    [ ! -e "$work/metrics.tsv" ] || fail "metrics left behind after an error"
    ;;
*)
    fail "unknown case"
    ;;
esac
