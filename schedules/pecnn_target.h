// Target facts shared by the PECNN schedules: the register block each CPU family affords.
#pragma once

#include "Halide.h"

namespace causeway {

// Channel counts of hidden layers are padded to this by the runtime, so every schedule may split output
// channels by it without a tail.
constexpr int kPecnnChannelBlock = 32;

struct CpuBlock {
    int vector;      // floats per vector register
    int co_vectors;  // vectors across a 32-channel block
    int x_block;     // bins per register block: co_vectors * x_block accumulators stay in registers
};

inline CpuBlock pecnn_cpu_block(const Halide::Target &target) {
    CpuBlock block;
    block.vector = target.natural_vector_size<float>();
    block.co_vectors = kPecnnChannelBlock / block.vector;
    // AVX-512 and AArch64 have 32 vector registers, AVX2 and SSE 16: keep half of them as accumulators.
    // (Halide's avx512_* targets do not all set the plain AVX512 feature, so test each.)
    using T = Halide::Target;
    const bool avx512 = target.has_feature(T::AVX512) || target.has_feature(T::AVX512_Skylake) ||
                        target.has_feature(T::AVX512_Cannonlake) || target.has_feature(T::AVX512_SapphireRapids) ||
                        target.has_feature(T::AVX512_KNL);
    const bool many_registers = avx512 || target.arch == T::ARM;
    const int accumulators = many_registers ? 16 : 12;
    block.x_block = std::max(1, accumulators / block.co_vectors);
    return block;
}

} // namespace causeway
