// Which x86 code path the compiled pipelines take. Every pipeline is one library holding AVX-512, AVX2 and
// SSE4.1 variants; Halide picks the first whose features the CPU has. CAUSEWAY_ISA=avx512|avx2|sse41 caps
// that choice, so that one AVX-512 machine can run (and test) the code an AVX2 or SSE4.1 machine would.
#pragma once

#include <string>

namespace causeway {

// The cap from CAUSEWAY_ISA ("avx512" when unset); an invalid value makes the first pipeline call fail
// with a message naming it.
std::string x86_isa_cap();

// The variant the pipelines called so far took: "avx512", "avx2" or "sse41"; "none" before any call.
std::string x86_code_path();

} // namespace causeway
