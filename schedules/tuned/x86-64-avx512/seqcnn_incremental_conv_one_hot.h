// Tuned schedule of pipeline seqcnn_incremental_conv_one_hot (generator seqcnn_incremental_conv,
// one_hot_input=true) for x86-64-linux-avx512_skylake (x86-64-avx512). Written by schedules/tune/tune.py;
// do not edit by hand. Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     build/tune-results/s17.jsonl pecnn_readout pecnn_adam pecnn_readout_backward
//     pecnn_conv_grad_input_dataset pecnn_conv_grad_input_invariant pecnn_conv_grad_weight_dataset
//     pecnn_conv_grad_weight_invariant seqcnn_loss seqcnn_pool_backward seqcnn_conv_grad_weight_one_hot
//     seqcnn_dense_grad_input_activation seqcnn_incremental_conv_one_hot seqcnn_conv_masked
//     seqcnn_conv_one_hot_masked seqcnn_dense_masked
// When: 2026-11-22 01:58 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 1.5 1.5 2.4 at the start and 1.4 1.5 2.3 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate's output equalled the hand schedule's within 0.0001 (relative)
// before it was timed.
//   hand: 0.4762 ms, 1.000x the hand time  <- winner
//   hand x_block=4: 0.5396 ms, 1.061x the hand time
//   hand x_block=12: 0.4996 ms, 0.998x the hand time
//   Adams2019: not timed; build failed: Unhandled exception: Internal Error at
//     /build/halide-ohp1nF/halide-14.0.0/src/autoschedulers/adams2019/LoopNest.cpp:1311 triggered by user
//     code at : Condition failed: l.max() >= l.min(): 0 0 1 (whole error:
//     /work/main/build/tune/x86_64_linux_avx512_skylake/seqcnn_incremental_conv_one_hot/Adams2019/build-error.log)
//   Li2018: 15.91 ms, 40.548x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time
//   Mullapudi2016: 3.251 ms, 8.286x the hand time (1 of 4 rounds); dropped after round 1: over 2x the
//     hand schedule's time
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_seqcnn_incremental_conv_one_hot{
    "seqcnn_incremental_conv_one_hot", "x86-64-avx512", TunedMethod::hand, 8, nullptr};

} // namespace causeway
