#!/bin/bash
# Issue 7's acceptance, end to end: scripts/deepmr_world.sh (simulate-genome -> train-seq -> deepmr) on the
# small world, then check_acceptance.py against the planted effects.
# Usage: acceptance_test.sh CAUSEWAY_BINARY REPO_ROOT
set -eu
causeway=$1
root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CAUSEWAY=$causeway CAUSEWAY_QUIET=1 bash "$root/scripts/deepmr_world.sh" "$work" small
/usr/bin/python3 "$root/tests/deepmr/check_acceptance.py" "$work/world" "$work/deepmr"
