#!/bin/bash
# Hardening checks (issue 10), each in its own build folder beside build/:
#   scripts/hardening.sh fuzz [SECONDS [TARGET...]]  build the libFuzzer targets (clang-14) into build-fuzz/
#       and run each for SECONDS (default 30) on its committed corpus, two at a time; any crash, leak,
#       sanitizer report, timeout or out-of-memory fails. Findings land in build-fuzz/findings/.
#   scripts/hardening.sh sanitize                   build the host code with ASan+UBSan into build-sanitize/
#       and run the whole test suite there. The compiled Halide pipelines come from the host build HOST_BUILD
#       (default build/, which must be built): the sanitizers watch host code, not AOT pipeline objects.
#   scripts/hardening.sh tidy                       clang-tidy (.clang-tidy) over the project's own code.
# BUILD_DIR overrides the build folder; JOBS the parallelism (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${JOBS:-2}
mode=${1:-}
shift || true

case "$mode" in
fuzz)
    seconds=${1:-30}
    shift || true
    build=${BUILD_DIR:-build-fuzz}
    CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCAUSEWAY_FUZZ=ON >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
    cmake --build "$build" -j "$jobs"
    targets=("$@")
    if [ ${#targets[@]} -eq 0 ]; then
        for f in tests/fuzz/*_fuzzer.cpp; do
            n=$(basename "$f" _fuzzer.cpp)
            targets+=("$n")
        done
    fi
    findings="$build/findings"
    mkdir -p "$findings"
    run_one() {
        local name=$1 work="$findings/$1.corpus"
        mkdir -p "$work"
        # New inputs go to the scratch corpus; the committed one is only read. 2 GB covers every honest
        # input here: more is a reader that allocates what a file claims before checking it.
        "$build/tests/fuzz/${name}_fuzzer" -seed="${FUZZ_SEED:-1}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
            -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/$name-" \
            "$work" "tests/fuzz/corpus/$name" >"$findings/$name.log" 2>&1
    }
    failed=()
    pids=()
    names=()
    for name in "${targets[@]}"; do
        run_one "$name" &
        pids+=($!)
        names+=("$name")
        if [ ${#pids[@]} -ge "$jobs" ]; then
            if ! wait "${pids[0]}"; then failed+=("${names[0]}"); fi
            pids=("${pids[@]:1}")
            names=("${names[@]:1}")
        fi
    done
    for i in "${!pids[@]}"; do
        if ! wait "${pids[$i]}"; then failed+=("${names[$i]}"); fi
    done
    for name in "${targets[@]}"; do
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$findings/$name.log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz $name: $runs executions in ${seconds}s"
    done
    if [ ${#failed[@]} -gt 0 ]; then
        for name in "${failed[@]}"; do
            echo "=== fuzz $name FAILED; log $findings/$name.log:"
            grep -A30 -m1 -E '^==[0-9]+==|^SUMMARY|ERROR: libFuzzer|deadly signal' "$findings/$name.log" || tail -40 "$findings/$name.log"
        done
        exit 1
    fi
    ;;
sanitize)
    build=${BUILD_DIR:-build-sanitize}
    host=$(realpath "${HOST_BUILD:-build}")
    # The same target families as the host build, whose pipeline libraries this tree links.
    families=$(sed -n 's/^CAUSEWAY_TARGETS:STRING=//p' "$host/CMakeCache.txt")
    # Bring the host's pipelines up to date with these sources (nothing to do right after its own build).
    cmake --build "$host" -j "$jobs" --target generators/all
    # -O1 -g1: ASan's own advice (usable speed, line-exact reports), and the quickest compile of the host code.
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
        -DCAUSEWAY_SANITIZE=address,undefined -DCAUSEWAY_BUILD_BENCHMARKS=OFF -DCAUSEWAY_PIPELINES_FROM="$host" -DCAUSEWAY_TARGETS="$families" \
        >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
    cmake --build "$build" -j "$jobs"
    # Leaks, UB and memory errors all stop the test that hit them.
    export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=0
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    # Third-party leaks only (the file says why).
    export LSAN_OPTIONS=suppressions=$root/tests/failure/lsan.supp:print_suppressions=0
    export CAUSEWAY_SANITIZED=1
    ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 -E '^hardening\.'
    ;;
tidy)
    build=${BUILD_DIR:-build}
    [ -f "$build/compile_commands.json" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
    mapfile -t files < <(git ls-files 'runtime/*.cpp' 'solver/*.cpp' 'cli/*.cpp' 'generators/*.cpp')
    run-clang-tidy-14 -quiet -p "$build" -j "$jobs" "${files[@]/#/$root/}"
    ;;
*)
    sed -n '2,12p' "$0"
    exit 2
    ;;
esac
