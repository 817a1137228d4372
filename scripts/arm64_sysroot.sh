#!/bin/bash
# Builds an arm64 sysroot for causeway's cross build from Debian bookworm arm64 packages, without touching
# the host's dpkg database: a private apt state (its own lists, cache and an empty status file) resolves
# the dependency closure for arm64 alone, `apt-get download` fetches it and `dpkg -x` unpacks it.
# Usage: scripts/arm64_sysroot.sh [SYSROOT]   (default: build-arm64-sysroot). Idempotent; needs no root.
set -euo pipefail
cd "$(dirname "$0")/.."
sysroot=$(realpath -m "${1:-build-arm64-sysroot}")
apt_root="$sysroot.apt"

# The -dev packages causeway builds against (their run-time libraries come in as dependencies).
packages=(
    libstdc++-12-dev libc6-dev
    libfmt-dev zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
    nlohmann-json3-dev libcli11-dev libeigen3-dev
    libceres-dev libhts-dev libbigwig-dev libdeflate-dev libplplot-dev
    plplot-driver-cairo # PNG figures: PLplot dlopens the driver (found in the sysroot through qemu -L)
)

stamp="$sysroot/.causeway-packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${packages[*]}" ]; then
    echo "arm64 sysroot up to date: $sysroot"
    exit 0
fi

mkdir -p "$apt_root"/{lists/partial,archives/partial,debs} "$apt_root/etc/apt/preferences.d" "$sysroot"
: > "$apt_root/status"
apt_options=(
    -o "APT::Architecture=arm64" -o "APT::Architectures=arm64"
    -o "Dir::State=$apt_root" -o "Dir::State::Lists=$apt_root/lists" -o "Dir::State::status=$apt_root/status"
    -o "Dir::Cache=$apt_root" -o "Dir::Cache::Archives=$apt_root/archives"
    -o "Dir::Etc::Preferences=$apt_root/etc/apt/preferences" -o "Dir::Etc::PreferencesParts=$apt_root/etc/apt/preferences.d"
    -o "Debug::NoLocking=1" -o "APT::Install-Recommends=0"
)
apt-get "${apt_options[@]}" update -qq
# With an empty status file the simulated install lists the whole closure, libc included.
mapfile -t closure < <(apt-get "${apt_options[@]}" install -s -qq "${packages[@]}" |
    awk '/^Inst /{print $2 ":arm64=" substr($3, 2)}' | sed 's/\]$//')
echo "arm64 sysroot: ${#closure[@]} packages"
(cd "$apt_root/debs" && apt-get "${apt_options[@]}" download -qq "${closure[@]}")
rm -rf "$sysroot" && mkdir -p "$sysroot"
for deb in "$apt_root"/debs/*.deb; do
    dpkg -x "$deb" "$sysroot"
done
# dpkg -x runs no maintainer scripts: make the library links their update-alternatives would (the BLAS and
# LAPACK that Ceres finds as libblas.so / liblapack.so are ATLAS's, behind alternatives).
for deb in "$apt_root"/debs/*.deb; do
    dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./postinst 2>/dev/null | sed -e ':a' -e '/\\$/{N;s/\\\n//;ba}' |
        grep -oE -- '--(install|slave) +/usr/lib/[^ $]+ +[^ ]+ +/usr/lib/[^ $]+' |
        while read -r _ link _ path; do
            [ -e "$sysroot$path" ] && [ ! -e "$sysroot$link" ] && ln -sfn "$path" "$sysroot$link"
            true
        done || true # most packages have no postinst, or no such alternatives
done
# Absolute symlinks inside the packages (e.g. libfoo.so -> /lib/...) must point into the sysroot.
find "$sysroot" -type l -lname '/*' | while read -r link; do
    ln -sfn "$sysroot$(readlink "$link")" "$link"
done
# CMake package files name libraries by absolute path (Ceres: /usr/lib/aarch64-linux-gnu/liblapack.so);
# here they live under the sysroot.
find "$sysroot/usr/lib/aarch64-linux-gnu/cmake" -name '*.cmake' -print0 | xargs -0 sed -E -i \
    "s#([\";])/usr/lib/aarch64-linux-gnu/(lib[^/;\"]*\.(so|a))#\1$sysroot/usr/lib/aarch64-linux-gnu/\2#g"
echo "${packages[*]}" > "$stamp"
echo "arm64 sysroot ready: $sysroot"
