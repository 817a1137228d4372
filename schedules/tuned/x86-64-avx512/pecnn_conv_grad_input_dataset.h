// Tuned schedule of pipeline pecnn_conv_grad_input_dataset (generator pecnn_conv_grad_input,
// output_bins_inner=true) for x86-64-linux-avx512_skylake (x86-64-avx512). Written by
// schedules/tune/tune.py; do not edit by hand. Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     build/tune-results/s18.jsonl pecnn_conv_grad_input_dataset pecnn_adam seqcnn_loss
// When: 2026-11-22 04:03 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 1.3 1.4 1.9 at the start and 1.4 1.4 1.8 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate timed had output equal to the hand schedule's within 0.0001
// (relative) at these sizes: estimate, odd, tiny (tune.py's SMALL_SIZES: the estimates shrunk, where the
// hand schedule accepts them).
//   hand: 38.46 ms, 1.000x the hand time  <- winner
//   hand x_block=4: 38.01 ms, 0.996x the hand time
//   hand x_block=12: 39.9 ms, 1.037x the hand time
//   Adams2019: 103.1 ms, 2.570x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time; not eligible: valid at the estimate only (at odd sizes it fails: halide_error:
//     Input buffer output is accessed at 15, which is beyond the max (4) in dimension 0)
//   Li2018: 286 ms, 7.131x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time; not eligible: valid at the estimate only (at odd sizes it fails: halide_error:
//     Input buffer output is accessed at 7, which is beyond the max (4) in dimension 0)
//   Mullapudi2016: 913.6 ms, 22.779x the hand time (1 of 4 rounds); dropped after round 1: over 2x the
//     hand schedule's time; not eligible: valid at the estimate only (at odd sizes it fails:
//     halide_error: Input buffer output is accessed at 15, which is beyond the max (4) in dimension 0)
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_pecnn_conv_grad_input_dataset{
    "pecnn_conv_grad_input_dataset", "x86-64-avx512", TunedMethod::hand, 8, nullptr};

} // namespace causeway
