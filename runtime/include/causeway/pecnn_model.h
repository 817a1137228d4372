// The permutation-equivariant CNN's parameters, exactly as the PyTorch module's state_dict (see README):
//   equivariant.{i}.weight [H, M or H, 1, K]   equivariant.{i}.bias [H]
//   invariant.weight       [H, H, 1, K]        invariant.bias       [H]
//   readout.weight         [1, 2H, 1, L]       readout.bias         [1]
// with the hyperparameters in the safetensors metadata ("architecture": "pecnn").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace causeway {

enum class Pooling { Mean, Max };

const std::vector<std::string> &default_marks();

struct PecnnConfig {
    std::vector<std::string> marks = default_marks();
    int bins = 200;
    int hidden = 32;
    int depth = 2;
    int kernel = 11;
    std::vector<int> dilations = {1, 1}; // one per equivariant layer
    Pooling pooling = Pooling::Mean;

    int num_marks() const { return static_cast<int>(marks.size()); }
    // Throws causeway::Error naming the offending hyperparameter.
    void validate() const;
};

struct Tensor {
    std::vector<int64_t> shape;
    std::vector<float> data;
    Tensor() = default;
    explicit Tensor(std::vector<int64_t> s);
    int64_t size() const { return static_cast<int64_t>(data.size()); }
};

class SafetensorsFile;

// Fills each named parameter from `file` (F32, exactly its shape, finite values) and rejects tensors in
// the file that are none of them; `model` describes the expected model in that message.
void load_parameters(const SafetensorsFile &file,
                     const std::vector<std::pair<std::string, Tensor *>> &parameters,
                     const std::string &model);

struct PecnnModel {
    PecnnConfig config;
    std::vector<Tensor> equivariant_weight, equivariant_bias;
    Tensor invariant_weight, invariant_bias, readout_weight, readout_bias;

    // Zero tensors of the right shapes (also the shape of a gradient).
    explicit PecnnModel(const PecnnConfig &config);
    PecnnModel() : PecnnModel(PecnnConfig{}) {}
    // (state_dict name, tensor) in the module's order.
    std::vector<std::pair<std::string, Tensor *>> parameters();
    std::vector<std::pair<std::string, const Tensor *>> parameters() const;
    int64_t parameter_count() const;
};

// PyTorch's default initialisation of Conv2d (kaiming_uniform_ with a = sqrt(5): U(-1/sqrt(fan_in),
// 1/sqrt(fan_in)) for weights and biases), from a seeded generator: same seed, same bytes.
PecnnModel pecnn_init(const PecnnConfig &config, uint64_t seed);
// Loads and validates a model file; errors name the file and the tensor or metadata key.
PecnnModel pecnn_load(const std::string &path);
void pecnn_save(const PecnnModel &model, const std::string &path);

std::string pooling_name(Pooling pooling);
Pooling parse_pooling(const std::string &text); // "mean" or "max"
std::vector<std::string> split_list(const std::string &text, char separator = ',');
std::string join_list(const std::vector<std::string> &items, const std::string &separator = ",");

} // namespace causeway
