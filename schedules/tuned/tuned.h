// The checked-in tuned schedules (written by schedules/tune/tune.py; do not edit by hand).
#pragma once

#include <vector>

#include "schedules/tuned/tuned_schedule.h"
#include "x86-64-avx512/pecnn_adam.h"
#include "x86-64-avx512/pecnn_conv_dataset.h"
#include "x86-64-avx512/pecnn_conv_grad_input_dataset.h"
#include "x86-64-avx512/pecnn_conv_grad_input_hidden.h"
#include "x86-64-avx512/pecnn_conv_grad_input_invariant.h"
#include "x86-64-avx512/pecnn_conv_grad_weight_dataset.h"
#include "x86-64-avx512/pecnn_conv_grad_weight_hidden.h"
#include "x86-64-avx512/pecnn_conv_grad_weight_invariant.h"
#include "x86-64-avx512/pecnn_conv_hidden.h"
#include "x86-64-avx512/pecnn_conv_pool.h"
#include "x86-64-avx512/pecnn_readout.h"
#include "x86-64-avx512/pecnn_readout_backward.h"
#include "x86-64-avx512/seqcnn_conv.h"
#include "x86-64-avx512/seqcnn_conv_grad_input.h"
#include "x86-64-avx512/seqcnn_conv_grad_weight.h"
#include "x86-64-avx512/seqcnn_conv_grad_weight_one_hot.h"
#include "x86-64-avx512/seqcnn_conv_masked.h"
#include "x86-64-avx512/seqcnn_conv_one_hot.h"
#include "x86-64-avx512/seqcnn_conv_one_hot_masked.h"
#include "x86-64-avx512/seqcnn_dense.h"
#include "x86-64-avx512/seqcnn_dense_grad_input.h"
#include "x86-64-avx512/seqcnn_dense_grad_input_activation.h"
#include "x86-64-avx512/seqcnn_dense_grad_weight.h"
#include "x86-64-avx512/seqcnn_dense_masked.h"
#include "x86-64-avx512/seqcnn_incremental_conv.h"
#include "x86-64-avx512/seqcnn_incremental_conv_one_hot.h"
#include "x86-64-avx512/seqcnn_incremental_dense.h"
#include "x86-64-avx512/seqcnn_incremental_reference.h"
#include "x86-64-avx512/seqcnn_loss.h"
#include "x86-64-avx512/seqcnn_pool_backward.h"

namespace causeway {

inline const std::vector<const TunedSchedule *> &tuned_schedules() {
    static const std::vector<const TunedSchedule *> schedules = {
        &tuned_x86_64_avx512_pecnn_adam,
        &tuned_x86_64_avx512_pecnn_conv_dataset,
        &tuned_x86_64_avx512_pecnn_conv_grad_input_dataset,
        &tuned_x86_64_avx512_pecnn_conv_grad_input_hidden,
        &tuned_x86_64_avx512_pecnn_conv_grad_input_invariant,
        &tuned_x86_64_avx512_pecnn_conv_grad_weight_dataset,
        &tuned_x86_64_avx512_pecnn_conv_grad_weight_hidden,
        &tuned_x86_64_avx512_pecnn_conv_grad_weight_invariant,
        &tuned_x86_64_avx512_pecnn_conv_hidden,
        &tuned_x86_64_avx512_pecnn_conv_pool,
        &tuned_x86_64_avx512_pecnn_readout,
        &tuned_x86_64_avx512_pecnn_readout_backward,
        &tuned_x86_64_avx512_seqcnn_conv,
        &tuned_x86_64_avx512_seqcnn_conv_grad_input,
        &tuned_x86_64_avx512_seqcnn_conv_grad_weight,
        &tuned_x86_64_avx512_seqcnn_conv_grad_weight_one_hot,
        &tuned_x86_64_avx512_seqcnn_conv_masked,
        &tuned_x86_64_avx512_seqcnn_conv_one_hot,
        &tuned_x86_64_avx512_seqcnn_conv_one_hot_masked,
        &tuned_x86_64_avx512_seqcnn_dense,
        &tuned_x86_64_avx512_seqcnn_dense_grad_input,
        &tuned_x86_64_avx512_seqcnn_dense_grad_input_activation,
        &tuned_x86_64_avx512_seqcnn_dense_grad_weight,
        &tuned_x86_64_avx512_seqcnn_dense_masked,
        &tuned_x86_64_avx512_seqcnn_incremental_conv,
        &tuned_x86_64_avx512_seqcnn_incremental_conv_one_hot,
        &tuned_x86_64_avx512_seqcnn_incremental_dense,
        &tuned_x86_64_avx512_seqcnn_incremental_reference,
        &tuned_x86_64_avx512_seqcnn_loss,
        &tuned_x86_64_avx512_seqcnn_pool_backward,
    };
    return schedules;
}

} // namespace causeway
