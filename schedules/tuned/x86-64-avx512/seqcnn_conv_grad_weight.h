// Tuned schedule of pipeline seqcnn_conv_grad_weight (generator seqcnn_conv_grad_weight) for
// x86-64-linux-avx512_skylake (x86-64-avx512). Written by schedules/tune/tune.py; do not edit by hand.
// Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     /work/notes/s16/tune.jsonl seqcnn_conv pecnn_readout seqcnn_conv_grad_weight seqcnn_conv_grad_input
//     seqcnn_dense_grad_weight seqcnn_dense_grad_input pecnn_conv_grad_input_hidden
//     pecnn_conv_grad_weight_hidden
// When: 2026-11-21 22:25 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 3.9 3.8 4.3 at the start and 3.9 3.8 4.3 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate's output equalled the hand schedule's within 0.0001 (relative)
// before it was timed.
//   hand: 5.82 ms, 1.000x the hand time  <- winner
//   hand x_block=4: 8.149 ms, 1.325x the hand time
//   hand x_block=12: 6.954 ms, 1.260x the hand time
//   Adams2019: 33.65 ms, 4.914x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time
//   Li2018: 78.78 ms, 11.505x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time
//   Mullapudi2016: 12.54 ms, 2.133x the hand time
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_seqcnn_conv_grad_weight{
    "seqcnn_conv_grad_weight", "x86-64-avx512", TunedMethod::hand, 8, nullptr};

} // namespace causeway
