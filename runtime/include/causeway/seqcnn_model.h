// A DeepSEA-family multi-task sequence CNN ("architecture": "seqcnn"), exactly as the PyTorch module in
// tests/seqcnn/seqcnn_reference.py (see its README section):
//   input one-hot [B, 4, L], channels A, C, G, T (an N is all zero)
//   per conv block i: Conv1d (conv.{i}.weight [out, in, k], conv.{i}.bias [out]; padding "valid" or
//     "same"), activation, max-pool (kernel = stride = pool, floor; pool 1 = none), dropout
//   flatten channel-major (PyTorch's view(B, -1) of [B, C, L'])
//   per dense layer j: Linear (dense.{j}.weight [out, in], dense.{j}.bias [out]); activation and dropout
//     after every dense layer but the last, a sigmoid per task after the last
// Activations: "relu", or DeepSEA's "threshold" (nn.Threshold(0, 1e-6): values <= 0 become 1e-6).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "causeway/pecnn_model.h" // Tensor

namespace causeway {

enum class SeqcnnActivation { Relu, Threshold };
enum class SeqcnnPadding { Valid, Same };

struct SeqcnnConfig {
    int sequence_length = 1000;
    SeqcnnActivation activation = SeqcnnActivation::Threshold;
    SeqcnnPadding padding = SeqcnnPadding::Valid;
    // One entry per conv block.
    std::vector<int> conv_channels; // output channels
    std::vector<int> conv_kernels;
    std::vector<int> pools; // 1 = no pooling
    std::vector<double> conv_dropout;
    // One entry per dense layer; the last layer's units are the tasks.
    std::vector<int> dense_units;
    std::vector<double> dense_dropout; // one per dense layer but the last
    std::vector<std::string> tasks;

    int conv_blocks() const { return static_cast<int>(conv_channels.size()); }
    int dense_layers() const { return static_cast<int>(dense_units.size()); }
    int num_tasks() const { return static_cast<int>(tasks.size()); }
    int conv_input_channels(int block) const { return block == 0 ? 4 : conv_channels[block - 1]; }
    // Zeros added before the first position ("same": PyTorch's (k - 1) / 2; the rest goes after).
    int conv_pad_left(int block) const;
    int conv_input_length(int block) const;
    int conv_output_length(int block) const; // before pooling
    int pooled_length(int block) const;      // the block's output length
    int64_t flatten_size() const;
    int dense_inputs(int layer) const;
    // Dropout sites in forward order: conv blocks, then every dense layer but the last.
    int dropout_sites() const { return conv_blocks() + dense_layers() - 1; }
    double site_dropout(int site) const;
    // Elements per sequence of a site's activations ([C, L'] or [units]).
    int64_t site_size(int site) const;
    // Throws causeway::Error naming the offending hyperparameter.
    void validate() const;
};

// DeepSEA's architecture (Zhou & Troyanskaya 2015) with the given task names (919 in the original).
SeqcnnConfig deepsea_config(std::vector<std::string> tasks);

struct SeqcnnModel {
    SeqcnnConfig config;
    std::vector<Tensor> conv_weight, conv_bias, dense_weight, dense_bias;

    // Zero tensors of the right shapes.
    explicit SeqcnnModel(const SeqcnnConfig &config);
    // (state_dict name, tensor) in the module's order.
    std::vector<std::pair<std::string, Tensor *>> parameters();
    std::vector<std::pair<std::string, const Tensor *>> parameters() const;
    int64_t parameter_count() const;
};

// Counter-based uniform numbers: splitmix64 of (a key derived from seed and stream) + index, 53 bits ->
// [0, 1). Every value is computed on its own, so the same seed gives the same numbers whatever the batch
// size, thread count or order of evaluation, and tests/seqcnn/seqcnn_reference.py reproduces them in numpy.
uint64_t seqcnn_stream_key(uint64_t seed, uint64_t stream);
double seqcnn_uniform(uint64_t key, uint64_t index);

// One MC-dropout sample's keep mask for one dropout site (SeqcnnConfig::dropout_sites() order): element e
// of the site's activations ([C, L'] or [units], PyTorch layout) is kept (1) when
// seqcnn_uniform(seqcnn_stream_key(seed, (sample << 8) + site), e) >= p, with probability 1 - p.
void seqcnn_dropout_keep(const SeqcnnConfig &config, uint64_t seed, uint64_t sample, int site, uint8_t *keep);

// PyTorch's default initialisation of Conv1d and Linear (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights
// and biases), drawn with seqcnn_uniform: parameter tensor t (in parameters() order) uses stream t.
SeqcnnModel seqcnn_init(const SeqcnnConfig &config, uint64_t seed);
// Loads and validates a model file; errors name the file and the tensor or metadata key.
SeqcnnModel seqcnn_load(const std::string &path);
void seqcnn_save(const SeqcnnModel &model, const std::string &path);

std::string seqcnn_activation_name(SeqcnnActivation activation);
std::string seqcnn_padding_name(SeqcnnPadding padding);

} // namespace causeway
