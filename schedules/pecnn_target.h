// Target facts shared by the PECNN schedules: the register block each CPU family affords.
#pragma once

#include <string>

#include "Halide.h"
#include "schedules/tuned/tuned.h"

namespace causeway {

// Channel counts of hidden layers are padded to this by the runtime, so every schedule may split output
// channels by it without a tail.
constexpr int kPecnnChannelBlock = 32;

struct CpuBlock {
    int vector;     // floats per vector register
    int co_vectors; // vectors across a 32-channel block
    int x_block;    // bins per register block: co_vectors * x_block accumulators stay in registers
};

// AVX-512 and AArch64 have 32 vector registers, AVX2 and SSE 16.
inline int cpu_vector_registers(const Halide::Target &target) {
    // (Halide's avx512_* targets do not all set the plain AVX512 feature, so test each.)
    using T = Halide::Target;
    const bool avx512 = target.has_feature(T::AVX512) || target.has_feature(T::AVX512_Skylake) ||
                        target.has_feature(T::AVX512_Cannonlake) ||
                        target.has_feature(T::AVX512_SapphireRapids) || target.has_feature(T::AVX512_KNL);
    return avx512 || target.arch == T::ARM ? 32 : 16;
}

inline CpuBlock pecnn_cpu_block(const Halide::Target &target) {
    CpuBlock block;
    block.vector = target.natural_vector_size<float>();
    block.co_vectors = kPecnnChannelBlock / block.vector;
    // Keep about half of the vector registers as accumulators.
    const int accumulators = cpu_vector_registers(target) == 32 ? 16 : 12;
    block.x_block = std::max(1, accumulators / block.co_vectors);
    return block;
}

// ARM 64-bit (arm-64-linux): NEON, 32 registers of 4 floats. Every ARM schedule branch checks its target
// here. Halide 14 accepts the sve/sve2 target features, but its code generator does not emit scalable
// vectors for these pipelines (their vector widths are fixed at compile time), so such a target is refused
// rather than compiled into NEON code that claims to be SVE.
// Not measured: the ARM schedules are derived from this register budget and run only under qemu-aarch64
// here (scripts/arm64_suite.sh), which checks their results but cannot time them.
inline CpuBlock pecnn_arm_block(const Halide::Target &target, const char *pipeline) {
    using T = Halide::Target;
    if (target.arch != T::ARM || target.bits != 64)
        throw Halide::CompileError(std::string(pipeline) + ": the ARM schedule needs an arm-64 target");
    if (target.has_feature(T::SVE) || target.has_feature(T::SVE2))
        throw Halide::CompileError(std::string(pipeline) +
                                   ": SVE is not supported by Halide 14's code generator for causeway's "
                                   "pipelines; use arm-64-linux (NEON)");
    const CpuBlock block = pecnn_cpu_block(target);
    // 32-channel block = 8 NEON vectors; x_block 2 gives 16 accumulators, leaving 16 registers for the 8
    // weight vectors of a step and the broadcasts. x_block 3 would also fit (24 + 8) but no longer divides
    // the pooled tiles (DeepSEA pools by 4) without recomputing positions.
    if (block.vector != 4 || block.co_vectors != 8 || block.x_block != 2)
        throw Halide::CompileError(std::string(pipeline) + ": unexpected NEON register block");
    return block;
}

inline bool is_arm_target(const Halide::Target &target) {
    return target.arch == Halide::Target::ARM;
}

// Splits a (channel, bin, row...) output into 32-channel x x_block-bin register tiles, channels in
// vectors and bins unrolled; returns the loop level the tile's accumulator is computed at.
inline Halide::Var pecnn_output_tiles(Halide::Func output, Halide::Var ch, Halide::Var x, Halide::Var row,
                                      const CpuBlock &block) {
    using namespace Halide;
    Var ch_o(ch.name() + "_o"), ch_i(ch.name() + "_i"), xo("xo"), xi("xi");
    output.split(ch, ch_o, ch_i, kPecnnChannelBlock)
        .split(x, xo, xi, block.x_block, TailStrategy::ShiftInwards)
        .reorder(ch_i, xi, ch_o, xo, row)
        .vectorize(ch_i, block.vector)
        .unroll(xi)
        .parallel(row);
    return ch_o;
}

// The register block of every PECNN convolution: an accumulator Func (channel, bin, ...) whose update
// reduces over (r_channel, r_tap). Per reduction step: co_vectors weight loads, x_block broadcasts,
// co_vectors * x_block FMAs, all accumulators in registers.
inline void pecnn_register_block(Halide::Func accumulator, Halide::Var ch, Halide::Var x,
                                 Halide::RVar r_channel, Halide::RVar r_tap, const CpuBlock &block) {
    accumulator.vectorize(ch, block.vector).unroll(ch).unroll(x);
    accumulator.update().reorder(ch, x, r_channel, r_tap).vectorize(ch, block.vector).unroll(ch).unroll(x);
}

// Tuning (schedules/tune/tune.py). A tunable generator carries two GeneratorParams: `pipeline`, its library
// name (generators/CMakeLists.txt passes it when schedules/tuned/ holds a schedule for it), and `x_block`, a
// register block the tuner tries (0: from the target's register budget or the tuned schedule).
template <typename G> const TunedSchedule *tuned_schedule_of(const G &g, const Halide::Target &target) {
    return find_tuned_schedule(tuned_schedules(), g.pipeline, target);
}

// The hand schedule's register block for generator g: the tuner's candidate, else the checked-in tuned
// value for this target family, else the register budget's (pecnn_cpu_block).
template <typename G> CpuBlock tuned_cpu_block(const G &g, const Halide::Target &target) {
    CpuBlock block = pecnn_cpu_block(target);
    const TunedSchedule *tuned = tuned_schedule_of(g, target);
    if (g.x_block > 0) {
        block.x_block = g.x_block;
    } else if (tuned && tuned->method == TunedMethod::hand && tuned->x_block > 0) {
        block.x_block = tuned->x_block;
    }
    return block;
}

// Applies an autoscheduler's checked-in schedule when it won the tuning for g's pipeline and target family;
// returns false (the hand schedule applies) otherwise.
template <typename G> bool apply_tuned_schedule(G &g, const Halide::Target &target) {
    const TunedSchedule *tuned = tuned_schedule_of(g, target);
    if (!tuned || tuned->method != TunedMethod::autoscheduler) return false;
    tuned->apply(g.get_pipeline(), target);
    return true;
}

} // namespace causeway
