#!/bin/bash
# End-to-end tests of causeway train and evaluate: usage, resume to the same bytes, determinism, bad input
# (clear message, exit 1, nothing left behind), evaluate's outputs, and the acceptance run on the shipped
# default data (train with the defaults: held-out mean Pearson >= 0.80, clearly above the ridge baseline).
# Usage: cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
data=$root/data/default.dataset.safetensors
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CAUSEWAY_QUIET=1

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
# run EXPECTED_STATUS cmd...: runs with stdout/stderr captured in $work/out, $work/err
run() {
    local expected=$1
    shift
    "$@" >"$work/out" 2>"$work/err"
    local status=$?
    [ "$status" -eq "$expected" ] || fail "exit $status, expected $expected: $*; stderr: $(head -c 800 "$work/err")"
}
contains() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(head -c 800 "$1")"; }
absent() { for f in "$@"; do [ ! -e "$f" ] || fail "$f was left behind"; done; }
no_temporaries() { [ -z "$(find "$work" -name '*.tmp*')" ] || fail "temporary files left: $(find "$work" -name '*.tmp*')"; }
# A small network so that a few epochs take seconds.
small=(--hidden 8 --depth 1 --dilations 1 --kernel 5)
# column VALUE of the row whose first field is ROW in a TSV with a header
field() { awk -F'\t' -v row="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } $1 == row { print $c[col] }' "$1"; }

case $case_name in
usage)
    run 0 "$causeway" --help
    contains "$work/out" "train"
    contains "$work/out" "evaluate"
    run 0 "$causeway" train --help
    contains "$work/out" "--batch INT:INT in [1 - 65536]=64"
    contains "$work/out" "--train-chroms TEXT=chr1-chr12"
    contains "$work/out" "--valid-chroms TEXT=chr13"
    contains "$work/out" "--lr FLOAT:POSITIVE=0.001"
    contains "$work/out" "--resume"
    run 0 "$causeway" evaluate --help
    contains "$work/out" "--test-chroms"
    run 1 "$causeway" train --out "$work/m.safetensors"
    contains "$work/err" "--dataset is required"
    run 1 "$causeway" train --dataset "$data" --out "$work/m.safetensors" --lr-schedule linear
    contains "$work/err" "Usage: causeway train"
    ;;
resume)
    # 4 epochs in one run against 2 epochs, then --resume to 4; a step schedule changes the learning rate
    # at every epoch, so the resumed run must also restore the epoch and Adam's step count.
    opts=("${small[@]}" --dataset "$data" --seed 5 --lr-schedule step --lr-step 1 --lr-gamma 0.7 --patience 0)
    run 0 "$causeway" train "${opts[@]}" --epochs 4 --out "$work/whole.safetensors"
    run 0 "$causeway" train "${opts[@]}" --epochs 2 --out "$work/part.safetensors"
    [ "$(wc -l <"$work/part.log.tsv")" -eq 3 ] || fail "log after 2 epochs: $(cat "$work/part.log.tsv")"
    cmp -s "$work/whole.safetensors" "$work/part.safetensors" && fail "2 and 4 epochs gave the same model"
    run 0 "$causeway" train "${opts[@]}" --epochs 4 --out "$work/part.safetensors" --resume
    cmp "$work/whole.safetensors" "$work/part.safetensors" || fail "resumed run differs from the uninterrupted one"
    contains "$work/part.log.tsv" "epoch	train_loss	valid_loss	lr	seconds"
    [ "$(wc -l <"$work/part.log.tsv")" -eq 5 ] || fail "log after resume: $(cat "$work/part.log.tsv")"
    [ "$(cut -f1 "$work/part.log.tsv" | tr '\n' ' ')" = "epoch 1 2 3 4 " ] || fail "log epochs: $(cat "$work/part.log.tsv")"
    cut -f2-4 "$work/whole.log.tsv" >"$work/whole.cols"
    cut -f2-4 "$work/part.log.tsv" >"$work/part.cols"
    cmp -s "$work/whole.cols" "$work/part.cols" || fail "logs differ: $(paste "$work/whole.cols" "$work/part.cols")"
    # Early stopping across a resume: this run is best at epoch 2 and stops after epoch 3, so the resumed
    # run must restore the best parameters and the patience count from the checkpoint of epoch 2.
    es=("${small[@]}" --dataset "$data" --seed 9 --lr 0.02 --patience 1)
    run 0 "$causeway" train "${es[@]}" --epochs 6 --out "$work/es_whole.safetensors"
    contains "$work/err" "(stopped early)"
    run 0 "$causeway" train "${es[@]}" --epochs 2 --out "$work/es_part.safetensors"
    run 0 "$causeway" train "${es[@]}" --epochs 6 --out "$work/es_part.safetensors" --resume
    cmp "$work/es_whole.safetensors" "$work/es_part.safetensors" || fail "early-stopping run differs after resume"
    # Resuming with other settings is refused, naming the setting.
    run 1 "$causeway" train "${opts[@]}" --epochs 6 --lr 0.01 --out "$work/part.safetensors" --resume
    contains "$work/err" "--lr"
    contains "$work/err" "part.checkpoint.safetensors"
    run 1 "$causeway" train "${opts[@]}" --epochs 4 --out "$work/none.safetensors" --resume
    contains "$work/err" "no checkpoint to resume from"
    absent "$work/none.safetensors" "$work/none.log.tsv"
    no_temporaries
    ;;
determinism)
    opts=("${small[@]}" --dataset "$data" --epochs 2)
    run 0 "$causeway" train "${opts[@]}" --seed 3 --out "$work/a.safetensors"
    run 0 "$causeway" train "${opts[@]}" --seed 3 --out "$work/b.safetensors" --threads 1
    cmp "$work/a.safetensors" "$work/b.safetensors" || fail "same seed, different bytes (threads 1 vs all)"
    run 0 "$causeway" train "${opts[@]}" --seed 4 --out "$work/c.safetensors"
    cmp -s "$work/a.safetensors" "$work/c.safetensors" && fail "different seeds gave the same model"
    # The result is a model PyTorch's module reads: predict runs on it.
    run 0 "$causeway" predict --model "$work/a.safetensors" --dataset "$data" --out "$work/p.tsv"
    [ "$(wc -l <"$work/p.tsv")" -eq 7201 ] || fail "predictions: $(wc -l <"$work/p.tsv") lines"
    # --init continues from a model: 2 epochs from a's parameters differ from a and from a fresh run.
    run 0 "$causeway" train --dataset "$data" --epochs 2 --init "$work/a.safetensors" --out "$work/d.safetensors"
    cmp -s "$work/a.safetensors" "$work/d.safetensors" && fail "--init trained nothing"
    ;;
bad_input)
    out=$work/m.safetensors
    gone=("$out" "$work/m.checkpoint.safetensors" "$work/m.log.tsv")
    run 1 "$causeway" train --dataset "$data" --out "$out" --train-chroms chr1-chr12,chr30
    contains "$work/err" "causeway train: --train-chroms: no gene of the dataset lies on chr30"
    contains "$work/err" "default.dataset.genes.tsv"
    absent "${gone[@]}"
    run 1 "$causeway" train --dataset "$data" --out "$out" --train-chroms chr99-chr100
    contains "$work/err" "chr99-chr100"
    run 1 "$causeway" train --dataset "$data" --out "$out" --train-chroms ""
    contains "$work/err" "no gene with a known target"
    absent "${gone[@]}"
    run 1 "$causeway" train --dataset "$data" --out "$out" --valid-chroms chr12
    contains "$work/err" "overlap on chr12"
    absent "${gone[@]}"
    run 1 "$causeway" train --dataset "$data" --out "$out" --init "$root/tests/pecnn/fixtures/c5_depth3_dilated_max.model.safetensors"
    contains "$work/err" "marks"
    absent "${gone[@]}"
    run 1 "$causeway" train --dataset "$data" --out "$out" --init "$root/data/default.model.safetensors" --hidden 16
    contains "$work/err" "--hidden does not apply with --init"
    run 1 "$causeway" train --dataset "$data" --out "$out" --kernel 4
    contains "$work/err" "kernel"
    absent "${gone[@]}"
    run 1 "$causeway" train --dataset "$work/missing.safetensors" --out "$out"
    contains "$work/err" "missing.safetensors"
    absent "${gone[@]}"
    dir=$work/eval
    run 1 "$causeway" evaluate --model "$root/tests/pecnn/fixtures/c5_depth3_dilated_max.model.safetensors" --dataset "$data" --out "$dir"
    contains "$work/err" "the dataset's marks"
    absent "$dir"
    run 1 "$causeway" evaluate --model "$root/data/default.model.safetensors" --dataset "$data" --out "$dir" --train-chroms chr1-chr22 --valid-chroms chrX
    contains "$work/err" "no held-out gene"
    absent "$dir"
    run 1 "$causeway" evaluate --model "$root/data/default.model.safetensors" --dataset "$data" --out "$dir" --test-chroms chrZ
    contains "$work/err" "--test-chroms: no gene of the dataset lies on chrZ"
    absent "$dir"
    run 1 "$causeway" evaluate --model "$root/data/default.model.safetensors" --dataset "$data" --out "$dir" --valid-chroms ""
    contains "$work/err" "chooses its lambda on the validation chromosomes"
    absent "$dir"
    no_temporaries
    ;;
evaluate)
    dir=$work/eval
    run 0 "$causeway" evaluate --model "$root/data/default.model.safetensors" --dataset "$data" --out "$dir"
    contains "$work/err" "held-out genes; mean Pearson"
    contains "$dir/correlations.tsv" "cell_type	n	network_pearson	network_spearman	ridge_pearson	ridge_spearman"
    [ "$(wc -l <"$dir/correlations.tsv")" -eq 14 ] || fail "correlations.tsv: $(cat "$dir/correlations.tsv")"
    contains "$dir/correlations.tsv" "pluripotent_1	"
    contains "$dir/correlations.tsv" "mean	"
    [ "$(head -c 8 "$dir/correlations.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG"
    contains "$dir/correlations.svg" "<svg"
    [ "$(grep -c "	yes$" "$dir/ridge.tsv")" -eq 1 ] || fail "ridge.tsv: $(cat "$dir/ridge.tsv")"
    contains "$dir/predictions.tsv" "gene_id	chrom	cell_type	observed	network	ridge"
    # Held-out genes only: no training or validation chromosome in the predictions.
    ! cut -f2 "$dir/predictions.tsv" | grep -qxE "chr([1-9]|1[0-3])" || fail "a training gene among the held-out ones"
    # The same scores with the test chromosomes named explicitly.
    run 0 "$causeway" evaluate --model "$root/data/default.model.safetensors" --dataset "$data" --out "$work/eval2" --test-chroms chr14-chr22,chrX
    cmp "$dir/correlations.tsv" "$work/eval2/correlations.tsv" || fail "explicit --test-chroms changed the scores"
    no_temporaries
    ;;
acceptance)
    # The defaults on the shipped data: the paper's split, Adam 1e-3, batch 64, early stopping on chr13.
    run 0 "$causeway" train --dataset "$data" --out "$work/model.safetensors"
    run 0 "$causeway" evaluate --model "$work/model.safetensors" --dataset "$data" --out "$work/eval"
    cat "$work/eval/correlations.tsv"
    network=$(field "$work/eval/correlations.tsv" mean network_pearson)
    ridge=$(field "$work/eval/correlations.tsv" mean ridge_pearson)
    echo "mean held-out Pearson: network $network, ridge $ridge"
    awk -v n="$network" -v r="$ridge" 'BEGIN { exit !(n >= 0.80 && n >= r + 0.05) }' ||
        fail "mean held-out Pearson $network (ridge $ridge): below 0.80 or not clearly above the baseline"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "PASS [$case_name]"
