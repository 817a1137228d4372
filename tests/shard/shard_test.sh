#!/bin/bash
# Sharded batch runs end to end (issue 9): for each batch subcommand, `--shard K/N` for N = 2 and 3 merged by
# `causeway merge` gives the unsharded run's bytes; a Deep MR shard, an optimize run and an ism shard killed
# with SIGKILL and rerun give the uninterrupted run's bytes, computing only the unfinished units and removing
# the stale temporaries of their outputs; merge refuses shards that do not belong together, naming the file.
# Usage: shard_test.sh CASE CAUSEWAY_BINARY REPO_ROOT
set -u
case_name=$1
causeway=$2
root=$3
seq_model=$root/tests/seqcnn/fixtures/relu_same_dense3.model.safetensors # L = 37, dropout, 5 tasks
# shellcheck source=../cli_harness.sh
source "$(dirname "$0")/../cli_harness.sh"

same() { cmp -s "$1" "$2" || fail "$1 differs from $2"; }
# Every file of folder $1 but the manifest is in folder $2 with the same bytes, and the other way round.
# AtomicOutput's temporaries (NAME.tmp.XXXXXX) are not outputs: SIGKILL leaves the one being written.
same_folder() {
    local listing_a listing_b
    listing_a=$(cd "$1" && find . -type f ! -name manifest.json ! -name '*.tmp.??????' | sort)
    listing_b=$(cd "$2" && find . -type f ! -name manifest.json ! -name '*.tmp.??????' | sort)
    [ "$listing_a" = "$listing_b" ] || fail "$1 and $2 hold other files: $(diff <(echo "$listing_a") <(echo "$listing_b") | head -5)"
    while read -r f; do same "$1/$f" "$2/$f"; done <<<"$listing_a"
}

# merge_matches_whole RUN PREFIX TABLE [SAYS]: for N = 2 and 3, `RUN --out $work/PREFIXk.ofN --shard k/N` for
# every k (no shard may write TABLE, which only the whole run writes), then `causeway merge` into $work/mergedN,
# run from / (the shards' folder is in their manifests), must hold $work/all's files with the same bytes (and
# say SAYS on stderr).
merge_matches_whole() {
    local run=$1 prefix=$2 table=$3 says=${4:-} n k shards
    for n in 2 3; do
        shards=()
        for k in $(seq 1 "$n"); do
            "$run" --out "$work/$prefix$k.of$n" --shard "$k/$n"
            [ ! -e "$work/$prefix$k.of$n/$table" ] || fail "a shard wrote $table"
            shards+=("$work/$prefix$k.of$n")
        done
        (cd / && run 0 "$causeway" merge --out "$work/merged$n" "${shards[@]}") || exit 1
        [ -z "$says" ] || contains "$work/err" "$says"
        same_folder "$work/all" "$work/merged$n"
    done
}

# A small genome whose first TFs are renamed to the fixture model's tasks (as deepmr_cli_test.sh).
world() {
    run 0 "$causeway" simulate-genome --out "$work/world" --regions 300 --length 60 --tfs 3 --seed 4
    sed -i '1s/.*/region\tcell0|factor0\tcell1|factor1\tcell2|factor2\tcell0|factor3/' "$work/world/labels.tsv"
}
# The deepmr command line in $args (a background job must be causeway itself, so that $! is its pid).
deepmr_args() {
    args=(deepmr --model "$seq_model" --fasta "$work/world/genome.fa" --regions "$work/world/regions.bed"
        --labels "$work/world/labels.tsv" --exposures 'cell0|factor0,cell1|factor1' --outcome 'cell0|factor3'
        --regions-per-exposure "${regions_per_exposure:-5}" --samples "${samples:-5}" --seed 3 --naive-regions 50)
}
deepmr() {
    deepmr_args
    run "$1" "$causeway" "${args[@]}" "${@:2}"
}

# kill_and_resume UNIT_GLOB UNITS ARGS...: a shard `causeway ARGS` to whole.tsv, the same to killed.tsv
# SIGKILLed once killed.tsv.work holds 5 finished units (UNIT_GLOB), then rerun with a stale temporary planted:
# the rerun's stderr goes to $work/err, the units done before the kill to $done_before; the table must equal
# the uninterrupted one and nothing (work folder, temporaries) may be left.
kill_and_resume() {
    local glob=$1 units=$2
    shift 2
    "$causeway" "$@" --out "$work/whole.tsv" 2>"$work/err" || fail "$1 failed: $(head -c 800 "$work/err")"
    "$causeway" "$@" --out "$work/killed.tsv" 2>/dev/null &
    local pid=$!
    for _ in $(seq 1 1500); do
        [ "$(find "$work/killed.tsv.work" -name "$glob" 2>/dev/null | wc -l)" -ge 5 ] && break
        sleep 0.01
    done
    kill -KILL "$pid" 2>/dev/null || fail "the run ended before it could be killed: make it longer"
    wait "$pid"
    [ ! -e "$work/killed.tsv" ] && [ ! -e "$work/killed.tsv.manifest.json" ] || fail "a killed shard has outputs"
    done_before=$(find "$work/killed.tsv.work" -name "$glob" | wc -l)
    [ "$done_before" -lt "$units" ] || fail "killed after all $units units: make it longer"
    : >"$work/killed.tsv.tmp.Qq1Ww2"
    : >"$work/killed.tsv.work/${glob/\*/999}.tmp.Ab12Cd"
    (unset CAUSEWAY_QUIET && "$causeway" "$@" --out "$work/killed.tsv" 2>"$work/err") ||
        fail "the rerun failed: $(head -c 800 "$work/err")"
    same "$work/whole.tsv" "$work/killed.tsv"
    [ ! -e "$work/killed.tsv.work" ] || fail "the finished shard left its work folder"
    [ -z "$(find "$work" -maxdepth 1 -name '*.tmp.*')" ] || fail "stale temporaries left: $(ls "$work")"
}

case $case_name in
predict)
    # The shipped default model and dataset; a batch that does not divide the shards' gene blocks.
    predict() { run 0 "$causeway" predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --batch 7 "$@"; }
    predict --out "$work/all.tsv"
    for n in 2 3; do
        shards=()
        for k in $(seq 1 $n); do
            predict --out "$work/p$k.of$n.tsv" --shard "$k/$n"
            shards+=("$work/p$k.of$n.tsv")
        done
        # Any order on the command line.
        run 0 "$causeway" merge --out "$work/merged$n.tsv" $(printf '%s\n' "${shards[@]}" | sort -r)
        same "$work/all.tsv" "$work/merged$n.tsv"
        contains "$work/merged$n.tsv.manifest.json" '"merged_from"'
    done
    contains "$work/p1.of3.tsv.manifest.json" '"shard": "1/3"'
    contains "$work/p1.of3.tsv.manifest.json" '"checksum": "crc32:'
    contains "$work/p1.of3.tsv.manifest.json" '"code_path"'
    # An unsharded table is traceable too (its manifest says no shard); stdout has none.
    contains "$work/all.tsv.manifest.json" '"shard": null'
    contains "$work/all.tsv.manifest.json" '"command": "predict"'
    ;;
ism)
    world
    head -n 24 "$work/world/regions.bed" >"$work/regions.bed"
    ism() { run 0 "$causeway" ism --model "$seq_model" --fasta "$work/world/genome.fa" \
        --regions "$work/regions.bed" --tasks 'cell0|factor0,cell0|factor3' --samples 4 --seed 9 "$@"; }
    ism --out "$work/all.tsv"
    for n in 2 3; do
        shards=()
        for k in $(seq 1 $n); do
            ism --out "$work/i$k.of$n.tsv" --shard "$k/$n"
            shards+=("$work/i$k.of$n.tsv")
        done
        run 0 "$causeway" merge --out "$work/merged$n.tsv" "${shards[@]}"
        same "$work/all.tsv" "$work/merged$n.tsv"
        [ ! -e "$work/i1.of$n.tsv.work" ] || fail "a finished ism shard left its work folder"
    done
    ;;
optimize)
    # 10 genes of the shipped default world in batches of 3 (4 work units, the last one short), sparse mode.
    awk -F'\t' 'NR > 1 && NR <= 11 { print $1 }' "$root/data/default.dataset.genes.tsv" >"$work/genes.txt"
    optimize() { run 0 "$causeway" optimize --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --genes "@$work/genes.txt" --cells blood_1,somatic_2 \
        --sparse --steps 10 --refit-steps 6 --batch 3 --heatmaps 2 "$@"; }
    optimize --out "$work/all"
    contains "$work/err" "10 genes computed, 0 gene batches resumed"
    contains "$work/all/manifest.json" '"shard": null'
    # loss.tsv, summed from the per-gene work files, ends at the mean of (achieved - desired)^2 over achieved.tsv.
    /usr/bin/python3 - "$work/all" <<'PY' || fail "loss.tsv's last step is not the mean squared error of achieved.tsv"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/achieved.tsv"), delimiter="\t"))
d = [float(r["achieved"]) - float(r["desired"]) for r in rows]
mse = sum(x * x for x in d) / len(d)
# %.6g rounds each value by up to 5e-6 of its size: the difference by e, its square by 2|d|e + e^2.
e = 1e-5 * max(max(abs(float(r["achieved"])), abs(float(r["desired"]))) for r in rows)
bound = sum(2 * abs(x) * e + e * e for x in d) / len(d) + 1e-7 * mse
last = float(open(sys.argv[1] + "/loss.tsv").read().split()[-1])
print(f"loss.tsv {last:.8g}, achieved.tsv {mse:.8g}, bound {bound:.3g}")
sys.exit(0 if len(rows) == 20 and abs(last - mse) <= bound else 1)
PY
    merge_matches_whole optimize o loss.tsv "0 genes computed, 4 gene batches resumed"
    # Resuming: one gene's work file gone (its batch of 3 is recomputed) and the tables.
    rm "$work/all/work/$(head -n 4 "$work/genes.txt" | tail -n 1).bin" "$work/all/loss.tsv" "$work/all/edits.tsv"
    optimize --out "$work/all"
    contains "$work/err" "3 genes computed, 3 gene batches resumed"
    same_folder "$work/all" "$work/merged2"
    # Other settings into the same folder would mix results: refused, naming the work folder's settings.
    run 1 "$causeway" optimize --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --genes "@$work/genes.txt" --steps 5 --out "$work/all"
    contains "$work/err" "$work/all/work/settings.json was made with other settings"
    ;;
epigenesis)
    # 14 genes of the shipped default world in batches of 4 (4 work units; the last one short), 2 marks.
    awk -F'\t' 'NR > 1 && NR <= 15 { print $1 }' "$root/data/default.dataset.genes.tsv" >"$work/genes.txt"
    epigenesis() { run 0 "$causeway" epigenesis --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --genes "@$work/genes.txt" --marks H3K4me3,H3K27ac \
        --batch 4 --heatmaps 5 --truth "$root/data/default.truth.json" "$@"; }
    epigenesis --out "$work/all"
    merge_matches_whole epigenesis e aggregate.tsv
    # Resuming: half the work files gone (a batch with any gene missing is recomputed).
    find "$work/all/work" -name '*.f32' | sort | awk 'NR % 2' | xargs rm -f
    rm "$work/all/epigenesis.tsv"
    epigenesis --out "$work/all"
    same_folder "$work/all" "$work/merged2"
    ;;
deepmr)
    world
    deepmr 0 --out "$work/all"
    [ -s "$work/all/manifest.json" ] || fail "no manifest in the output folder"
    deepmr_ok() { deepmr 0 "$@"; }
    merge_matches_whole deepmr_ok d exposures.tsv
    ;;
resume)
    # A shard long enough to be killed mid-way (each region ~0.1 s), killed once some regions are done.
    world
    regions_per_exposure=40 samples=40 deepmr 0 --out "$work/whole" --shard 2/2
    regions_per_exposure=40 samples=40 deepmr_args
    "$causeway" "${args[@]}" --out "$work/killed" --shard 2/2 2>/dev/null &
    pid=$!
    for _ in $(seq 1 600); do
        [ "$(find "$work/killed/work" -name '*.tsv' 2>/dev/null | wc -l)" -ge 6 ] && break
        sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || fail "the run ended before it could be killed: make it longer"
    wait "$pid"
    [ ! -e "$work/killed/manifest.json" ] || fail "a killed shard has a manifest"
    done_before=$(find "$work/killed/work" -name '*.tsv' ! -name settings.json | wc -l)
    # Every finished work file is whole: the uninterrupted run's bytes.
    while read -r f; do same "$work/whole/$f" "$work/killed/$f"; done < <(cd "$work/killed" && find work -name '*.tsv')
    # What a SIGKILL leaves half-written, planted: temporaries of an unfinished unit, of the settings and of
    # an output go; a temporary of something deepmr does not write, or not in mkstemp's pattern, stays.
    unfinished=$(comm -23 <(cd "$work/whole" && find work -name '*.tsv' | sort) \
        <(cd "$work/killed" && find work -name '*.tsv' | sort) | head -1)
    [ -n "$unfinished" ] || fail "no unfinished unit to plant a temporary of"
    : >"$work/killed/$unfinished.tmp.Ab12Cd"
    : >"$work/killed/work/settings.json.tmp.Qq1Ww2"
    : >"$work/killed/regions.tsv.tmp.Zz9Yy8"
    : >"$work/killed/notes.txt.tmp.Ab12Cd"
    : >"$work/killed/regions.tsv.tmp.Ab12"
    regions_per_exposure=40 samples=40 deepmr 0 --out "$work/killed" --shard 2/2
    [ -e "$work/killed/notes.txt.tmp.Ab12Cd" ] && [ -e "$work/killed/regions.tsv.tmp.Ab12" ] ||
        fail "deepmr removed a temporary that is not one of its outputs"
    rm "$work/killed/notes.txt.tmp.Ab12Cd" "$work/killed/regions.tsv.tmp.Ab12"
    [ -z "$(find "$work/killed" -name '*.tmp.*')" ] || fail "stale temporaries left: $(find "$work/killed" -name '*.tmp.*')"
    same_folder "$work/whole" "$work/killed"
    # The rerun computed only what the killed one had not finished.
    total=$(find "$work/whole/work" -name '*.tsv' | wc -l)
    [ "$done_before" -gt 0 ] && [ "$done_before" -lt "$total" ] || fail "killed after $done_before of $total regions"
    (unset CAUSEWAY_QUIET && regions_per_exposure=40 samples=40 deepmr 0 --out "$work/killed" --shard 2/2) || exit 1
    contains "$work/err" "0 regions computed"
    ;;
resume_optimize)
    # An optimize run killed mid-way (SIGKILL) once some genes are done (batches of 1: the units are genes).
    awk -F'\t' 'NR > 1 && NR <= 13 { print $1 }' "$root/data/default.dataset.genes.tsv" >"$work/genes.txt"
    args=(optimize --model "$root/data/default.model.safetensors" --dataset "$root/data/default.dataset.safetensors"
        --genes "@$work/genes.txt" --cells blood_1 --steps 20 --batch 1 --heatmaps 1)
    "$causeway" "${args[@]}" --out "$work/whole" 2>"$work/err" || fail "optimize failed: $(head -c 800 "$work/err")"
    "$causeway" "${args[@]}" --out "$work/killed" 2>/dev/null &
    pid=$!
    for _ in $(seq 1 1500); do
        [ "$(find "$work/killed/work" -name '*.bin' 2>/dev/null | wc -l)" -ge 3 ] && break
        sleep 0.02
    done
    kill -KILL "$pid" 2>/dev/null || fail "the run ended before it could be killed: make it longer"
    wait "$pid"
    [ ! -e "$work/killed/manifest.json" ] || fail "a killed run has a manifest"
    [ ! -e "$work/killed/loss.tsv" ] || fail "a killed run wrote the loss"
    done_before=$(find "$work/killed/work" -name '*.bin' | wc -l)
    [ "$done_before" -lt 12 ] || fail "killed after all 12 genes: make it longer"
    # Every finished work file is whole: the uninterrupted run's bytes.
    while read -r f; do same "$work/whole/$f" "$work/killed/$f"; done < <(cd "$work/killed" && find work -name '*.bin')
    # Stale temporaries as SIGKILL leaves them: those of this run's outputs go, anything else stays.
    last=$(tail -n 1 "$work/genes.txt")
    : >"$work/killed/work/$last.bin.tmp.Ab12Cd"
    : >"$work/killed/loss.tsv.tmp.Zz9Yy8"
    : >"$work/killed/work/settings.json.tmp.Qq1Ww2"
    : >"$work/killed/notes.txt.tmp.Ab12Cd" # not an output of optimize
    : >"$work/killed/loss.tsv.tmp.Ab12"    # not mkstemp's pattern
    "$causeway" "${args[@]}" --out "$work/killed" 2>"$work/err" || fail "the rerun failed: $(head -c 800 "$work/err")"
    contains "$work/err" "$((12 - done_before)) genes computed, $done_before gene batches resumed"
    [ -e "$work/killed/notes.txt.tmp.Ab12Cd" ] && [ -e "$work/killed/loss.tsv.tmp.Ab12" ] ||
        fail "the rerun removed files that are not its temporaries"
    rm "$work/killed/notes.txt.tmp.Ab12Cd" "$work/killed/loss.tsv.tmp.Ab12"
    [ -z "$(find "$work/killed" -name '*.tmp.*')" ] || fail "stale temporaries left: $(find "$work/killed" -name '*.tmp.*')"
    same_folder "$work/whole" "$work/killed"
    # predict: the temporaries of its table and manifest.
    : >"$work/p.tsv.tmp.Xy34Zw"
    : >"$work/p.tsv.manifest.json.tmp.Xy34Zw"
    run 0 "$causeway" predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --out "$work/p.tsv"
    [ -z "$(find "$work" -maxdepth 1 -name 'p.tsv*.tmp.*')" ] || fail "predict left stale temporaries"
    ;;
resume_ism)
    # An ism shard killed mid-way (SIGKILL) reruns only the regions it had not finished.
    world
    head -n 80 "$work/world/regions.bed" >"$work/regions.bed"
    kill_and_resume 'region.*.tsv' 40 ism --model "$seq_model" --fasta "$work/world/genome.fa" \
        --regions "$work/regions.bed" --tasks 'cell0|factor0,cell0|factor3' --samples 100 --seed 9 --shard 2/2 -t 1
    contains "$work/err" "causeway ism: $((40 - done_before)) sequences"
    contains "$work/err" "; $done_before regions resumed from $work/killed.tsv.work"
    contains "$work/killed.tsv.manifest.json" '"shard": "2/2"'
    ;;
resume_predict)
    # A predict shard killed mid-way (SIGKILL) reruns only the gene batches it had not finished.
    kill_and_resume 'batch.*.tsv' 300 predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --batch 1 --shard 2/2 -t 1
    contains "$work/err" "causeway predict: $((300 - done_before)) gene batches computed, $done_before resumed"
    ;;
merge_errors)
    world
    for k in 1 2 3; do deepmr 0 --out "$work/d$k" --shard "$k/3"; done
    deepmr 0 --out "$work/other" --shard 3/3 --min-z 1 # another setting, the same work units
    deepmr 0 --out "$work/half" --shard 1/2
    run 1 "$causeway" merge --out "$work/m" "$work/d1" "$work/d2"
    contains "$work/err" "causeway merge: shard 3/3 is missing"
    run 1 "$causeway" merge --out "$work/m" "$work/d1" "$work/d2" "$work/d2"
    contains "$work/err" "shard 2/3 is given twice: $work/d2/manifest.json"
    run 1 "$causeway" merge --out "$work/m" "$work/d1" "$work/d2" "$work/other"
    contains "$work/err" "$work/other/manifest.json was made with other settings"
    run 1 "$causeway" merge --out "$work/m" "$work/d1" "$work/d2" "$work/half"
    contains "$work/err" "$work/half/manifest.json is shard 1/2"
    deepmr 0 --out "$work/unsharded"
    run 1 "$causeway" merge --out "$work/m" "$work/d1" "$work/unsharded"
    contains "$work/err" "not a shard (its run had no --shard): $work/unsharded/manifest.json"
    rm "$work/d3/manifest.json" # as if the shard had not finished
    run 1 "$causeway" merge --out "$work/m" "$work/d1" "$work/d2" "$work/d3"
    contains "$work/err" "no manifest $work/d3/manifest.json"
    [ ! -e "$work/m/exposures.tsv" ] || fail "a refused merge left tables behind"
    # --shard itself.
    for bad in 0/2 3/2 2 a/b 1/0 -1/2; do
        deepmr 1 --out "$work/bad" --shard "$bad"
        contains "$work/err" "--shard"
    done
    # Table shards: different inputs, and a torn table.
    predict() { run 0 "$causeway" predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" "$@"; }
    predict --out "$work/p1.tsv" --shard 1/2
    predict --out "$work/p2.tsv" --shard 2/2 --batch 5
    run 1 "$causeway" merge --out "$work/p.tsv" "$work/p1.tsv" "$work/p2.tsv"
    contains "$work/err" "$work/p2.tsv.manifest.json was made with other settings"
    predict --out "$work/p2.tsv" --shard 2/2
    run 0 "$causeway" merge --out "$work/p.tsv" "$work/p1.tsv" "$work/p2.tsv"
    : >"$work/p2.tsv"
    run 1 "$causeway" merge --out "$work/p.tsv" "$work/p1.tsv" "$work/p2.tsv"
    contains "$work/err" "$work/p2.tsv"
    run 1 "$causeway" predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --shard 1/2
    contains "$work/err" "--shard needs an output file"
    ;;
workflow)
    # workflow/Snakefile end to end in a scratch folder: the equivariant-CNN study on the shipped default data
    # and model (data/default.*), Deep MR on its small simulated world.
    command -v snakemake >/dev/null || { echo "SKIP: no snakemake (apt-get install snakemake)"; exit 77; }
    # workflow TARGET CONFIG...: TARGET '' makes every result.
    workflow() { run 0 snakemake -s "$root/workflow/Snakefile" --configfile "$root/workflow/config.yaml" \
        --profile "$root/workflow/profiles/local" --directory "$work" ${1:+"$1"} --config causeway="$causeway" \
        "${@:2}"; }
    workflow '' out=results pecnn_data="$root/data/default"
    for f in pecnn/predict.tsv pecnn/epigenesis/aggregate.png pecnn/optimize/edits_mean.png \
        deepmr/merged/summary.md deepmr/merged/exposures.tsv deepmr/merged/manifest.json deepmr/ism.tsv; do
        [ -s "$work/results/$f" ] || fail "the workflow did not make $f"
    done
    [ ! -e "$work/results/pecnn/train" ] || fail "the workflow trained although given a model"
    # The merged predictions are the unsharded run's on the shipped data.
    run 0 "$causeway" predict --model "$root/data/default.model.safetensors" \
        --dataset "$root/data/default.dataset.safetensors" --out "$work/predict.tsv"
    same "$work/predict.tsv" "$work/results/pecnn/predict.tsv"
    # Without pecnn_data the study simulates, prepares and trains first.
    workflow simulated/pecnn/predict.tsv out=simulated
    [ -s "$work/simulated/pecnn/train/model.safetensors" ] || fail "the workflow did not train a model"
    [ -s "$work/simulated/pecnn/predict.tsv" ] || fail "the workflow did not predict on its simulated data"
    # The merged Deep MR is the unsharded run's (same command line from the shards' manifest).
    args=$(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["arguments"]))' \
        "$work/results/deepmr/shards/1/manifest.json")
    mapfile -t replay <<<"$args"
    (cd "$work" && run 0 "$causeway" deepmr "${replay[@]}" --out "$work/unsharded") || exit 1
    same_folder "$work/results/deepmr/merged" "$work/unsharded"
    ;;
*)
    fail "unknown case"
    ;;
esac
exit 0
