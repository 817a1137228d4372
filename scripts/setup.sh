#!/bin/bash
# Installs causeway's build and test dependencies from Debian (bookworm) packages, then configures and
# builds into build/. Idempotent: packages already present are not fetched again, and the build is
# incremental. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    cmake ninja-build g++ pkg-config
    libhalide14-0-dev          # Halide 14 (brings LLVM 14) for the generators
    libceres-dev libeigen3-dev # Ceres Solver 2.1 for the statistics
    libfmt-dev libcli11-dev nlohmann-json3-dev zlib1g-dev
    libbigwig-dev libdeflate-dev # bigWig tracks; libdeflate inflates their blocks (causeway prepare)
    libhts-dev                   # htslib: indexed FASTA, plain or bgzip (causeway ism)
    libplplot-dev plplot-driver-cairo # figures (causeway evaluate): SVG built in, PNG through cairo
    libgtest-dev libgmock-dev libbenchmark-dev
)
# The PyTorch reference (cross-checks in the tests, skipped when absent; benchmarks): --with-reference.
# It is CI's set-up, so it also brings the hardening tools (clang-14 with libFuzzer and the sanitizer
# runtimes, clang-tidy) and configures warnings as errors plus the fuzz runs and the ASan+UBSan suite.
hardening=(-DCAUSEWAY_WERROR=OFF -DCAUSEWAY_HARDENING_TESTS=OFF -DCAUSEWAY_SANITIZER_SUITE=OFF)
# CI also builds the CUDA variants of every pipeline (no CUDA toolkit needed; their tests skip without a GPU).
# It adds the arm64 cross build and its qemu-aarch64 suite too (ctest arm64.suite, ~25 minutes of CI's
# time): the cross compiler and qemu from the host's packages, the arm64 libraries in a sysroot folder
# (scripts/arm64_sysroot.sh), never in the host's package set. `--with-reference --no-arm64` leaves it out.
targets=()
arm64_sysroot=0
if [ "${1:-}" = "--with-reference" ]; then
    packages+=(python3-torch python3-numpy libopenblas0-openmp)
    packages+=(snakemake) # workflow/Snakefile, run end to end by the shard.workflow test
    packages+=(clang-14 libclang-rt-14-dev clang-tidy-14)
    hardening=(-DCAUSEWAY_WERROR=ON -DCAUSEWAY_HARDENING_TESTS=ON -DCAUSEWAY_SANITIZER_SUITE=ON)
    targets=(-DCAUSEWAY_TARGETS="x86;arm64;cuda")
    packages+=(g++-aarch64-linux-gnu qemu-user)
    arm64_sysroot=1
    case "${2:-}" in
    --no-arm64)
        targets=(-DCAUSEWAY_TARGETS="x86;cuda")
        arm64_sysroot=0
        ;;
    --with-arm64 | "") ;; # --with-arm64: the earlier spelling, now the default
    *)
        echo "setup.sh: unknown option '$2' (after --with-reference: --no-arm64)" >&2
        exit 2
        ;;
    esac
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$arm64_sysroot" = 1 ]; then
    scripts/arm64_sysroot.sh build-arm64-sysroot
fi
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${hardening[@]}" "${targets[@]}"
cmake --build build -j "$jobs"
