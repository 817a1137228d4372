#!/usr/bin/python3
"""Issue 7's acceptance claims, checked from the files alone (numpy, no causeway code):

1. The simulated world is what truth.json says: a logistic regression of the CA labels on every TF's binding
   label and the regions' GC content (from genome.fa) recovers the planted effects' signs and ranks.
2. Deep MR (exposures.tsv) against the planted effects: signs right for >= 90% of the non-zero effects,
   Spearman(planted, estimate) >= 0.8, the 95% CI covering 0 for >= 80% of the zero effects.
3. The naive comparison (naive.tsv: slope of predicted CA on predicted binding) is misled by the confounder:
   it does worse than Deep MR on signs or ranks, or calls zero effects non-zero.

    /usr/bin/python3 tests/deepmr/check_acceptance.py WORLD_DIR DEEPMR_DIR
"""
import json
import os
import sys

import numpy as np


def table(path):
    lines = open(path).read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:]]


def ranks(v):
    v = np.asarray(v, dtype=float)
    order = np.argsort(v, kind="stable")
    r = np.empty(len(v))
    i = 0
    while i < len(v):
        j = i
        while j + 1 < len(v) and v[order[j + 1]] == v[order[i]]:
            j += 1
        r[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x, y):
    return float(np.corrcoef(ranks(x), ranks(y))[0, 1])


def logistic_fit(x, y, iterations=30):
    """Newton-Raphson (IRLS) for log-odds y ~ x (x with an intercept column)."""
    beta = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-x @ beta))
        w = p * (1 - p)
        beta += np.linalg.solve(x.T @ (x * w[:, None]) + 1e-9 * np.eye(x.shape[1]), x.T @ (y - p))
    return beta


def main(world, deepmr):
    truth = json.load(open(os.path.join(world, "truth.json")))
    planted = {tf["name"]: tf["effect"] for tf in truth["tfs"]}
    failures = []

    # 1. The world itself.
    genome, name, parts = {}, None, []
    for line in open(os.path.join(world, "genome.fa")):
        line = line.strip()
        if line.startswith(">"):
            if name:
                genome[name] = "".join(parts)
            name, parts = line[1:], []
        else:
            parts.append(line)
    genome[name] = "".join(parts)
    gc = {}
    for line in open(os.path.join(world, "regions.bed")):
        chrom, start, end, region = line.split()
        s = genome[chrom][int(start):int(end)]
        gc[region] = (s.count("G") + s.count("C")) / len(s)
    labels = table(os.path.join(world, "labels.tsv"))
    tfs = [tf["name"] for tf in truth["tfs"]]
    x = np.array([[1.0, gc[row["region"]]] + [float(row[t]) for t in tfs] for row in labels])
    y = np.array([float(row["CA"]) for row in labels])
    fitted = logistic_fit(x, y)[2:]
    world_signs = sum(np.sign(f) == np.sign(planted[t]) for f, t in zip(fitted, tfs) if planted[t] != 0)
    print(f"world: logistic regression of CA labels recovers {world_signs}/"
          f"{sum(planted[t] != 0 for t in tfs)} signs, Spearman {spearman([planted[t] for t in tfs], fitted):.3f}")
    for t, f in zip(tfs, fitted):
        if abs(f - planted[t]) > 0.5:
            failures.append(f"world: {t}'s fitted log-odds {f:.2f} is far from the planted {planted[t]}")

    # 2. Deep MR.
    rows = {r["exposure"]: r for r in table(os.path.join(deepmr, "exposures.tsv"))}
    naive = {r["exposure"]: r for r in table(os.path.join(deepmr, "naive.tsv"))}
    names = [t for t in tfs if t in rows and rows[t]["estimate"] != "NA"]
    if len(names) < len(rows):
        failures.append(f"only {len(names)} of {len(rows)} exposures have an estimate")
    est = {t: float(rows[t]["estimate"]) for t in names}
    nonzero = [t for t in names if planted[t] != 0]
    zero = [t for t in names if planted[t] == 0]
    signs = sum(np.sign(est[t]) == np.sign(planted[t]) for t in nonzero)
    rho = spearman([planted[t] for t in names], [est[t] for t in names])
    covered = sum(float(rows[t]["ci_low"]) <= 0 <= float(rows[t]["ci_high"]) for t in zero)
    print(f"deepmr: signs {signs}/{len(nonzero)}, Spearman {rho:.3f}, zero effects covered {covered}/{len(zero)}")
    for t in names:
        print(f"  {t:8s} planted {planted[t]:+.2f}  estimate {est[t]:+.4f} "
              f"[{float(rows[t]['ci_low']):+.4f}, {float(rows[t]['ci_high']):+.4f}]  naive slope "
              f"{float(naive[t]['slope']):+.3f}  r {float(naive[t]['pearson']):+.3f}")
    if signs < 0.9 * len(nonzero):
        failures.append(f"signs recovered for {signs}/{len(nonzero)} non-zero effects (< 90%)")
    if not rho >= 0.8:
        failures.append(f"Spearman(planted, estimate) {rho:.3f} < 0.8")
    if covered < 0.8 * len(zero):
        failures.append(f"95% CI covers 0 for {covered}/{len(zero)} zero effects (< 80%)")

    # 3. The naive comparison.
    slope = {t: float(naive[t]["slope"]) for t in names}
    naive_signs = sum(np.sign(slope[t]) == np.sign(planted[t]) for t in nonzero)
    naive_rho = spearman([planted[t] for t in names], [slope[t] for t in names])
    naive_zero_positive = sum(float(naive[t]["pearson"]) > 0.1 for t in zero)
    print(f"naive: signs {naive_signs}/{len(nonzero)}, Spearman {naive_rho:.3f}, zero effects with r > 0.1: "
          f"{naive_zero_positive}/{len(zero)}")
    if not (naive_signs < signs or naive_rho < rho or naive_zero_positive > 0):
        failures.append("the naive comparison is not misled by the confounder")
    summary = open(os.path.join(deepmr, "summary.md")).read()
    if "Against the planted effects" not in summary or "naive" not in summary:
        failures.append("summary.md lacks the comparison with the planted effects and the naive correlation")

    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
