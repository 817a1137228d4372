#!/bin/bash
# Issue 7's acceptance, end to end: scripts/deepmr_world.sh (simulate-genome -> train-seq -> evaluate-seq ->
# deepmr) on simulate-genome's default world (the one the issue names, and the main job's), then
# check_acceptance.py against the planted effects. About 6 CPU-minutes (estimated from loaded runs).
# Usage: acceptance_test.sh CAUSEWAY_BINARY REPO_ROOT
set -eu
causeway=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CAUSEWAY=$causeway CAUSEWAY_QUIET=1 bash "$root/scripts/deepmr_world.sh" "$work"
cat "$work/evaluate.tsv"
/usr/bin/python3 "$root/tests/deepmr/check_acceptance.py" "$work/world" "$work/deepmr"
