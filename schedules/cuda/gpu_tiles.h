// Tiling helpers shared by the CUDA schedules (schedules/cuda/*.h).
//
// Every CUDA schedule in causeway follows one pattern, chosen so that it is right for any run-time extent
// rather than fast for one:
//   - a stage's two innermost pure dimensions become a block of threads (the first one fastest, so that a
//     warp reads consecutive floats of the innermost storage dimension), split with GuardWithIf so that
//     extents need not divide the tile;
//   - every other dimension, and the tiles' outer parts, are fused into ONE block dimension: Halide maps
//     the innermost block loop to blockIdx.x (up to 2^31 - 1 blocks), whereas blockIdx.y and .z stop at
//     65535, which a batch of 3072 rows x 25 bin tiles would already pass;
//   - reductions are computed per thread (compute_at the innermost thread variable) so that the running
//     sum stays in a register, and any intermediate whose per-thread footprint depends on a run-time value
//     (a pooling window) is computed at root on the GPU instead, since a kernel cannot allocate
//     dynamically sized local storage.
// Unmeasured: no GPU was lent when these were written (2026-11). Tiles of 32 x 8 = 256 threads follow
// NVIDIA's occupancy guidance for sm_70+ (a warp across the fastest dimension, several warps per block).
#pragma once

#include <vector>

#include "Halide.h"

namespace causeway {

constexpr int kGpuWarp = 32;
constexpr int kGpuRows = 8;

// Tiles `stage` over (fast, slow) with fast_threads x slow_threads threads and fuses the tile indices and
// every dimension in `outer` (innermost first) into one block index. Returns the innermost thread
// variable: compute_at it to give each thread its own accumulator.
inline Halide::Var gpu_tile_2d(Halide::Stage stage, const Halide::Var &fast, const Halide::Var &slow,
                               const std::vector<Halide::Var> &outer, int fast_threads = kGpuWarp,
                               int slow_threads = kGpuRows) {
    using namespace Halide;
    Var fast_o(fast.name() + "_go"), fast_i(fast.name() + "_gi"), slow_o(slow.name() + "_go"),
        slow_i(slow.name() + "_gi"), block("gpu_block");
    stage.split(fast, fast_o, fast_i, fast_threads, TailStrategy::GuardWithIf)
        .split(slow, slow_o, slow_i, slow_threads, TailStrategy::GuardWithIf);
    std::vector<VarOrRVar> order{fast_i, slow_i, fast_o, slow_o};
    for (const Var &v : outer) order.emplace_back(v);
    stage.reorder(order);
    // Fuse outward: fast_o with slow_o, then each outer dimension in turn.
    Var fused = fast_o;
    std::vector<Var> chain{slow_o};
    chain.insert(chain.end(), outer.begin(), outer.end());
    for (size_t i = 0; i < chain.size(); ++i) {
        Var next(block.name() + std::to_string(i));
        stage.fuse(fused, chain[i], next);
        fused = next;
    }
    stage.gpu_blocks(fused).gpu_threads(fast_i, slow_i);
    return fast_i;
}

// One-dimensional version: `threads` consecutive elements of `dim` per block, the rest fused into blocks.
inline Halide::Var gpu_tile_1d(Halide::Stage stage, const Halide::Var &dim,
                               const std::vector<Halide::Var> &outer, int threads = 256) {
    using namespace Halide;
    Var dim_o(dim.name() + "_go"), dim_i(dim.name() + "_gi");
    stage.split(dim, dim_o, dim_i, threads, TailStrategy::GuardWithIf);
    std::vector<VarOrRVar> order{dim_i, dim_o};
    for (const Var &v : outer) order.emplace_back(v);
    stage.reorder(order);
    Var fused = dim_o;
    for (size_t i = 0; i < outer.size(); ++i) {
        Var next("gpu_block" + std::to_string(i));
        stage.fuse(fused, outer[i], next);
        fused = next;
    }
    stage.gpu_blocks(fused).gpu_threads(dim_i);
    return dim_i;
}

// A reduction `func` (pure definition and one update) computed at root on the GPU, both stages tiled the
// same way; the update's reduction loop runs serially inside each thread.
inline void gpu_root_reduction_2d(Halide::Func func, const Halide::Var &fast, const Halide::Var &slow,
                                  const std::vector<Halide::Var> &outer) {
    func.compute_root();
    gpu_tile_2d(func, fast, slow, outer);
    gpu_tile_2d(func.update(), fast, slow, outer);
}

inline void gpu_root_reduction_1d(Halide::Func func, const Halide::Var &dim,
                                  const std::vector<Halide::Var> &outer) {
    func.compute_root();
    gpu_tile_1d(func, dim, outer);
    gpu_tile_1d(func.update(), dim, outer);
}

// Scalars (a loss, a count): one GPU thread, so that the value never has to travel to the host between
// the kernels that make and use it.
inline void gpu_root_scalar(Halide::Func func) {
    func.compute_root().gpu_single_thread();
    for (int i = 0; i < func.num_update_definitions(); ++i) func.update(i).gpu_single_thread();
}

} // namespace causeway
