#!/usr/bin/env bash
# End-to-end tests of `causeway mr` and `causeway meta`: results against the committed R references,
# stdin/stdout, --keep-going, --min-z, and every bad input (message naming file, line and field; exit
# status 1; no output file left behind).
#   cli_test.sh <causeway> <tests/solver source dir> <scratch dir>
set -u
causeway=$1
ref=$2/reference
work=$3
rm -rf "$work" && mkdir -p "$work"
export CAUSEWAY_QUIET=1
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# compare NAME GOT_FILE GOT_KEY_COLS GOT_COL REF_FILE REF_KEY_COLS REF_COL TOLERANCE
# Joins the two tables on the key columns and checks relative agreement of one numeric column.
compare() {
    local name=$1 got=$2 gkey=$3 gcol=$4 reference=$5 rkey=$6 rcol=$7 tol=$8
    local out
    out=$(awk -F'\t' -v gkey="$gkey" -v gcol="$gcol" -v rkey="$rkey" -v rcol="$rcol" -v tol="$tol" '
        function key(cols,   n, parts, i, k) { n = split(cols, parts, ","); k = "";
            for (i = 1; i <= n; i++) k = k "|" $(parts[i]); return k }
        FNR == 1 { next }
        NR == FNR { want[key(rkey)] = $rcol; next }
        { k = key(gkey); if (!(k in want)) next; seen++
          a = $gcol + 0; b = want[k] + 0; d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
          if (d > tol * (m > 1e-300 ? m : 1e-300)) { print "mismatch " k ": " $gcol " vs " want[k]; bad++ } }
        END { if (!seen) print "no rows compared"; }' "$reference" "$got")
    if [[ -n "$out" ]]; then fail "$name: $out"; fi
}

# expect_error NAME PATTERN -- causeway args... (the output goes to $work/out.tsv)
expect_error() {
    local name=$1 pattern=$2
    shift 3
    rm -f "$work/out.tsv"
    "$causeway" "$@" --out "$work/out.tsv" >"$work/stdout" 2>"$work/stderr"
    local status=$?
    [[ $status -eq 1 ]] || fail "$name: exit status $status, expected 1"
    grep -qF -- "$pattern" "$work/stderr" || fail "$name: stderr lacks '$pattern': $(cat "$work/stderr")"
    [[ ! -e "$work/out.tsv" ]] || fail "$name: an output file was left behind"
    ls "$work"/out.tsv.tmp.* >/dev/null 2>&1 && fail "$name: a temporary file was left behind"
    return 0
}

header=$'region\tvariant\tbeta_exposure\tse_exposure\tbeta_outcome\tse_outcome'
# effects FILE ROW... : an effects table with the standard header
effects() {
    local file=$1
    shift
    printf '%s\n' "$header" "$@" >"$file"
}
good_rows=($'a\tv1\t0.1\t0.01\t0.05\t0.02' $'a\tv2\t0.2\t0.01\t0.11\t0.02' $'a\tv3\t-0.15\t0.01\t-0.07\t0.02'
           $'a\tv4\t0.3\t0.02\t0.16\t0.03')

## ------------------------------------------------------------------ mr against R
"$causeway" mr --effects "$ref/mr_effects.tsv" --out "$work/mr.tsv" 2>"$work/stderr" || fail "mr: $(cat "$work/stderr")"
# Regions run in parallel (all cores by default): the output must not depend on the thread count.
for threads in 1 3; do
    "$causeway" mr --effects "$ref/mr_effects.tsv" --out "$work/mr_threads.tsv" -t $threads 2>/dev/null ||
        fail "mr -t $threads"
    cmp -s "$work/mr.tsv" "$work/mr_threads.tsv" || fail "mr -t $threads output differs from the default's"
done
# IVW default model: random effects for r1 (25 variants) and r2 (6), fixed for r3 (3).
awk -F'\t' 'NR == 1 || ($2 == "IVW_random" && $1 != "r3") || ($2 == "IVW_fixed" && $1 == "r3") { if (NR > 1) $2 = "IVW"; print }' OFS='\t' \
    "$ref/mr_lm.tsv" >"$work/ivw_ref.tsv"
for col in 3:3 4:4 5:5; do
    compare "mr IVW col ${col%%:*}" "$work/mr.tsv" 1,2 "${col%%:*}" "$work/ivw_ref.tsv" 1,2 "${col##*:}" 1e-9
done
for pair in 3:3 4:4 5:5 6:7 7:8 8:9; do
    compare "mr Egger col ${pair%%:*}" "$work/mr.tsv" 1,2 "${pair%%:*}" "$ref/mr_lm.tsv" 1,2 "${pair##*:}" 1e-9
done
awk -F'\t' 'NR == 1 || $2 == 1000 { if (NR > 1) $2 = "WeightedMedian"; print }' OFS='\t' "$ref/mr_median.tsv" \
    >"$work/median_ref.tsv"
compare "mr WeightedMedian estimate" "$work/mr.tsv" 1,2 3 "$work/median_ref.tsv" 1,2 3 1e-10
compare "mr WeightedMedian bootstrap se" "$work/mr.tsv" 1,2 4 "$work/median_ref.tsv" 1,2 4 1e-9
[[ $(head -1 "$work/mr.tsv") == $'region\tmethod\testimate\tse\tpvalue\tintercept\tintercept_se\tintercept_pvalue\tn_variants' ]] ||
    fail "mr header: $(head -1 "$work/mr.tsv")"
[[ $(wc -l <"$work/mr.tsv") -eq 13 ]] || fail "mr: expected 12 result rows"
[[ $(awk -F'\t' '$2 == "IVW" { print $6 }' "$work/mr.tsv" | sort -u) == NA ]] || fail "mr: IVW intercept not NA"

# --pvalues t against R's pt().
"$causeway" mr --effects "$ref/mr_effects.tsv" --out "$work/mr_t.tsv" --methods egger --pvalues t 2>/dev/null
compare "mr Egger t p-value" "$work/mr_t.tsv" 1,2 5 "$ref/mr_lm.tsv" 1,2 6 1e-8

# stdin to stdout, one method; --seed changes the bootstrap, not the estimate.
cat "$ref/mr_effects.tsv" | "$causeway" mr --effects - --out - --methods median --seed 1 >"$work/mr_stdout.tsv" ||
    fail "mr stdin/stdout"
compare "mr stdin estimate" "$work/mr_stdout.tsv" 1,2 3 "$work/median_ref.tsv" 1,2 3 1e-10
[[ $(awk -F'\t' '$1 == "r1" { print $4 }' "$work/mr_stdout.tsv") != $(awk -F'\t' '$1 == "r1" && $2 == "WeightedMedian" { print $4 }' "$work/mr.tsv") ]] ||
    fail "mr --seed had no effect"

## ------------------------------------------------------------------ meta against metafor
for method in dl reml pm ml; do
    upper=$(echo "$method" | tr a-z A-Z)
    for hk in "" --hartung-knapp; do
        label=$upper${hk:+_HK}
        "$causeway" meta --estimates "$ref/meta_estimates.tsv" --out "$work/meta.tsv" --method "$method" $hk 2>"$work/stderr" ||
            fail "meta $label: $(cat "$work/stderr")"
        # tiny_se is left out: metafor loses digits there (see meta_test.cpp).
        grep -v '^tiny_se' "$ref/metafor_rma.tsv" | awk -F'\t' -v m="$label" 'NR == 1 || $2 == m' >"$work/meta_ref.tsv"
        for col in 3 4 5 6 7 8 9 12 13 14; do
            compare "meta $label col $col" "$work/meta.tsv" 1,2 $col "$work/meta_ref.tsv" 1,2 $col 1e-8
        done
    done
done
[[ $(head -1 "$work/meta.tsv") == $'group\tmethod\tmu\tse\tci_low\tci_high\ttau2\ti2\tq\tq_pvalue\tk\ttau\tpi_low\tpi_high\titerations' ]] ||
    fail "meta header: $(head -1 "$work/meta.tsv")"

## ------------------------------------------------------------------ --min-z, --keep-going, warnings
effects "$work/e.tsv" "${good_rows[@]}" $'a\tweak\t0.001\t0.01\t0.3\t0.02'
"$causeway" mr --effects "$work/e.tsv" --out "$work/mr.tsv" --methods ivw --min-z 1 2>/dev/null
[[ $(awk -F'\t' 'NR == 2 { print $9 }' "$work/mr.tsv") == 4 ]] || fail "--min-z: n_variants should be 4"

effects "$work/e.tsv" "${good_rows[@]}" $'b\tv1\t0.1\t0.01\t0.05\t-0.02' $'b\tv2\t0.2\t0.01\t0.1\t0.02' \
    $'c\tv1\t0.1\t0.01\t0.05\t0.02' $'c\tv2\t0.2\t0.01\t0.1\t0.02'
"$causeway" mr --effects "$work/e.tsv" --out "$work/mr.tsv" --keep-going 2>"$work/stderr" || fail "--keep-going exit status"
[[ $(head -1 "$work/mr.tsv" | awk -F'\t' '{ print $NF }') == note ]] || fail "--keep-going: no note column"
grep -qP "^b\tIVW\tNA\tNA\tNA\tNA\tNA\tNA\t1\tbad input: se_outcome must be positive, got -0.02: column 'se_outcome' \('-0.02'\) at $work/e.tsv:6$" "$work/mr.tsv" ||
    fail "--keep-going: region b row: $(grep -P '^b\tIVW' "$work/mr.tsv")"
grep -qP "^c\tEgger\tNA\t.*\t2\t2 variants, Egger needs at least 3$" "$work/mr.tsv" || fail "--keep-going: region c Egger row"
grep -qP "^c\tIVW\t[-0-9.e]+\t" "$work/mr.tsv" || fail "--keep-going: region c IVW should be computed"
grep -qP "^a\tRAPS\t[-0-9.e]+\t.*\tNA$" "$work/mr.tsv" || fail "--keep-going: region a RAPS note should be NA"

# All exposure associations ~0: a warning and NA rows, exit status 0.
effects "$work/e.tsv" $'z\tv1\t1e-12\t0.01\t0.05\t0.02' $'z\tv2\t-2e-12\t0.01\t0.11\t0.02' $'z\tv3\t3e-12\t0.01\t-0.07\t0.02'
"$causeway" mr --effects "$work/e.tsv" --out "$work/mr.tsv" 2>"$work/stderr" || fail "ill-conditioned: exit status"
grep -qF "warning: region 'z'" "$work/stderr" || fail "ill-conditioned: no warning"
[[ $(awk -F'\t' 'NR > 1 { print $3 }' "$work/mr.tsv" | sort -u) == NA ]] || fail "ill-conditioned: estimates not NA"

## ------------------------------------------------------------------ bad input (strict default)
effects "$work/e.tsv" "${good_rows[@]:0:2}" $'a\tv3\t-0.15\t0.01\t-0.07\t-0.1'
expect_error "negative se" "se_outcome must be positive, got -0.1: column 'se_outcome' ('-0.1') at $work/e.tsv:4" -- \
    mr --effects "$work/e.tsv"
effects "$work/e.tsv" "${good_rows[@]:0:2}" $'a\tv3\t-0.15\t0\t-0.07\t0.02'
expect_error "zero se" "se_exposure must be positive, got 0: column 'se_exposure' ('0') at $work/e.tsv:4" -- \
    mr --effects "$work/e.tsv"
effects "$work/e.tsv" $'a\tv1\t0.1\tinf\t0.05\t0.02' "${good_rows[@]:1}"
expect_error "infinite se" "se_exposure must be finite, got inf: column 'se_exposure' ('inf') at $work/e.tsv:2" -- \
    mr --effects "$work/e.tsv"
effects "$work/e.tsv" "${good_rows[@]:0:3}" $'a\tv4\t0.3\t0.02\tNaN\t0.03'
expect_error "NaN estimate" "beta_outcome is NaN/NA: column 'beta_outcome' ('NaN') at $work/e.tsv:5" -- \
    mr --effects "$work/e.tsv"
effects "$work/e.tsv" "${good_rows[@]:0:3}" $'a\tv4\tabc\t0.02\t0.1\t0.03'
expect_error "non-numeric" "not a number: column 'beta_exposure' ('abc') at $work/e.tsv:5" -- mr --effects "$work/e.tsv"
printf 'region\tvariant\tbeta_exposure\tse_exposure\tbeta_outcome\na\tv1\t0.1\t0.01\t0.05\n' >"$work/e.tsv"
expect_error "missing column" "missing column 'se_outcome' in the header: $work/e.tsv:1" -- mr --effects "$work/e.tsv"
effects "$work/e.tsv" "${good_rows[@]}" $'b\tv1\t0.1\t0.01\t0.05\t0.02' $'b\tv2\t0.2\t0.01\t0.1\t0.02'
expect_error "Egger needs 3" "region 'b' has 2 usable variants, Egger needs at least 3: $work/e.tsv:6" -- \
    mr --effects "$work/e.tsv"
effects "$work/e.tsv" "${good_rows[@]}" $'b\tv1\t0.1\t0.01\t0.05\t0.02'
expect_error "IVW needs 2" "region 'b' has 1 usable variant, IVW needs at least 2: $work/e.tsv:6" -- \
    mr --effects "$work/e.tsv" --methods ivw
expect_error "unknown method" "unknown method 'mode'" -- mr --effects "$work/e.tsv" --methods ivw,mode
expect_error "missing file" "cannot open $work/absent.tsv" -- mr --effects "$work/absent.tsv"

printf 'group\testimate\tse\ng\t0.1\t0.1\ng\t0.2\t0\n' >"$work/m.tsv"
expect_error "meta zero se" "se must be positive, got 0: column 'se' ('0') at $work/m.tsv:3" -- meta --estimates "$work/m.tsv"
printf 'group\testimate\tse\ng\tNA\t0.1\ng\t0.2\t0.1\n' >"$work/m.tsv"
expect_error "meta NA estimate" "estimate is NaN/NA: column 'estimate' ('NA') at $work/m.tsv:2" -- meta --estimates "$work/m.tsv"
printf 'group\testimate\nq\t0.1\n' >"$work/m.tsv"
expect_error "meta missing column" "missing column 'se' in the header: $work/m.tsv:1" -- meta --estimates "$work/m.tsv"
printf 'group\testimate\tse\ng\t0.1\t0.1\ng\t0.2\t0.1\nh\t0.3\t0.2\n' >"$work/m.tsv"
expect_error "meta one study" "group 'h' has 1 estimate, a random-effects meta-analysis needs at least 2: $work/m.tsv:4" -- \
    meta --estimates "$work/m.tsv"
"$causeway" meta --estimates "$work/m.tsv" --out "$work/meta.tsv" --keep-going 2>/dev/null || fail "meta --keep-going"
grep -qP "^h\tREML\tNA\t.*\t1\tNA\tNA\tNA\t0\t1 estimate, a random-effects meta-analysis needs at least 2$" "$work/meta.tsv" ||
    fail "meta --keep-going row: $(grep '^h' "$work/meta.tsv")"

## ------------------------------------------------------------------ help
"$causeway" mr --help >"$work/help" 2>&1 || fail "mr --help exit status"
grep -q 314159265 "$work/help" || fail "mr --help does not show the default seed"
"$causeway" meta --help >"$work/help" 2>&1 || fail "meta --help exit status"
grep -q "meta 4.18" "$work/help" || fail "meta --help does not mention meta 4.18's DL default"
"$causeway" meta --estimates "$work/m.tsv" --method xx >/dev/null 2>"$work/stderr" && fail "bad --method accepted"

if [[ $failures -gt 0 ]]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all causeway mr/meta CLI checks passed"
