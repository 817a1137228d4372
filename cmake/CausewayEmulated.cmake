# How tests run a built program from a script or from another program: the program itself, or in a cross
# build (cmake/aarch64-linux-gnu.cmake) a wrapper that runs it under CMAKE_CROSSCOMPILING_EMULATOR
# (qemu-aarch64 -L <sysroot>). CTest applies the emulator only to a test's own COMMAND; a script that runs
# `causeway` or a test that spawns it would otherwise hand an arm64 binary to the host's kernel.
function(causeway_emulated out_var target)
    if (NOT CMAKE_CROSSCOMPILING_EMULATOR)
        set(${out_var} "$<TARGET_FILE:${target}>" PARENT_SCOPE)
        return()
    endif ()
    set(command "")
    foreach (word IN LISTS CMAKE_CROSSCOMPILING_EMULATOR)
        string(APPEND command "'${word}' ")
    endforeach ()
    set(wrapper "${PROJECT_BINARY_DIR}/emulated/${target}")
    file(GENERATE OUTPUT "${wrapper}"
         CONTENT "#!/bin/sh\nexec ${command}'$<TARGET_FILE:${target}>' \"$@\"\n"
         FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    set(${out_var} "${wrapper}" PARENT_SCOPE)
endfunction()
