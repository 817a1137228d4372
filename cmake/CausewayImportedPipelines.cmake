# The compiled Halide pipelines, shared between build trees of the same sources (issue 10).
#
# A host build exports its pipeline libraries (the static libraries and interface targets that
# generators/CMakeLists.txt makes, their shared Halide runtime and generated headers included) to
# <build>/cmake/causeway-pipelines.cmake. A sanitizer tree configured with CAUSEWAY_PIPELINES_FROM=<that
# build> imports them instead of running every generator again: the pipelines are ahead-of-time objects
# the sanitizers do not watch, and rebuilding them (~200 steps) took longer than the suite itself.

set(CAUSEWAY_PIPELINES_EXPORT "${PROJECT_BINARY_DIR}/cmake/${PROJECT_NAME}-pipelines.cmake")

# Host side: every library target of the generators directory (not the generator executables).
function(causeway_export_pipelines dir)
    get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
    set(libraries "")
    foreach (target IN LISTS targets)
        get_target_property(type ${target} TYPE)
        if (type STREQUAL "STATIC_LIBRARY" OR type STREQUAL "INTERFACE_LIBRARY")
            list(APPEND libraries ${target})
        endif ()
    endforeach ()
    export(TARGETS ${libraries} FILE "${CAUSEWAY_PIPELINES_EXPORT}")
endfunction()

# Sanitizer side: the host build's pipelines as imported targets of the same names. The host build must
# be built (at least its pipeline libraries) before this tree links.
function(causeway_import_pipelines host_build)
    set(export "${host_build}/cmake/${PROJECT_NAME}-pipelines.cmake")
    if (NOT EXISTS "${export}")
        message(FATAL_ERROR "CAUSEWAY_PIPELINES_FROM='${host_build}' is not a configured host build of "
                            "causeway (no cmake/${PROJECT_NAME}-pipelines.cmake there)")
    endif ()
    # The pipeline set depends on the target families (cuda adds NAME_cuda), so they must agree.
    load_cache("${host_build}" READ_WITH_PREFIX _host_ CAUSEWAY_TARGETS CAUSEWAY_CUDA_TARGET)
    if (NOT "${_host_CAUSEWAY_TARGETS}" STREQUAL "${CAUSEWAY_TARGETS}")
        message(FATAL_ERROR "CAUSEWAY_TARGETS='${CAUSEWAY_TARGETS}' differs from the pipelines' host build "
                            "(${host_build}: '${_host_CAUSEWAY_TARGETS}'); configure with the same list")
    endif ()
    include("${export}")
    # What the host compiled the CUDA variants for (generators/CMakeLists.txt sets it there; --version says it).
    set(CAUSEWAY_CUDA_TARGET "${_host_CAUSEWAY_CUDA_TARGET}" PARENT_SCOPE)
endfunction()
