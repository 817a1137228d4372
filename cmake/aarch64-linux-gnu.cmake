# Cross build for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu, run under qemu-aarch64 (qemu-user).
# scripts/arm64_suite.sh drives it; by hand:
#   scripts/arm64_sysroot.sh build-arm64-sysroot
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DCAUSEWAY_ARM64_SYSROOT=$PWD/build-arm64-sysroot -DCAUSEWAY_HOST_BUILD=$PWD/build
# CAUSEWAY_HOST_BUILD is a host (x86-64) build of causeway: its Halide generators run here at build time
# (they are build tools and never cross-compiled) and emit arm-64-linux code.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# The arm64 libraries (fmt, GoogleTest, Ceres, htslib, ...) come from Debian arm64 packages unpacked into
# a sysroot by scripts/arm64_sysroot.sh; the host's own packages stay untouched.
set(CAUSEWAY_ARM64_SYSROOT "" CACHE PATH "Folder with the unpacked Debian arm64 packages")
set(CAUSEWAY_HOST_BUILD "" CACHE PATH "Host build of causeway whose Halide generators this build runs")
# try_compile projects re-read this file: hand them the two paths.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CAUSEWAY_ARM64_SYSROOT CAUSEWAY_HOST_BUILD)
if (NOT IS_DIRECTORY "${CAUSEWAY_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu")
    message(FATAL_ERROR "CAUSEWAY_ARM64_SYSROOT='${CAUSEWAY_ARM64_SYSROOT}' is not an arm64 sysroot "
                        "(make one with scripts/arm64_sysroot.sh)")
endif ()
set(CMAKE_SYSROOT "${CAUSEWAY_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH "${CAUSEWAY_ARM64_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CAUSEWAY_ARM64_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CAUSEWAY_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${CAUSEWAY_ARM64_SYSROOT}/usr/share/pkgconfig")

# Binaries link against the sysroot's shared libraries; qemu loads them (and the dynamic loader) from it.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L "${CAUSEWAY_ARM64_SYSROOT}")
