#include "causeway/seqcnn_mutants.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include <HalideBuffer.h>

#include "buffer_fill.h"
#include "causeway/error.h"
#include "dispatch/seqcnn_dense.h"
#include "dispatch/seqcnn_dense_masked.h"
#include "dispatch/seqcnn_incremental_conv.h"
#include "dispatch/seqcnn_incremental_conv_one_hot.h"
#include "dispatch/seqcnn_incremental_dense.h"
#include "dispatch/seqcnn_incremental_reference.h"
#include "halide_call.h"

namespace causeway {

namespace {

using Halide::Runtime::Buffer;

// Mutant sequences per forward call of the naive evaluation: enough to fill the dense layers' register
// blocks many times over, few enough that the one-hot batch stays small.
constexpr int kMutantsPerCall = 256;
// Columns (mutant x MC sample x strand) per chain of incremental pipeline calls: every pipeline reuses a
// weight block over hundreds of columns, and the largest change buffer (DeepSEA's third block: 960
// channels x 11 positions per column) stays near 40 MB.
constexpr int kColumnsPerCall = 1024;
// Reference windows per batch of reference passes (seqcnn_mutant_batches), and the memory they may hold
// (pre-activations and masks per window, sample and strand: about 2.6 MB per slot at DeepSEA's size).
constexpr int kWindowsPerCall = 32;
constexpr int64_t kReferenceBytesPerCall = int64_t(128) << 20;
// Channels and units come in blocks of 32 (SeqcnnNetwork's packing).
constexpr int kBlock = 32;
// Features per partial sum of the first dense layer's product (seqcnn_incremental_dense's chunk): a unit
// block's chunk of weights (4 KB) stays in L1 for every register block of columns, the columns' chunk
// (19 KB for 152 columns) for every unit block. Divides every window's features (channels come in blocks).
constexpr int kDenseChunk = kBlock;
// Input channels per partial sum of the reference's convolutions (seqcnn_incremental_reference's chunk):
// the chunk's weights (16 KB) and input rows (16 KB at DeepSEA's second block) stay in L1. The one-hot
// input's 4 channels make one chunk.
int reference_chunk(int channels) {
    return channels % 16 == 0 ? 16 : channels;
}
// Columns per group are a multiple of this, every target's register block of columns (or more).
constexpr int kGroupColumns = 8;

int round_up(int value, int multiple) {
    return (value + multiple - 1) / multiple * multiple;
}

int floor_div(int a, int b) {
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// One-hot [4, L] -> its reverse complement (A <-> T, C <-> G, positions reversed).
void reverse_complement(const float *sequence, int length, float *out) {
    for (int c = 0; c < 4; ++c)
        for (int x = 0; x < length; ++x) out[c * length + (length - 1 - x)] = sequence[(3 - c) * length + x];
}

// Running mean over MC samples of the predictions and of d_n = f(m, theta_n) - f(r, theta_n), and
// Welford's sum of squared deviations of d_n: the paper's mean_n d_n^2 - beta^2 without its cancellation.
// Both evaluations feed it sample by sample in the same order, so they round alike.
struct EffectAccumulator {
    int tasks = 0;
    std::vector<double> mean, squares, reference_mean, mutant_mean;
    EffectAccumulator(int64_t mutants, int tasks)
        : tasks(tasks), mean(mutants * tasks, 0.0), squares(mutants * tasks, 0.0), reference_mean(tasks, 0.0),
          mutant_mean(mutants * tasks, 0.0) {}
    void add_reference(int n, int t, double p) { reference_mean[t] += (p - reference_mean[t]) / (n + 1); }
    void add(int64_t m, int t, int n, double p, double reference_p) {
        const auto k = static_cast<size_t>(m * tasks + t);
        mutant_mean[k] += (p - mutant_mean[k]) / (n + 1);
        const double d = p - reference_p;
        const double delta = d - mean[k];
        mean[k] += delta / (n + 1);
        squares[k] += delta * (d - mean[k]);
    }
};

// Every mutant through the whole network, batched.
void evaluate_naive(SeqcnnNetwork &network, const float *reference, const MutantBatchOptions &o,
                    const MutantEffects &effects, EffectAccumulator &acc) {
    const SeqcnnConfig &c = network.config();
    const int length = c.sequence_length;
    const auto mutants = static_cast<int64_t>(effects.position.size());
    const int tasks = effects.tasks, all_tasks = c.num_tasks();
    const int strands = o.reverse_complement ? 2 : 1;
    const int64_t sequence_floats = 4 * static_cast<int64_t>(length);
    const int per_call = o.batch > 0 ? o.batch : kMutantsPerCall;

    // Sequence i, strand s at batch index i * strands + s.
    std::vector<float> batch(static_cast<size_t>(per_call) * strands * sequence_floats);
    std::vector<float> probabilities(static_cast<size_t>(per_call) * strands * all_tasks);
    std::vector<float> reference_probabilities(static_cast<size_t>(strands) * all_tasks);
    auto fill = [&](float *slot, const float *sequence) {
        std::copy(sequence, sequence + sequence_floats, slot);
        if (strands == 2) reverse_complement(slot, length, slot + sequence_floats);
    };
    // Mean over strands of task t of sequence i.
    auto prediction = [&](const std::vector<float> &p, int64_t i, int t) {
        double sum = 0;
        for (int s = 0; s < strands; ++s) sum += p[(i * strands + s) * all_tasks + t];
        return sum / strands;
    };

    std::vector<std::vector<uint8_t>> keep(c.dropout_sites());
    SeqcnnMasks masks;
    masks.batch = 1; // one sample's masks shared by the reference and every mutant
    const int passes = std::max(o.samples, 1);
    for (int n = 0; n < passes; ++n) {
        const SeqcnnMasks *use = nullptr;
        if (o.samples > 0) {
            masks.keep.clear();
            for (int site = 0; site < c.dropout_sites(); ++site) {
                if (c.site_dropout(site) == 0) {
                    masks.keep.push_back(nullptr);
                    continue;
                }
                keep[site].resize(c.site_size(site));
                seqcnn_dropout_keep(c, o.seed, static_cast<uint64_t>(n), site, keep[site].data());
                masks.keep.push_back(keep[site].data());
            }
            use = &masks;
        }
        fill(batch.data(), reference);
        network.forward(batch.data(), strands, reference_probabilities.data(), use);
        std::vector<double> reference_prediction(tasks);
        for (int t = 0; t < tasks; ++t) {
            reference_prediction[t] = prediction(reference_probabilities, 0, o.tasks[t]);
            acc.add_reference(n, t, reference_prediction[t]);
        }

        for (int64_t start = 0; start < mutants; start += per_call) {
            const int64_t count = std::min<int64_t>(per_call, mutants - start);
            for (int64_t i = 0; i < count; ++i) {
                float *slot = batch.data() + i * strands * sequence_floats;
                std::copy(reference, reference + sequence_floats, slot);
                const int x = effects.position[start + i];
                slot[effects.ref[start + i] * length + x] = 0.f;
                slot[effects.alt[start + i] * length + x] = 1.f;
                if (strands == 2) reverse_complement(slot, length, slot + sequence_floats);
            }
            network.forward(batch.data(), count * strands, probabilities.data(), use);
            for (int64_t i = 0; i < count; ++i)
                for (int t = 0; t < tasks; ++t)
                    acc.add(start + i, t, n, prediction(probabilities, i, o.tasks[t]),
                            reference_prediction[t]);
        }
    }
}

// How far a substitution's change reaches in conv block i: it enters on `changed` input positions and
// leaves on `window` pooled positions (the conv positions it reaches, rounded out to whole pools).
struct BlockReach {
    int changed = 1, window = 1;
};

std::vector<BlockReach> block_reach(const SeqcnnConfig &c) {
    std::vector<BlockReach> reach(c.conv_blocks());
    int changed = 1;
    for (int i = 0; i < c.conv_blocks(); ++i) {
        const int span = changed + c.conv_kernels[i] - 1, pool = c.pools[i];
        reach[i].changed = changed;
        reach[i].window = std::min(c.pooled_length(i), (span - 1 + pool - 1) / pool + 1);
        changed = reach[i].window;
    }
    return reach;
}

// The incremental evaluation (see seqcnn_mutants.h and the generators/seqcnn_incremental_* pipelines).
// Slots are (reference window w, MC sample n, strand) triples, slot = (w * passes + n) * strands + strand,
// each with its own reference activations and the sample's masks (the same for every window and both
// strands). A group is one substituted position of one window on one strand; its columns are
// (alternative, sample) pairs, padded to a multiple of kGroupColumns with columns whose change is zero.
// Several windows per call (score-variants' scattered variants) put their reference passes into one
// batch, so the weights stream once for all of them.
class IncrementalEvaluation {
public:
    IncrementalEvaluation(const SeqcnnNetwork &network, const MutantBatchOptions &o, int windows)
        : c_(network.config()), network_(network), o_(o), reach_(block_reach(c_)) {
        strands_ = o.reverse_complement ? 2 : 1;
        passes_ = std::max(o.samples, 1);
        slots_ = windows * passes_ * strands_;
        for (int i = 0; i < c_.conv_blocks(); ++i) pack_conv(i);
        for (int j = 0; j < c_.dense_layers(); ++j) dense_.push_back(network.packed_dense(j));
        make_masks();
    }

    int slot(int window, int sample, int strand) const {
        return (window * passes_ + sample) * strands_ + strand;
    }

    // The references' activations for every slot and, through the same pipelines as the mutants (a zero
    // change), their probabilities [slot, task]. At most the constructor's count of windows.
    void run_reference(const std::vector<const float *> &references) {
        const int length = c_.sequence_length;
        const int slots = static_cast<int>(references.size()) * passes_ * strands_;
        if (slots > slots_)
            fail("mutant batch: {} reference windows for {} slots", references.size(), slots_);
        // The buffers are made once for the most slots and cropped: allocating them per call (hundreds of
        // MB for many windows) cost more in page faults than the small model's convolutions.
        if (pre_.empty()) allocate_reference_buffers();
        Buffer<float> input = input_.cropped(2, 0, slots);
        for (int slot = 0; slot < slots; ++slot) {
            const float *reference = references[slot / (passes_ * strands_)];
            for (int x = 0; x < length; ++x)
                for (int b = 0; b < 4; ++b)
                    input(b, x, slot) = slot % strands_ == 0 ? reference[b * length + x]
                                                             : reference[(3 - b) * length + (length - 1 - x)];
        }
        for (int i = 0; i < c_.conv_blocks(); ++i) {
            Buffer<float> in = i == 0 ? input
                                      : Buffer<float>(block_out_[i - 1].data(), conv_[i - 1].outputs_padded,
                                                      c_.pooled_length(i - 1), slots);
            detail::check_pipeline(pipeline::seqcnn_incremental_reference(
                                       in, conv_weight_[i], conv_bias_[i], conv_mask_[i], c_.conv_pad_left(i),
                                       c_.pools[i], activation(), reference_chunk(in.dim(0).extent()),
                                       pre_[i].cropped(3, 0, slots), block_out_[i].cropped(3, 0, slots)),
                                   "seqcnn_incremental_reference");
        }
        // The first dense layer's pre-activations: base = bias, the change = every feature.
        const int units = dense_[0].outputs_padded, features = dense_[0].inputs_padded;
        Buffer<float> bias = dense_bias_.cropped(2, 0, slots), ones = dense_ones_.cropped(2, 0, slots);
        // One group, a column per slot, padded to whole register blocks of columns.
        const int columns = round_up(slots, kGroupColumns);
        Buffer<int32_t> column(3, columns, 1), offset(1);
        detail::fill(column, 0);
        for (int slot = 0; slot < slots; ++slot) column(0, slot, 0) = slot;
        offset(0) = 0;
        Buffer<float> all_features = all_features_.cropped(1, 0, columns);
        std::copy_n(block_out_.back().data(), int64_t(features) * slots, all_features.data());
        std::fill_n(all_features.data() + int64_t(features) * slots, int64_t(features) * (columns - slots),
                    0.f);
        dense_base_ = dense_base_storage_.cropped(2, 0, columns);
        detail::check_pipeline(pipeline::seqcnn_incremental_dense(
                                   all_features, dense_weight(0), bias, ones, column, offset, kIdentity,
                                   kDenseChunk,
                                   Buffer<float>(dense_base_.data(), kBlock, units / kBlock, columns, 1)),
                               "seqcnn_incremental_dense");

        // Its probabilities: a group of zero changes.
        const int last = c_.conv_blocks() - 1;
        Buffer<float> zero = zero_features_.cropped(1, 0, columns);
        std::vector<int32_t> column_slots(columns, 0);
        for (int slot = 0; slot < slots; ++slot) column_slots[slot] = slot;
        offset(0) = static_cast<int32_t>(int64_t(c_.pooled_length(last) - reach_[last].window) *
                                         conv_[last].outputs_padded);
        // An owned copy (the scratch is reused). Not Buffer::copy(): Halide 14's for_each_value steps a
        // pointer past the end by a stride it never reads through, which UBSan reports.
        const Buffer<float> probabilities = dense_layers(zero, column, offset, column_slots);
        reference_probabilities_ = Buffer<float>(probabilities.dim(0).extent(), probabilities.dim(1).extent(),
                                                 probabilities.dim(2).extent());
        std::copy_n(probabilities.data(), probabilities.number_of_elements(),
                    reference_probabilities_.data());
    }

    // Probability of task t for reference slot s.
    float reference_probability(int slot, int t) const {
        return reference_probabilities_(t % kBlock, t / kBlock, slot);
    }

    // Evaluates `groups` groups of `group_columns` columns: column(0, nl, g) = slot, (1, nl, g) = reference
    // base, (2, nl, g) = alternative base (both on the group's strand), substituted at positions[g] on the
    // group's strand. Returns probabilities (oi, ob, column), column = g * group_columns + nl, in scratch
    // memory valid until the next call.
    Buffer<float> run_groups(Buffer<int32_t> column, const std::vector<int> &positions) {
        const int group_columns = column.dim(1).extent(), groups = column.dim(2).extent();
        Buffer<float> delta;
        Buffer<int32_t> offset(groups);
        std::vector<Buffer<int32_t>> windows;
        windows.reserve(c_.conv_blocks());
        for (int i = 0; i < c_.conv_blocks(); ++i) windows.emplace_back(2, groups);
        for (int g = 0; g < groups; ++g) {
            int start = positions[g]; // first changed input position of the block
            for (int i = 0; i < c_.conv_blocks(); ++i) {
                const int pool = c_.pools[i], pad = c_.conv_pad_left(i);
                const int first_conv = std::max(start + pad - c_.conv_kernels[i] + 1, 0);
                const int window_start =
                    std::clamp(floor_div(first_conv, pool), 0, c_.pooled_length(i) - reach_[i].window);
                windows[i](0, g) = start + pad - window_start * pool;
                windows[i](1, g) = window_start;
                start = window_start;
            }
            offset(g) = static_cast<int32_t>(int64_t(start) * conv_.back().outputs_padded);
        }
        for (int i = 0; i < c_.conv_blocks(); ++i) {
            const int channels = conv_[i].outputs_padded;
            Buffer<float> out(scratch(i, int64_t(channels) * reach_[i].window * group_columns * groups),
                              kBlock, channels / kBlock, reach_[i].window, group_columns, groups);
            if (i == 0) {
                detail::check_pipeline(pipeline::seqcnn_incremental_conv_one_hot(
                                           unused_, conv_weight_[0], pre_[0], conv_mask_[0], column,
                                           windows[0], c_.pools[0], activation(), out),
                                       "seqcnn_incremental_conv_one_hot");
            } else {
                Buffer<float> in(delta.data(), conv_[i - 1].outputs_padded, reach_[i - 1].window,
                                 group_columns, groups);
                detail::check_pipeline(pipeline::seqcnn_incremental_conv(in, conv_weight_[i], pre_[i],
                                                                         conv_mask_[i], column, windows[i],
                                                                         c_.pools[i], activation(), out),
                                       "seqcnn_incremental_conv");
            }
            delta = std::move(out);
        }
        std::vector<int32_t> slots(static_cast<size_t>(group_columns) * groups);
        for (int g = 0; g < groups; ++g)
            for (int nl = 0; nl < group_columns; ++nl) slots[g * group_columns + nl] = column(0, nl, g);
        return dense_layers(Buffer<float>(delta.data(), window_features(), group_columns, groups), column,
                            offset, slots);
    }

private:
    static constexpr int kIdentity = 3, kSigmoid = 2;
    const SeqcnnConfig &c_;
    const SeqcnnNetwork &network_;
    const MutantBatchOptions &o_;
    std::vector<BlockReach> reach_;
    int strands_ = 1, passes_ = 1, slots_ = 1;
    std::vector<SeqcnnNetwork::PackedLayer> conv_, dense_;
    std::vector<Buffer<float>> conv_weight_, conv_bias_, conv_mask_, pre_;
    // Dense masks per slot (oi, ob, slot) for every dense layer but the last; empty: no dropout there.
    std::vector<Buffer<float>> dense_mask_;
    Buffer<float> dense_base_, reference_probabilities_;
    // The reference pass's buffers, for the most slots (cropped per call).
    Buffer<float> input_, dense_bias_, dense_ones_, all_features_, dense_base_storage_, zero_features_;
    std::vector<Buffer<float>> block_out_;

    void allocate_reference_buffers() {
        for (int i = 0; i < c_.conv_blocks(); ++i) {
            const int channels = conv_[i].outputs_padded;
            pre_.emplace_back(kBlock, channels / kBlock, c_.conv_output_length(i), slots_);
            block_out_.emplace_back(kBlock, channels / kBlock, c_.pooled_length(i), slots_);
        }
        input_ = Buffer<float>(4, c_.sequence_length, slots_);
        const int units = dense_[0].outputs_padded, columns = round_up(slots_, kGroupColumns);
        dense_bias_ = Buffer<float>(kBlock, units / kBlock, slots_);
        for (int slot = 0; slot < slots_; ++slot)
            for (int u = 0; u < units; ++u) dense_bias_(u % kBlock, u / kBlock, slot) = dense_[0].bias[u];
        dense_ones_ = Buffer<float>(kBlock, units / kBlock, slots_);
        detail::fill(dense_ones_, 1.f);
        all_features_ = Buffer<float>(dense_[0].inputs_padded, columns, 1);
        dense_base_storage_ = Buffer<float>(kBlock, units / kBlock, columns);
        zero_features_ = Buffer<float>(window_features(), columns, 1);
        detail::fill(zero_features_, 0.f);
    }
    Buffer<float> unused_{1, 1, 1, 1};
    // Working memory of the mutants' pipeline calls, kept from call to call: allocated per call (tens of MB
    // at DeepSEA's size), its page faults and zeroing took 8% of a saturation run (perf).
    std::vector<std::vector<float>> scratch_;

    // At least `floats` of scratch area `index`, valid until the next request for that area.
    float *scratch(int index, int64_t floats) {
        if (static_cast<int>(scratch_.size()) <= index) scratch_.resize(index + 1);
        if (static_cast<int64_t>(scratch_[index].size()) < floats) scratch_[index].resize(floats);
        return scratch_[index].data();
    }

    int activation() const { return c_.activation == SeqcnnActivation::Relu ? 0 : 1; }
    int window_features() const { return reach_.back().window * conv_.back().outputs_padded; }

    Buffer<float> dense_weight(int j) const {
        const SeqcnnNetwork::PackedLayer &d = dense_[j];
        return Buffer<float>(const_cast<float *>(d.weight), kBlock, d.inputs_padded,
                             d.outputs_padded / kBlock);
    }

    // (k, ci, co) -> (co_i, ci, k, co_o): output channel innermost, one block's weights contiguous.
    void pack_conv(int i) {
        const SeqcnnNetwork::PackedLayer p = network_.packed_conv(i);
        conv_.push_back(p);
        const int k = c_.conv_kernels[i], in = p.inputs_padded, out = p.outputs_padded;
        Buffer<float> w(kBlock, in, k, out / kBlock), bias(out);
        for (int co = 0; co < out; ++co) {
            for (int ci = 0; ci < in; ++ci)
                for (int j = 0; j < k; ++j)
                    w(co % kBlock, ci, j, co / kBlock) =
                        p.weight[(static_cast<size_t>(co) * in + ci) * k + j];
            bias(co) = p.bias[co];
        }
        conv_weight_.push_back(std::move(w));
        conv_bias_.push_back(std::move(bias));
    }

    // Multipliers per slot: 1 / (1 - p) kept, 0 dropped, all 1 without dropout (padded channels too: their
    // activations never reach a weight).
    void make_masks() {
        std::vector<uint8_t> keep;
        for (int site = 0; site < c_.dropout_sites(); ++site) {
            const bool conv = site < c_.conv_blocks();
            const bool dropout = o_.samples > 0 && c_.site_dropout(site) > 0;
            const int channels = conv ? c_.conv_channels[site] : c_.dense_units[site - c_.conv_blocks()];
            const int padded =
                conv ? conv_[site].outputs_padded : dense_[site - c_.conv_blocks()].outputs_padded;
            const int length = conv ? c_.pooled_length(site) : 1;
            Buffer<float> mask = conv ? Buffer<float>(kBlock, padded / kBlock, length, slots_)
                                      : Buffer<float>(kBlock, padded / kBlock, slots_);
            detail::fill(mask, 1.f);
            if (dropout) {
                const auto scale = static_cast<float>(1.0 / (1.0 - c_.site_dropout(site)));
                keep.resize(c_.site_size(site));
                float *data = mask.data();
                const int windows = slots_ / (passes_ * strands_);
                for (int n = 0; n < passes_; ++n) {
                    seqcnn_dropout_keep(c_, o_.seed, static_cast<uint64_t>(n), site, keep.data());
                    for (int w = 0; w < windows; ++w)
                        for (int strand = 0; strand < strands_; ++strand) {
                            float *slot =
                                data + static_cast<int64_t>(this->slot(w, n, strand)) * length * padded;
                            for (int ch = 0; ch < channels; ++ch)
                                for (int x = 0; x < length; ++x)
                                    slot[static_cast<int64_t>(x) * padded + ch] =
                                        keep[static_cast<size_t>(ch) * length + x] ? scale : 0.f;
                        }
                }
            }
            if (conv)
                conv_mask_.push_back(std::move(mask));
            else
                dense_mask_.push_back(dropout ? std::move(mask) : Buffer<float>());
        }
    }

    // The dense layers from the first one's change: features (r, nl, g) of the last block's window.
    Buffer<float> dense_layers(Buffer<float> features, Buffer<int32_t> column, Buffer<int32_t> offset,
                               const std::vector<int32_t> &slots) {
        const int group_columns = features.dim(1).extent(), groups = features.dim(2).extent();
        const int columns = group_columns * groups, layers = c_.dense_layers();
        Buffer<float> mask0 = layers > 1 ? dense_mask_[0] : Buffer<float>();
        if (!mask0.data()) {
            mask0 = Buffer<float>(kBlock, dense_[0].outputs_padded / kBlock, slots_);
            detail::fill(mask0, 1.f);
        }
        // In the shape the next layer reads, (oi, ob, column); the pipeline writes it as (oi, ob, nl, g).
        const int first = c_.conv_blocks(); // scratch: h and next alternate, then the masks
        Buffer<float> h(scratch(first, int64_t(dense_[0].outputs_padded) * columns), kBlock,
                        dense_[0].outputs_padded / kBlock, columns);
        detail::check_pipeline(pipeline::seqcnn_incremental_dense(
                                   features, dense_weight(0), dense_base_, mask0, column, offset,
                                   layers == 1 ? kSigmoid : activation(), kDenseChunk,
                                   Buffer<float>(h.data(), kBlock, h.dim(1).extent(), group_columns, groups)),
                               "seqcnn_incremental_dense");
        for (int j = 1; j < layers; ++j) {
            const SeqcnnNetwork::PackedLayer &d = dense_[j];
            Buffer<float> in(h.data(), d.inputs_padded, columns);
            Buffer<float> next(scratch(first + j % 2, int64_t(d.outputs_padded) * columns), kBlock,
                               d.outputs_padded / kBlock, columns);
            Buffer<float> bias(const_cast<float *>(d.bias), d.outputs_padded);
            const bool final_layer = j + 1 == layers;
            const Buffer<float> &slot_mask = final_layer ? unused_ : dense_mask_[j];
            if (!final_layer && slot_mask.data()) {
                // The columns' samples' masks side by side (the pipeline takes one mask per column).
                Buffer<float> mask(scratch(first + 2, int64_t(d.outputs_padded) * columns), kBlock,
                                   d.outputs_padded / kBlock, columns);
                const int64_t units = d.outputs_padded;
                for (int col = 0; col < columns; ++col)
                    std::copy_n(slot_mask.data() + slots[col] * units, units, mask.data() + col * units);
                detail::check_pipeline(
                    pipeline::seqcnn_dense_masked(in, dense_weight(j), bias, activation(), mask, next),
                    "seqcnn_dense");
            } else {
                Buffer<float> unused(1, 1, 1);
                detail::check_pipeline(pipeline::seqcnn_dense(in, dense_weight(j), bias,
                                                              final_layer ? kSigmoid : activation(), unused,
                                                              next),
                                       "seqcnn_dense");
            }
            h = std::move(next);
        }
        return h;
    }
};

// Windows whose reference passes run in one batch: references[w] with its substitutions effects[w],
// accumulated into acc[w].
void evaluate_incremental(IncrementalEvaluation &evaluation, const SeqcnnConfig &c,
                          const std::vector<const float *> &references, const MutantBatchOptions &o,
                          const MutantEffects *effects, EffectAccumulator *acc) {
    const int length = c.sequence_length, windows = static_cast<int>(references.size());
    const int strands = o.reverse_complement ? 2 : 1, passes = std::max(o.samples, 1);
    const int tasks = effects[0].tasks;
    evaluation.run_reference(references);
    // reference_prediction[w][n * tasks + t]
    std::vector<std::vector<double>> reference_prediction(
        windows, std::vector<double>(static_cast<size_t>(passes) * tasks));
    for (int w = 0; w < windows; ++w)
        for (int n = 0; n < passes; ++n)
            for (int t = 0; t < tasks; ++t) {
                double sum = 0;
                for (int strand = 0; strand < strands; ++strand)
                    sum += evaluation.reference_probability(evaluation.slot(w, n, strand), o.tasks[t]);
                reference_prediction[w][n * tasks + t] = sum / strands;
                acc[w].add_reference(n, t, reference_prediction[w][n * tasks + t]);
            }

    // Substitutions at one position of one window (up to three, consecutive in its effects) share a group
    // per strand.
    struct Site {
        int window;
        int64_t first;
        int count;
    };
    std::vector<Site> sites;
    int most = 1;
    for (int w = 0; w < windows; ++w) {
        const MutantEffects &e = effects[w];
        const auto mutants = static_cast<int64_t>(e.position.size());
        for (int64_t m = 0; m < mutants;) {
            int count = 1;
            while (m + count < mutants && count < 3 && e.position[m + count] == e.position[m]) ++count;
            sites.push_back({w, m, count});
            most = std::max(most, count);
            m += count;
        }
    }
    const int group_columns = round_up(most * passes, kGroupColumns);
    const int sites_per_call =
        std::max(1, (o.batch > 0 ? o.batch : kColumnsPerCall) / (group_columns * strands));

    for (size_t first = 0; first < sites.size(); first += sites_per_call) {
        const int count = static_cast<int>(std::min<size_t>(sites_per_call, sites.size() - first));
        const int groups = count * strands;
        Buffer<int32_t> column(3, group_columns, groups);
        detail::fill(column, 0); // padding: slot 0, reference = alternative = A, a zero change
        std::vector<int> positions(groups);
        for (int s = 0; s < count; ++s) {
            const Site &site = sites[first + s];
            const MutantEffects &e = effects[site.window];
            for (int strand = 0; strand < strands; ++strand) {
                const int g = s * strands + strand;
                const int x = e.position[site.first];
                positions[g] = strand == 0 ? x : length - 1 - x;
                for (int a = 0; a < site.count; ++a)
                    for (int n = 0; n < passes; ++n) {
                        const int nl = a * passes + n;
                        const int ref = e.ref[site.first + a], alt = e.alt[site.first + a];
                        column(0, nl, g) = evaluation.slot(site.window, n, strand);
                        column(1, nl, g) = strand == 0 ? ref : 3 - ref;
                        column(2, nl, g) = strand == 0 ? alt : 3 - alt;
                    }
            }
        }
        const Buffer<float> probabilities = evaluation.run_groups(column, positions);
        for (int s = 0; s < count; ++s) {
            const Site &site = sites[first + s];
            for (int a = 0; a < site.count; ++a)
                for (int t = 0; t < tasks; ++t) {
                    const int task = o.tasks[t];
                    for (int n = 0; n < passes; ++n) {
                        double sum = 0;
                        for (int strand = 0; strand < strands; ++strand)
                            sum += probabilities(task % kBlock, task / kBlock,
                                                 (s * strands + strand) * group_columns + a * passes + n);
                        acc[site.window].add(site.first + a, t, n, sum / strands,
                                             reference_prediction[site.window][n * tasks + t]);
                    }
                }
        }
    }
}

// Bytes the incremental evaluation keeps per slot: the conv blocks' pre-activations and masks, the first
// dense layer's base and mask.
int64_t bytes_per_slot(const SeqcnnNetwork &network) {
    const SeqcnnConfig &c = network.config();
    int64_t floats = 0;
    for (int i = 0; i < c.conv_blocks(); ++i) {
        const int64_t padded = network.packed_conv(i).outputs_padded;
        floats += padded * (c.conv_output_length(i) + 2 * c.pooled_length(i));
    }
    for (int j = 0; j < c.dense_layers(); ++j) floats += 3 * int64_t(network.packed_dense(j).outputs_padded);
    return floats * static_cast<int64_t>(sizeof(float));
}

// The substitutions of one window, checked against its reference: saturation when `chosen` is empty.
MutantEffects list_substitutions(const SeqcnnConfig &c, const float *reference,
                                 const std::vector<Substitution> &chosen, int tasks) {
    const int length = c.sequence_length;
    MutantEffects effects;
    effects.tasks = tasks;
    std::vector<int> reference_base(length, -1); // -1: N
    for (int x = 0; x < length; ++x) {
        int ones = 0;
        for (int b = 0; b < 4; ++b) {
            const float v = reference[b * length + x];
            if (v != 0.f && v != 1.f) fail("mutant batch: the reference is not one-hot at position {}", x);
            if (v == 1.f) {
                reference_base[x] = b;
                ++ones;
            }
        }
        if (ones > 1) fail("mutant batch: the reference has {} bases at position {}", ones, x);
    }
    auto add = [&](int x, int alt) {
        effects.position.push_back(x);
        effects.ref.push_back(static_cast<uint8_t>(reference_base[x]));
        effects.alt.push_back(static_cast<uint8_t>(alt));
    };
    if (chosen.empty()) {
        for (int x = 0; x < length; ++x) {
            if (reference_base[x] < 0) continue; // N: never mutated
            for (int alt = 0; alt < 4; ++alt)
                if (alt != reference_base[x]) add(x, alt);
        }
    } else {
        for (const Substitution &s : chosen) {
            if (s.position < 0 || s.position >= length)
                fail("mutant batch: substitution at position {} outside the window of {} bases", s.position,
                     length);
            if (s.alt > 3)
                fail("mutant batch: alternative base index {} at position {} (0..3 = A, C, G, T)", int(s.alt),
                     s.position);
            if (reference_base[s.position] < 0)
                fail("mutant batch: cannot substitute at position {}: the reference is N there", s.position);
            if (reference_base[s.position] == s.alt)
                fail("mutant batch: substitution at position {} repeats the reference base", s.position);
            add(s.position, s.alt);
        }
    }
    return effects;
}

void finish_effects(MutantEffects &effects, EffectAccumulator &acc, int samples) {
    const int passes = std::max(samples, 1);
    effects.beta = std::move(acc.mean);
    effects.reference_mean = std::move(acc.reference_mean);
    effects.mutant_mean = std::move(acc.mutant_mean);
    effects.se.resize(acc.squares.size());
    for (size_t k = 0; k < acc.squares.size(); ++k)
        effects.se[k] = samples > 0 ? std::sqrt(acc.squares[k] / passes) : 0.0;
}

} // namespace

std::vector<int> seqcnn_task_indices(const SeqcnnConfig &config, const std::vector<std::string> &names) {
    std::vector<int> indices;
    for (const std::string &name : names) {
        auto it = std::find(config.tasks.begin(), config.tasks.end(), name);
        if (it == config.tasks.end())
            fail("unknown task name '{}': the model has {} tasks ({}{})", name, config.num_tasks(),
                 config.tasks[0], config.num_tasks() > 1 ? ", ..." : "");
        indices.push_back(static_cast<int>(it - config.tasks.begin()));
    }
    return indices;
}

double seqcnn_incremental_flops(const SeqcnnConfig &c, int64_t evaluations) {
    const std::vector<BlockReach> reach = block_reach(c);
    double per_evaluation = 0;
    for (int i = 1; i < c.conv_blocks(); ++i)
        per_evaluation +=
            2.0 * c.conv_input_channels(i) * c.conv_kernels[i] * c.conv_channels[i] * reach[i].changed;
    per_evaluation += 2.0 * reach.back().window * c.conv_channels.back() * c.dense_units[0];
    for (int j = 1; j < c.dense_layers(); ++j) per_evaluation += 2.0 * c.dense_inputs(j) * c.dense_units[j];
    return per_evaluation * static_cast<double>(evaluations);
}

struct MutantBatchSession::State {
    SeqcnnNetwork &network;
    const MutantBatchOptions options; // IncrementalEvaluation keeps a reference to it
    std::unique_ptr<IncrementalEvaluation> evaluation;
    int evaluation_windows = 0; // reference windows per batch of the evaluation made
};

MutantBatchSession::MutantBatchSession(SeqcnnNetwork &network, MutantBatchOptions options)
    : state_(new State{network, std::move(options), nullptr, 0}) {
    const SeqcnnConfig &c = network.config();
    const MutantBatchOptions &o = state_->options;
    if (o.samples < 0) fail("mutant batch: samples must be >= 0, got {}", o.samples);
    if (o.tasks.empty()) fail("mutant batch: no tasks requested");
    for (int t : o.tasks)
        if (t < 0 || t >= c.num_tasks())
            fail("mutant batch: task index {} out of range (the model has {})", t, c.num_tasks());
}

MutantBatchSession::~MutantBatchSession() = default;

std::vector<MutantEffects> MutantBatchSession::run(const std::vector<MutantWindow> &windows) {
    SeqcnnNetwork &network = state_->network;
    const MutantBatchOptions &o = state_->options;
    const SeqcnnConfig &c = network.config();
    if (!o.substitutions.empty() && windows.size() != 1)
        fail("mutant batch: MutantBatchOptions::substitutions with {} windows (give each window its own)",
             windows.size());

    const int tasks = static_cast<int>(o.tasks.size());
    std::vector<MutantEffects> effects;
    std::vector<EffectAccumulator> acc;
    for (const MutantWindow &w : windows) {
        effects.push_back(list_substitutions(
            c, w.reference, o.substitutions.empty() ? w.substitutions : o.substitutions, tasks));
        acc.emplace_back(static_cast<int64_t>(effects.back().position.size()), tasks);
    }
    if (o.incremental && !windows.empty()) {
        // As many windows per reference batch as fit the memory budget (at least one), and no more than
        // a call has: the evaluation is made again only when a call has more windows than it holds.
        const int64_t per_window =
            bytes_per_slot(network) * std::max(o.samples, 1) * (o.reverse_complement ? 2 : 1);
        const int wanted = static_cast<int>(
            std::clamp<int64_t>(std::min<int64_t>(kReferenceBytesPerCall / per_window, kWindowsPerCall), 1,
                                static_cast<int64_t>(windows.size())));
        if (!state_->evaluation || state_->evaluation_windows < wanted) {
            state_->evaluation.reset(); // its memory goes before the next is made
            state_->evaluation = std::make_unique<IncrementalEvaluation>(network, o, wanted);
            state_->evaluation_windows = wanted;
        }
        const int per_call = state_->evaluation_windows;
        for (size_t first = 0; first < windows.size(); first += per_call) {
            const size_t last = std::min(windows.size(), first + per_call);
            std::vector<const float *> references;
            for (size_t w = first; w < last; ++w) references.push_back(windows[w].reference);
            evaluate_incremental(*state_->evaluation, c, references, o, &effects[first], &acc[first]);
        }
    } else {
        for (size_t w = 0; w < windows.size(); ++w)
            evaluate_naive(network, windows[w].reference, o, effects[w], acc[w]);
    }
    for (size_t w = 0; w < windows.size(); ++w) finish_effects(effects[w], acc[w], o.samples);
    return effects;
}

std::vector<MutantEffects> seqcnn_mutant_batches(SeqcnnNetwork &network,
                                                 const std::vector<MutantWindow> &windows,
                                                 const MutantBatchOptions &o) {
    return MutantBatchSession(network, o).run(windows);
}

MutantEffects seqcnn_mutant_batch(SeqcnnNetwork &network, const float *reference,
                                  const MutantBatchOptions &o) {
    return std::move(seqcnn_mutant_batches(network, {MutantWindow{reference, {}}}, o)[0]);
}

} // namespace causeway
