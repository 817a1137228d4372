#!/bin/bash
# End-to-end tests of the causeway command line: usage conventions, golden predictions against PyTorch,
# bad input (clear message, exit 1, no output left behind), determinism, and the round trip to PyTorch.
# Usage: cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
fixtures=$root/tests/pecnn/fixtures
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"
# Numeric comparison of two predictions TSVs: identical text columns, predictions within 1e-5 relative
# (to max(|expected|, 0.1)).
same_predictions() {
    awk -F'\t' 'NR == FNR { line[FNR] = $0; n = FNR; next }
        {
            split(line[FNR], e, "\t")
            if (FNR == 1) { if ($0 != line[1]) { print "header: " $0; bad = 1 }; next }
            if ($1 != e[1] || $2 != e[2] || $3 != e[3] || $5 != e[5]) { print "row " FNR ": " $0 " vs " line[FNR]; bad = 1 }
            d = $4 - e[4]; if (d < 0) d = -d
            s = e[4] < 0 ? -e[4] : e[4]; if (s < 0.1) s = 0.1
            if (d > 1e-5 * s) { print "row " FNR ": predicted " $4 " vs " e[4]; bad = 1 }
            rows = FNR
        }
        END { if (rows != n) { print "rows " rows " vs " n; bad = 1 }; exit bad }' "$2" "$1" || fail "$1 differs from $2"
}

case $case_name in
usage)
    run 1 "$causeway"
    contains "$work/err" "Usage: causeway <command>"
    run 0 "$causeway" --help
    contains "$work/out" "predict"
    contains "$work/out" "init-model"
    run 0 "$causeway" help predict
    contains "$work/out" "--dataset"
    run 0 "$causeway" predict --help
    contains "$work/out" "--batch INT:INT in [1 - 65536]=256"
    run 0 "$causeway" init-model --help
    contains "$work/out" "--hidden INT:INT in [1 - 4096]=32"
    contains "$work/out" "H3K36me3,H3K27me3,H3K27ac,H3K4me1,H3K4me3,H3K9me3"
    run 1 "$causeway" predict --bogus
    contains "$work/err" "causeway predict:"
    contains "$work/err" "Usage: causeway predict"
    run 1 "$causeway" predict
    contains "$work/err" "--model is required"
    run 1 "$causeway" frobnicate
    contains "$work/err" "unknown command 'frobnicate'"
    run 0 "$causeway" --version
    contains "$work/out" "causeway "
    ;;
predict_golden)
    for name in c1_depth1_mean c5_depth3_dilated_max c12_depth2_mean c12_depth2_max_k3; do
        run 0 "$causeway" predict --model "$fixtures/$name.model.safetensors" \
            --dataset "$fixtures/$name.dataset.safetensors" --out "$work/$name.tsv"
        same_predictions "$work/$name.tsv" "$fixtures/$name.predictions.tsv"
    done
    # "-" is stdout, and the run summary goes to stderr only.
    unset CAUSEWAY_QUIET
    run 0 "$causeway" predict -m "$fixtures/c1_depth1_mean.model.safetensors" \
        -d "$fixtures/c1_depth1_mean.dataset.safetensors" -o -
    same_predictions "$work/out" "$fixtures/c1_depth1_mean.predictions.tsv"
    contains "$work/err" "[causeway predict] version"
    contains "$work/err" "peak memory"
    ;;
predict_bad_input)
    printf 'garbage' >"$work/bad.safetensors"
    run 1 "$causeway" predict --model "$work/bad.safetensors" \
        --dataset "$fixtures/c1_depth1_mean.dataset.safetensors" --out "$work/p.tsv"
    contains "$work/err" "causeway predict: not a safetensors file"
    contains "$work/err" "$work/bad.safetensors"
    [ ! -e "$work/p.tsv" ] || fail "output left behind after an error"
    [ -z "$(ls "$work" | grep -v bad.safetensors | grep -v -E '^(out|err)$')" ] || fail "temporary files left: $(ls "$work")"
    # A model whose marks differ from the dataset's.
    run 1 "$causeway" predict --model "$fixtures/c5_depth3_dilated_max.model.safetensors" \
        --dataset "$fixtures/c1_depth1_mean.dataset.safetensors" --out "$work/p.tsv"
    contains "$work/err" "marks"
    [ ! -e "$work/p.tsv" ] || fail "output left behind after an error"
    run 1 "$causeway" predict --model "$fixtures/c1_depth1_mean.model.safetensors" \
        --dataset "$work/missing.safetensors" --out "$work/p.tsv"
    contains "$work/err" "cannot open $work/missing.safetensors"
    # An unwritable destination.
    run 1 "$causeway" predict --model "$fixtures/c1_depth1_mean.model.safetensors" \
        --dataset "$fixtures/c1_depth1_mean.dataset.safetensors" --out "/nonexistent-dir/p.tsv"
    contains "$work/err" "/nonexistent-dir/p.tsv"
    ;;
init_model)
    run 0 "$causeway" init-model --out "$work/a.safetensors" --seed 7
    run 0 "$causeway" init-model --out "$work/b.safetensors" --seed 7
    run 0 "$causeway" init-model --out "$work/c.safetensors" --seed 8
    cmp -s "$work/a.safetensors" "$work/b.safetensors" || fail "same seed, different bytes"
    cmp -s "$work/a.safetensors" "$work/c.safetensors" && fail "different seeds, same bytes"
    run 0 "$causeway" init-model --out "$work/d.safetensors" --hidden 20 --depth 3 --dilations 1,2,4 --kernel 5 \
        --pooling max --marks A,B,C --bins 50
    run 1 "$causeway" init-model --out "$work/e.safetensors" --kernel 4
    contains "$work/err" "kernel must be odd"
    [ ! -e "$work/e.safetensors" ] || fail "output left behind after an error"
    run 1 "$causeway" init-model --out "$work/e.safetensors" --depth 3 --dilations 1,2
    contains "$work/err" "2 dilations given for 3 equivariant layers"
    run 1 "$causeway" init-model --out "$work/e.safetensors" --pooling median
    contains "$work/err" "--pooling"
    ;;
pytorch_roundtrip)
    # causeway's model files load in PyTorch and predict the same (skipped without Debian's python3-torch).
    /usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "SKIP: /usr/bin/python3 has no torch"; exit 77; }
    for args in "--seed 3" "--seed 4 --hidden 20 --depth 3 --dilations 1,2,1 --kernel 5 --pooling max --bins 40 --marks H3K36me3,H3K27me3,H3K27ac,H3K4me1"; do
        # shellcheck disable=SC2086
        run 0 "$causeway" init-model --out "$work/m.safetensors" $args
        bins=$(echo "$args" | grep -o -- '--bins [0-9]*' | cut -d' ' -f2)
        case ${bins:-200} in
        40) name=c5_depth3_dilated_max ;;
        *) name=none ;;
        esac
        if [ "$name" = none ]; then
            # A dataset of the default shape, made by PyTorch's own writer.
            /usr/bin/python3 -c "
import sys; sys.path.insert(0, '$root/tests/pecnn')
import torch, pecnn_reference as r
torch.manual_seed(1)
x = torch.log1p(torch.rand(3, 4, 6, 200) * 5)
r.save_safetensors('$work/d.safetensors', {'inputs': x, 'targets': torch.rand(3, 4)},
    {'cell_types': 'a,b,c,d', 'marks': ','.join(r.MARK_NAMES), 'bin_size': 100, 'window': 10000})
open('$work/d.genes.tsv', 'w').write('gene_id\tchrom\ttss\tstrand\nG1\tchr1\t1\t+\nG2\tchr1\t2\t-\nG3\tchr2\t3\t+\n')
" || fail "making a dataset"
            dataset=$work/d.safetensors
        else
            dataset=$fixtures/$name.dataset.safetensors
        fi
        run 0 "$causeway" predict --model "$work/m.safetensors" --dataset "$dataset" --out "$work/ours.tsv"
        /usr/bin/python3 "$root/tests/pecnn/pecnn_reference.py" predict "$work/m.safetensors" "$dataset" \
            >"$work/theirs.tsv" || fail "PyTorch could not load causeway's model"
        paste <(tail -n +2 "$work/ours.tsv" | cut -f1,3,4) "$work/theirs.tsv" | awk -F'\t' '
            { if ($1 != $4 || $2 != $5) { print "key " $0; bad = 1 }
              d = $3 - $6; if (d < 0) d = -d; s = $6 < 0 ? -$6 : $6; if (s < 0.1) s = 0.1
              if (d > 1e-5 * s) { print "value " $0; bad = 1 } }
            END { exit bad }' || fail "causeway and PyTorch disagree"
    done
    ;;
default_data)
    # README's main job on the shipped default data: every gene and cell type predicted, and the shipped
    # model fits the held-out chromosomes (chr14 onwards and chrX; chr1-12 trained, chr13 validated).
    run 0 "$causeway" predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --out "$work/p.tsv"
    rows=$(($(wc -l <"$work/p.tsv") - 1))
    genes=$(($(wc -l <"$root/data/default.dataset.genes.tsv") - 1))
    [ "$rows" -eq $((genes * 12)) ] || fail "$rows rows for $genes genes x 12 cell types"
    awk -F'\t' 'NR > 1 && $5 != "NA" { c = $2; sub("chr", "", c); if (c == "X" || c + 0 > 13) {
            n++; sx += $4; sy += $5; sxx += $4 * $4; syy += $5 * $5; sxy += $4 * $5 } }
        END { r = (n * sxy - sx * sy) / sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
              printf "held-out Pearson %.3f over %d (gene, cell type) pairs\n", r, n; exit !(n > 500 && r >= 0.8) }' \
        "$work/p.tsv" || fail "the shipped model fits the held-out genes poorly"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "PASS [$case_name]"
