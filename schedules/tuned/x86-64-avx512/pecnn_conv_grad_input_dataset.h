// Tuned schedule of pipeline pecnn_conv_grad_input_dataset (generator pecnn_conv_grad_input,
// output_bins_inner=true) for x86-64-linux-avx512_skylake (x86-64-avx512). Written by
// schedules/tune/tune.py; do not edit by hand. Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     build/tune-results/s17-hand.jsonl --winner hand pecnn_adam seqcnn_loss
//     pecnn_conv_grad_input_dataset
// When: 2026-11-22 02:18 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 1.3 1.1 1.4 at the start and 1.7 1.3 1.4 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate's output equalled the hand schedule's within 0.0001 (relative)
// before it was timed.
//   hand: 799.7 ms, 1.000x the hand time  <- winner
//   hand x_block=4: 818.7 ms, 0.977x the hand time (4 of 8 rounds)
//   hand x_block=12: 814.7 ms, 0.994x the hand time (4 of 8 rounds)
//   Adams2019: 87.64 ms, 0.109x the hand time
//   Li2018: 309.5 ms, 0.374x the hand time (4 of 8 rounds)
//   Mullapudi2016: 938.1 ms, 1.139x the hand time (4 of 8 rounds)
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
// Chosen with --winner 'hand', not by the timings above.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_pecnn_conv_grad_input_dataset{
    "pecnn_conv_grad_input_dataset", "x86-64-avx512", TunedMethod::hand, 8, nullptr};

} // namespace causeway
