#!/bin/bash
# End-to-end tests of causeway train, evaluate, epigenesis and optimize: usage, resume to the same bytes, determinism, bad input
# (clear message, exit 1, nothing left behind), evaluate's outputs, and the acceptance run on the shipped
# default data (train with the defaults: held-out mean Pearson >= 0.80, clearly above the ridge baseline;
# epigenesis recovers every planted rule; optimize reaches 100-fold within 5% for >= 95% of genes).
# Usage: cli_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
data=$root/data/default.dataset.safetensors
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"
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
epigenesis)
    # The outputs on a few genes, the options and bad input (clear message, exit 1, nothing written).
    model=$root/data/default.model.safetensors
    dir=$work/epi
    run 0 "$causeway" epigenesis --help
    contains "$work/out" "--peak-value TEXT:{log1p20,raw20}=log1p20"
    contains "$work/out" "--scope TEXT:{all-cells,one-cell}=all-cells"
    contains "$work/out" "--background TEXT:{zero,gene-min}=zero"
    printf 'SIMG000001\n# a comment\nSIMG000002.1\n' >"$work/genes.txt"
    run 0 "$causeway" epigenesis --model "$model" --dataset "$data" --genes "@$work/genes.txt" --out "$dir" --heatmaps 1
    contains "$work/err" "2 genes, 252 forward evaluations"
    contains "$dir/epigenesis.tsv" "gene	mark	cell_type	position	predicted	delta"
    # 2 genes x 6 marks x 12 cell types x 20 positions, from -10000 to +9000 in 1 kb steps.
    [ "$(wc -l <"$dir/epigenesis.tsv")" -eq 2881 ] || fail "epigenesis.tsv: $(wc -l <"$dir/epigenesis.tsv") lines"
    [ "$(cut -f4 "$dir/epigenesis.tsv" | sed 1d | sort -un | tr '\n' ' ')" = "$(seq -10000 1000 9000 | tr '\n' ' ')" ] ||
        fail "positions: $(cut -f4 "$dir/epigenesis.tsv" | sort -u | tr '\n' ' ')"
    [ "$(wc -l <"$dir/aggregate.tsv")" -eq 121 ] || fail "aggregate.tsv: $(wc -l <"$dir/aggregate.tsv") lines"
    contains "$dir/aggregate.tsv" "mark	position	mean	sd	q25	median	q75	n"
    for f in "$dir/aggregate.png" "$dir/heatmaps/SIMG000001.7.png"; do
        [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG: $f"
    done
    contains "$dir/heatmaps/SIMG000001.7.svg" "<svg"
    [ ! -e "$dir/heatmaps/SIMG000002.1.png" ] || fail "--heatmaps 1 drew a second gene"
    [ ! -e "$dir/rules.tsv" ] || fail "rules.tsv without --truth"
    # --truth scores the aggregate against the planted rules: one row per rule of a perturbed mark.
    run 0 "$causeway" epigenesis --model "$model" --dataset "$data" --genes SIMG000001 --marks H3K4me3,H3K4me1 \
        --truth "$root/data/default.truth.json" --out "$work/truth" --heatmaps 0
    contains "$work/truth/rules.tsv" "mark	effect	region_begin	region_end	position	change	sign_ok	place_ok	margin	recovered"
    [ "$(cut -f1-4 "$work/truth/rules.tsv" | sed 1d | tr '\n' ' ')" = "H3K4me3	raises	-1500	2300 H3K4me1	lowers	-3000	3000 " ] ||
        fail "rules.tsv: $(cat "$work/truth/rules.tsv")"
    contains "$work/err" "planted rules recovered (margins: H3K4me3 "
    printf '{"marks": [{"mark": "H3K4me3", "effect": "sideways", "region_bp": [0, 1]}]}' >"$work/bad_truth.json"
    run 1 "$causeway" epigenesis --model "$model" --dataset "$data" --genes SIMG000001 --truth "$work/bad_truth.json" --out "$work/bad"
    contains "$work/err" "effect 'sideways' of H3K4me3 is neither raises nor lowers: $work/bad_truth.json"
    run 1 "$causeway" epigenesis --model "$model" --dataset "$data" --genes SIMG000001 --truth "$work/none.json" --out "$work/bad"
    contains "$work/err" "--truth: cannot read $work/none.json"
    # One cell type, one mark, the raw peak: only that cell type's rows.
    run 0 "$causeway" epigenesis --model "$model" --dataset "$data" --genes SIMG000001 --marks H3K4me3 \
        --cells blood_2 --scope one-cell --peak-value raw20 --background gene-min --out "$work/one" --heatmaps 0
    [ "$(wc -l <"$work/one/epigenesis.tsv")" -eq 21 ] || fail "one-cell: $(wc -l <"$work/one/epigenesis.tsv") lines"
    [ "$(cut -f2,3 "$work/one/epigenesis.tsv" | sed 1d | sort -u)" = "H3K4me3	blood_2" ] || fail "one-cell rows"
    run 1 "$causeway" epigenesis --model "$model" --dataset "$data" --genes NOPE1 --out "$work/bad"
    contains "$work/err" "--genes: NOPE1 is not a gene of the dataset"
    run 1 "$causeway" epigenesis --model "$model" --dataset "$data" --marks H3K99 --out "$work/bad"
    contains "$work/err" "--marks: 'H3K99' is not one of the dataset's"
    run 1 "$causeway" epigenesis --model "$model" --dataset "$data" --peak-bp 150 --out "$work/bad"
    contains "$work/err" "multiples of the dataset's bin size 100"
    run 1 "$causeway" epigenesis --model "$root/tests/pecnn/fixtures/c5_depth3_dilated_max.model.safetensors" --dataset "$data" --out "$work/bad"
    contains "$work/err" "the dataset's marks"
    absent "$work/bad"
    no_temporaries
    ;;
optimize)
    model=$root/data/default.model.safetensors
    dir=$work/opt
    run 0 "$causeway" optimize --help
    contains "$work/out" "--fold FLOAT:POSITIVE=100"
    contains "$work/out" "--method TEXT:{adam,gd}=adam"
    run 0 "$causeway" optimize --model "$model" --dataset "$data" --genes SIMG000001,SIMG000003 --cells blood_1,somatic_2 \
        --steps 20 --out "$dir" --heatmaps 1
    contains "$dir/achieved.tsv" "gene	cell_type	start	desired	achieved	start_tpm	desired_tpm	achieved_tpm	within_5pct"
    [ "$(wc -l <"$dir/achieved.tsv")" -eq 5 ] || fail "achieved.tsv: $(cat "$dir/achieved.tsv")"
    [ "$(wc -l <"$dir/loss.tsv")" -eq 22 ] || fail "loss.tsv: $(wc -l <"$dir/loss.tsv") lines"
    # 2 genes x 6 marks x 200 bins, a column per cell type; no edit below -W0 (W >= 0).
    [ "$(wc -l <"$dir/edits.tsv")" -eq 2401 ] || fail "edits.tsv: $(wc -l <"$dir/edits.tsv") lines"
    contains "$dir/edits.tsv" "gene	mark	bin	position	pluripotent_1"
    awk -F'\t' 'NR > 1 && $3 == 100 && $4 != 0 { exit 1 }' "$dir/edits.tsv" || fail "bin 100 is not at the TSS"
    # The loss falls.
    awk -F'\t' 'NR == 2 { a = $2 } END { exit !($2 < a) }' "$dir/loss.tsv" || fail "loss did not fall: $(cat "$dir/loss.tsv")"
    for f in "$dir/edits_mean.png" "$dir/heatmaps/SIMG000001.7.png"; do
        [ "$(head -c 8 "$f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || fail "not a PNG: $f"
    done
    # Same input, same bytes.
    run 0 "$causeway" optimize --model "$model" --dataset "$data" --genes SIMG000001,SIMG000003 --cells blood_1,somatic_2 \
        --steps 20 --out "$work/opt2" --heatmaps 0 --threads 1
    cmp "$dir/edits.tsv" "$work/opt2/edits.tsv" || fail "optimize is not deterministic"
    contains "$dir/genes.tsv" "gene	cell_types	reached	edited	edited_values	edit_l1"
    [ "$(wc -l <"$dir/genes.tsv")" -eq 3 ] || fail "genes.tsv: $(cat "$dir/genes.tsv")"
    # Without a penalty Adam edits every (mark, bin) entry; the other cell types' marks move too (they reach
    # the optimised ones through the invariant pooling). The counts against edits.tsv's non-zero values.
    [ "$(field "$dir/genes.tsv" SIMG000001.7 edited)" -eq 1200 ] || fail "edited entries: $(cat "$dir/genes.tsv")"
    nonzero=$(awk -F'\t' '$1 == "SIMG000001.7" { for (i = 5; i <= NF; i++) n += $i != 0 } END { print n }' "$dir/edits.tsv")
    [ "$(field "$dir/genes.tsv" SIMG000001.7 edited_values)" -eq "$nonzero" ] || fail "edited values: $(cat "$dir/genes.tsv") vs $nonzero"
    blood=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "blood_1") c = i; next }
        $1 == "SIMG000001.7" { n += $c != 0 } END { print n }' "$dir/edits.tsv")
    [ "$(awk -F'\t' '$1 == "SIMG000001.7" && $2 == "blood_1" { print $10 }' "$dir/achieved.tsv")" -eq "$blood" ] ||
        fail "achieved.tsv edited: $(cat "$dir/achieved.tsv") vs $blood"
    # --sparse: the L1 phase's support, then the refit; fewer entries edited, loss over both phases.
    run 0 "$causeway" optimize --model "$model" --dataset "$data" --genes SIMG000001,SIMG000003 --cells blood_1,somatic_2 \
        --steps 20 --refit-steps 30 --sparse --out "$work/sparse" --heatmaps 0
    [ "$(wc -l <"$work/sparse/loss.tsv")" -eq 52 ] || fail "sparse loss.tsv: $(wc -l <"$work/sparse/loss.tsv") lines"
    awk -F'\t' 'NR > 1 && $4 >= 1200 { exit 1 }' "$work/sparse/genes.tsv" || fail "--sparse edited everything: $(cat "$work/sparse/genes.tsv")"
    contains "$work/err" "(mark, bin) entries edited per gene"
    run 1 "$causeway" optimize --model "$model" --dataset "$data" --sparse --l1 0 --out "$work/bad"
    contains "$work/err" "--sparse needs --l1 above 0"
    # --targets: per gene and cell type, in the file's gene order; unlisted cell types stay free.
    printf 'gene\tcell_type\tlog1p_tpm\nSIMG000003\tblood_2\t4.5\nSIMG000001.7\tpluripotent_1\t0.5\nSIMG000003\tsomatic_1\t1\n' >"$work/targets.tsv"
    run 0 "$causeway" optimize --model "$model" --dataset "$data" --targets "$work/targets.tsv" --steps 20 --out "$work/targets" --heatmaps 0
    [ "$(cut -f1,2,4 "$work/targets/achieved.tsv" | sed 1d | tr '\n' ' ')" = "SIMG000003.4	somatic_1	1 SIMG000003.4	blood_2	4.5 SIMG000001.7	pluripotent_1	0.5 " ] ||
        fail "--targets achieved.tsv: $(cat "$work/targets/achieved.tsv")"
    printf 'gene\tcell_type\tfold\nSIMG000003\tblood_2\t10\n' >"$work/fold.tsv"
    run 0 "$causeway" optimize --model "$model" --dataset "$data" --targets "$work/fold.tsv" --steps 20 --out "$work/fold" --heatmaps 0
    awk -F'\t' 'NR == 2 { d = $7 / $6; exit !(d > 9.999 && d < 10.001) }' "$work/fold/achieved.tsv" ||
        fail "fold targets: $(cat "$work/fold/achieved.tsv")"
    printf 'gene\tcell_type\tlog1p_tpm\nSIMG000003\tblood_2\t4.5\nNOPE7\tblood_2\t1\n' >"$work/bad_gene.tsv"
    run 1 "$causeway" optimize --model "$model" --dataset "$data" --targets "$work/bad_gene.tsv" --out "$work/bad"
    contains "$work/err" "causeway optimize: --targets: gene 'NOPE7' is not a gene of the dataset"
    contains "$work/err" "$work/bad_gene.tsv:3"
    printf 'gene\tcell_type\tlog1p_tpm\nSIMG000003\tliver\t4.5\n' >"$work/bad_cell.tsv"
    run 1 "$causeway" optimize --model "$model" --dataset "$data" --targets "$work/bad_cell.tsv" --out "$work/bad"
    contains "$work/err" "--targets: cell type 'liver' is not one of the dataset's"
    contains "$work/err" "$work/bad_cell.tsv:2"
    run 1 "$causeway" optimize --model "$model" --dataset "$data" --targets "$work/targets.tsv" --fold 10 --out "$work/bad"
    contains "$work/err" "excludes"
    run 1 "$causeway" optimize --model "$model" --dataset "$data" --cells liver --out "$work/bad"
    contains "$work/err" "--cells: 'liver' is not one of the dataset's"
    run 1 "$causeway" optimize --model "$model" --dataset "$data" --fold 0 --out "$work/bad"
    contains "$work/err" "--fold"
    absent "$work/bad"
    no_temporaries
    ;;
epigenesis_acceptance)
    # The aggregate over the shipped default data and model recovers every planted rule of truth.json: the
    # mean change of largest size has the rule's sign and lies where the rule acts (the peak overlaps the
    # rule's region: the TSS for the promoter marks, the gene body for H3K36me3). Checked here independently
    # of the command's own scoring (rules.tsv, which must agree), with each rule's margin (its largest
    # right-signed change in the region over the largest change anywhere else) and, so that a recovery is
    # not an accident of the 600 genes drawn, the share of 200 bootstrap resamples of the genes that recover
    # it (at least 95% for every rule).
    run 0 "$causeway" epigenesis --model "$root/data/default.model.safetensors" --dataset "$data" --out "$work/epi" \
        --heatmaps 0 --truth "$root/data/default.truth.json"
    /usr/bin/python3 - "$root/data/default.truth.json" "$work/epi" <<'PY' || fail "a planted rule was not recovered"
import csv, json, random, sys
from collections import defaultdict
truth, folder = json.load(open(sys.argv[1])), sys.argv[2]
rows = list(csv.DictReader(open(folder + "/aggregate.tsv"), delimiter="\t"))
scored = {r["mark"]: r for r in csv.DictReader(open(folder + "/rules.tsv"), delimiter="\t")}
# Per gene, mark and position: the sum of the change over cell types, for the bootstrap.
per_gene = defaultdict(lambda: defaultdict(float))
for r in csv.DictReader(open(folder + "/epigenesis.tsv"), delimiter="\t"):
    per_gene[r["gene"]][(r["mark"], int(r["position"]))] += float(r["delta"])
genes = sorted(per_gene)

def judge(rule, mean):  # mean: position -> mean change; returns (recovered, margin, best position, change)
    lo, hi = rule["region_bp"]
    sign = 1 if rule["effect"] == "raises" else -1
    pos = max(mean, key=lambda p: abs(mean[p]))
    inside = lambda p: p < hi and p + 1000 > lo
    right = max([abs(v) for p, v in mean.items() if inside(p) and sign * v > 0] or [0])
    other = max([abs(v) for p, v in mean.items() if not (inside(p) and sign * v > 0)] or [0])
    return sign * mean[pos] > 0 and inside(pos), right / other, pos, mean[pos]

rng, ok = random.Random(1), True
draws = [[rng.randrange(len(genes)) for _ in genes] for _ in range(200)]
for rule in truth["marks"]:
    mark = rule["mark"]
    mean = {int(r["position"]): float(r["mean"]) for r in rows if r["mark"] == mark}
    recovered, margin, pos, change = judge(rule, mean)
    positions = sorted(mean)
    stable = 0
    for draw in draws:
        sums = dict.fromkeys(positions, 0.0)
        for g in draw:
            sums_g = per_gene[genes[g]]
            for p in positions:
                sums[p] += sums_g[(mark, p)]
        stable += judge(rule, sums)[0]
    share = stable / len(draws)
    mine = scored.get(mark)
    agrees = mine is not None and (mine["recovered"] == "yes") == recovered and int(mine["position"]) == pos and \
        abs(float(mine["margin"]) - margin) <= 1e-3 * margin
    ok &= recovered and share >= 0.95 and agrees
    lo, hi = rule["region_bp"]
    print(f"{mark}: planted {rule['effect']} over [{lo}, {hi}] bp; largest mean change {change:+.4f} at "
          f"[{pos}, {pos + 1000}) bp: {'recovered' if recovered else 'NOT RECOVERED'}, margin {margin:.2f}, "
          f"recovered in {share:.1%} of bootstrap resamples of the genes; rules.tsv {'agrees' if agrees else 'DISAGREES'}")
sys.exit(0 if ok else 1)
PY
    cat "$work/err"
    ;;
optimize_acceptance)
    # 100-fold the predicted expression of every cell type for 60 genes (every tenth of the default data).
    # Without a penalty (as the paper), >= 95% of genes reach it within 5% in TPM in every cell type, but Adam
    # spreads small edits over every (mark, bin) entry. With --sparse (an L1 phase choosing the entries, then
    # a refit on those alone; every twentieth gene) >= 95% reach the target too, the median gene edits at most
    # a quarter of its (mark, bin) entries (measured: 22%, the largest 33%; 100% without the penalty) and none
    # more than 40%, and the 10 largest mean edits lie where a planted activating rule acts (H3K4me3/H3K27ac
    # at the TSS, H3K36me3 over the gene body).
    seq -f 'SIMG%06g' 1 10 600 >"$work/genes.txt"
    run 0 "$causeway" optimize --model "$root/data/default.model.safetensors" --dataset "$data" --genes "@$work/genes.txt" \
        --out "$work/opt" --heatmaps 0
    cat "$work/err"
    seq -f 'SIMG%06g' 1 20 600 >"$work/genes30.txt"
    run 0 "$causeway" optimize --model "$root/data/default.model.safetensors" --dataset "$data" --genes "@$work/genes30.txt" \
        --out "$work/opt_sparse" --heatmaps 0 --sparse
    cat "$work/err"
    check() {
        /usr/bin/python3 - "$root/data/default.truth.json" "$1" "$2" <<'PY'
import csv, json, sys
from collections import defaultdict
truth, folder, mode = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
if mode == "reach":
    genes = defaultdict(list)
    for r in csv.DictReader(open(folder + "/achieved.tsv"), delimiter="\t"):
        genes[r["gene"]].append(r["within_5pct"] == "yes")
    share = sum(all(v) for v in genes.values()) / len(genes)
    print(f"genes within 5% of the TPM target in every cell type: {share:.1%} of {len(genes)}")
    sys.exit(0 if share >= 0.95 else 1)
if mode == "sparse":
    # Entries edited per gene, counted here from edits.tsv: a (mark, bin) with any cell type's edit non-zero.
    edited, entries = defaultdict(int), defaultdict(int)
    for r in csv.DictReader(open(folder + "/edits.tsv"), delimiter="\t"):
        entries[r["gene"]] += 1
        edited[r["gene"]] += any(float(v) != 0 for k, v in r.items() if k not in ("gene", "mark", "bin", "position"))
    shares = sorted(edited[g] / entries[g] for g in entries)
    reported = {r["gene"]: int(r["edited"]) for r in csv.DictReader(open(folder + "/genes.tsv"), delimiter="\t")}
    median = shares[len(shares) // 2]
    print(f"(mark, bin) entries edited per gene: median {median:.1%}, largest {shares[-1]:.1%} of {max(entries.values())}")
    sys.exit(0 if median <= 0.25 and shares[-1] <= 0.40 and reported == dict(edited) else 1)
# The mean edit per mark and bin over genes and cell types; the 10 largest against the activating rules.
total, count = defaultdict(float), defaultdict(int)
for r in csv.DictReader(open(folder + "/edits.tsv"), delimiter="\t"):
    values = [float(v) for k, v in r.items() if k not in ("gene", "mark", "bin", "position")]
    total[(r["mark"], int(r["position"]))] += sum(values) / len(values)
    count[(r["mark"], int(r["position"]))] += 1
regions = {m["mark"]: m["region_bp"] for m in truth["marks"] if m["effect"] == "raises"}
top = sorted(((total[k] / count[k], k) for k in total), reverse=True)[:10]
inside = 0
for v, (mark, pos) in top:
    lo, hi = regions.get(mark, (1, 0))
    hit = lo <= pos + 50 <= hi
    inside += hit
    print(f"  {mark} bin at {pos:+d} bp: mean edit {v:+.4f} ({'inside' if hit else 'OUTSIDE'} an activating rule's region)")
sys.exit(0 if inside == len(top) else 1)
PY
    }
    check "$work/opt" reach || fail "fewer than 95% of genes reached the target within 5%"
    check "$work/opt_sparse" reach || fail "--sparse: fewer than 95% of genes reached the target within 5%"
    check "$work/opt_sparse" sparse || fail "--sparse: the edits are not sparse"
    check "$work/opt_sparse" place || fail "--sparse: the largest edits are not where an activating rule acts"
    ;;
main_job)
    # scripts/main_job.sh end to end on a reduced world (120 genes, a small network, 3 epochs, a few genes
    # for epigenesis and optimize): every step's command line is valid, each writes its subfolder, and the
    # summary reads the headline numbers back. A failing step stops the job, naming it.
    run 0 env CAUSEWAY="$causeway" THREADS=2 bash "$root/scripts/main_job.sh" --genes 120 --epochs 3 --small \
        --epigenesis-genes 12 --optimize-genes 4 --optimize-steps 20 --refit-steps 20 --deepmr none "$work/job"
    cat "$work/out"
    for f in simulate/truth.json prepare/dataset.safetensors prepare/dataset.genes.tsv train/model.safetensors \
        evaluate/correlations.tsv evaluate/correlations.png epigenesis/aggregate.png epigenesis/rules.tsv \
        optimize/genes.tsv optimize/edits_mean.png; do
        [ -s "$work/job/$f" ] || fail "main job: no $f"
    done
    [ "$(ls "$work/job/optimize/heatmaps/"*.png | wc -l)" -eq 4 ] || fail "optimize heatmaps: $(ls "$work/job/optimize/heatmaps")"
    [ "$(sed 1d "$work/job/epigenesis/rules.tsv" | wc -l)" -eq 6 ] || fail "rules.tsv: $(cat "$work/job/epigenesis/rules.tsv")"
    [ "$(sed 1d "$work/job/optimize/genes.tsv" | wc -l)" -eq 4 ] || fail "optimize genes: $(cat "$work/job/optimize/genes.tsv")"
    contains "$work/out" "evaluate:   mean held-out Pearson"
    contains "$work/out" "epigenesis: "
    contains "$work/out" "of 6 planted rules recovered in sign and place"
    contains "$work/out" "optimize:   100-fold reached within 5% in every cell type for "
    contains "$work/out" "of 4 genes"
    contains "$work/err" "== [6/6] optimize"
    # The same world from the same seed: the dataset is the same bytes.
    run 0 "$causeway" simulate-epigenome --out "$work/sim" --genes 120 --cells 12 --seed 1
    cmp -s "$work/sim/tpm.tsv" "$work/job/simulate/tpm.tsv" || fail "main job's world differs from simulate-epigenome's"
    run 1 env CAUSEWAY="$causeway" bash "$root/scripts/main_job.sh" --genes 0 "$work/job2"
    contains "$work/err" "main_job: FAILED at step 1 (simulate-epigenome)"
    run 1 env CAUSEWAY="$work/none" bash "$root/scripts/main_job.sh" "$work/job3"
    contains "$work/err" "no causeway binary at $work/none"
    ;;
*)
    fail "unknown case"
    ;;
esac
echo "PASS [$case_name]"
