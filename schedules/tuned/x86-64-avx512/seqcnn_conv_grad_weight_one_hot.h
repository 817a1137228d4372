// Tuned schedule of pipeline seqcnn_conv_grad_weight_one_hot (generator seqcnn_conv_grad_weight,
// one_hot_input=true) for x86-64-linux-avx512_skylake (x86-64-avx512). Written by schedules/tune/tune.py;
// do not edit by hand. Re-run it to retune:
//   schedules/tune/tune.py --build build --rounds 4 --min-time 0.2 --x-blocks 4,12 --threads 2 --results
//     build/tune-results/s17.jsonl pecnn_readout pecnn_adam pecnn_readout_backward
//     pecnn_conv_grad_input_dataset pecnn_conv_grad_input_invariant pecnn_conv_grad_weight_dataset
//     pecnn_conv_grad_weight_invariant seqcnn_loss seqcnn_pool_backward seqcnn_conv_grad_weight_one_hot
//     seqcnn_dense_grad_input_activation seqcnn_incremental_conv_one_hot seqcnn_conv_masked
//     seqcnn_conv_one_hot_masked seqcnn_dense_masked
// When: 2026-11-22 01:57 UTC. Where: Intel(R) Xeon(R) Processor, 2 cores, 2 Halide threads, load average
// 1.5 1.6 2.4 at the start and 1.5 1.5 2.4 at the end (a shared machine).
// How: RunGen on estimate-sized random inputs, 4 rounds alternating the candidates; per candidate the
// median of its per-round best times (ms per call) and the median of its time / the hand schedule's time in
// the same round, which decides (a win: below 0.95, confirmed by 4 more rounds of the winner against the
// hand schedule alone). Autoschedulers with machine_params=2,272629760,40 (Adams2019 with beam 1 and its
// built-in cost model). Every candidate's output equalled the hand schedule's within 0.0001 (relative)
// before it was timed.
//   hand: 2.228 ms, 1.000x the hand time  <- winner
//   hand x_block=4: 2.353 ms, 0.993x the hand time
//   hand x_block=12: 2.46 ms, 1.126x the hand time
//   Adams2019: 5.01 ms, 2.322x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time
//   Li2018: 14.37 ms, 6.658x the hand time (1 of 4 rounds); dropped after round 1: over 2x the hand
//     schedule's time
//   Mullapudi2016: 3.188 ms, 1.412x the hand time
// The hand schedule won unchanged (no candidate beat it by more than 5% in the paired median): its register
// block is kept.
#pragma once

#include "Halide.h"
#include "schedules/tuned/tuned_schedule.h"

namespace causeway {

inline const TunedSchedule tuned_x86_64_avx512_seqcnn_conv_grad_weight_one_hot{
    "seqcnn_conv_grad_weight_one_hot", "x86-64-avx512", TunedMethod::hand, 8, nullptr};

} // namespace causeway
