// Tuned schedule of pipeline pecnn_adam (generator pecnn_adam) for x86-64-linux-avx512_skylake
// (x86-64-avx512). Written by schedules/tune/tune.py; do not edit by hand. Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     build/tune-results/s18.jsonl pecnn_conv_grad_input_dataset pecnn_adam seqcnn_loss
// When: 2026-11-22 04:04 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 1.4 1.4 1.8 at the start and 1.4 1.4 1.8 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate timed had output equal to the hand schedule's within 0.0001
// (relative) at these sizes: estimate, odd, tiny (tune.py's SMALL_SIZES: the estimates shrunk, where the
// hand schedule accepts them).
//   hand: 0.01931 ms, 1.000x the hand time  <- winner
//   Adams2019: 0.01536 ms, 0.779x the hand time; not eligible: valid at the estimate only (updated.0 at
//     odd sizes: 6273 vs 9408 values)
//   Li2018: 0.01748 ms, 0.894x the hand time; not eligible: valid at the estimate only (updated.0 at tiny
//     sizes: 1 vs 2345 values)
//   Mullapudi2016: 0.2485 ms, 12.448x the hand time (1 of 4 rounds); dropped after round 1: over 2x the
//     hand schedule's time; not eligible: valid at the estimate only (updated.0 at tiny sizes: 1 vs 16
//     values)
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_pecnn_adam{"pecnn_adam", "x86-64-avx512", TunedMethod::hand, 8,
                                                          nullptr};

} // namespace causeway
