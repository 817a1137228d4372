// Tuned schedule of pipeline pecnn_adam (generator pecnn_adam) for x86-64-linux-avx512_skylake
// (x86-64-avx512). Written by schedules/tune/tune.py; do not edit by hand. Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     build/tune-results/s17-hand.jsonl --winner hand pecnn_adam seqcnn_loss
//     pecnn_conv_grad_input_dataset
// When: 2026-11-22 02:17 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 0.6 1.0 1.4 at the start and 1.0 1.1 1.4 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate's output equalled the hand schedule's within 0.0001 (relative)
// before it was timed.
//   hand: 0.02186 ms, 1.000x the hand time  <- winner
//   Adams2019: 0.01782 ms, 0.798x the hand time
//   Li2018: 0.02194 ms, 0.921x the hand time (4 of 8 rounds)
//   Mullapudi2016: 0.2285 ms, 10.445x the hand time (1 of 8 rounds); dropped after round 1: over 2x the
//     hand schedule's time
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
// Chosen with --winner 'hand', not by the timings above.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_pecnn_adam{"pecnn_adam", "x86-64-avx512", TunedMethod::hand, 8,
                                                          nullptr};

} // namespace causeway
