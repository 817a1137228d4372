# Shared by the subcommands' end-to-end test scripts (sourced after they set case_name): a scratch folder
# $work removed on exit, run summaries off, and
#   fail MESSAGE                 report and exit 1
#   run EXPECTED_STATUS CMD...   run CMD with stdout/stderr captured in $work/out and $work/err
#   contains FILE TEXT           FILE must contain TEXT
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CAUSEWAY_QUIET=1

fail() { echo "FAIL [$case_name]: $*" >&2; exit 1; }
run() {
    local expected=$1
    shift
    "$@" >"$work/out" 2>"$work/err"
    local status=$?
    [ "$status" -eq "$expected" ] || fail "exit $status, expected $expected: $*; stderr: $(head -c 800 "$work/err")"
}
contains() { grep -qF -- "$2" "$1" || fail "$1 lacks '$2': $(head -c 800 "$1")"; }
