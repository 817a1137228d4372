# Cross builds (cmake/aarch64-linux-gnu.cmake): the Halide generators are build tools, so they are not
# cross-compiled but taken from a host build of causeway (CAUSEWAY_HOST_BUILD), which exports them with
# add_halide_generator's package (<build>/cmake/causeway-halide_generators-config.cmake). Only Halide's
# CMake helpers and its runtime headers are needed here, from the host's libhalide14-0-dev.
if (NOT EXISTS "${CAUSEWAY_HOST_BUILD}/cmake/${PROJECT_NAME}-halide_generators-config.cmake")
    message(FATAL_ERROR "CAUSEWAY_HOST_BUILD='${CAUSEWAY_HOST_BUILD}' is not a configured host build of "
                        "causeway (no cmake/${PROJECT_NAME}-halide_generators-config.cmake there)")
endif ()
load_cache("${CAUSEWAY_HOST_BUILD}" READ_WITH_PREFIX _causeway_host_ HalideHelpers_DIR)
find_package(HalideHelpers 14 REQUIRED NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH
             PATHS "${_causeway_host_HalideHelpers_DIR}")
set(${PROJECT_NAME}-halide_generators_DIR "${CAUSEWAY_HOST_BUILD}/cmake" CACHE PATH
    "Host build's exported Halide generators" FORCE)
