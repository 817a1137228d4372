#include "causeway/seqcnn_model.h"

#include <climits>
#include <cmath>
#include <set>

#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "causeway/version.h"

namespace causeway {

namespace {

std::string join_ints(const std::vector<int> &values) {
    std::string out;
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
    return out;
}

std::string join_doubles(const std::vector<double> &values) {
    std::string out;
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + fmt::format("{}", values[i]);
    return out;
}

uint64_t splitmix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

} // namespace

int SeqcnnConfig::conv_pad_left(int block) const {
    return padding == SeqcnnPadding::Same ? (conv_kernels[block] - 1) / 2 : 0;
}

int SeqcnnConfig::conv_input_length(int block) const {
    return block == 0 ? sequence_length : pooled_length(block - 1);
}

int SeqcnnConfig::conv_output_length(int block) const {
    const int in = conv_input_length(block);
    return padding == SeqcnnPadding::Same ? in : in - conv_kernels[block] + 1;
}

int SeqcnnConfig::pooled_length(int block) const {
    const int out = conv_output_length(block);
    return out < 0 ? out : out / pools[block]; // PyTorch's max_pool1d floors
}

int64_t SeqcnnConfig::flatten_size() const {
    const int last = conv_blocks() - 1;
    return static_cast<int64_t>(conv_channels[last]) * pooled_length(last);
}

int SeqcnnConfig::dense_inputs(int layer) const {
    return layer == 0 ? static_cast<int>(flatten_size()) : dense_units[layer - 1];
}

double SeqcnnConfig::site_dropout(int site) const {
    return site < conv_blocks() ? conv_dropout[site] : dense_dropout[site - conv_blocks()];
}

int64_t SeqcnnConfig::site_size(int site) const {
    if (site < conv_blocks()) return static_cast<int64_t>(conv_channels[site]) * pooled_length(site);
    return dense_units[site - conv_blocks()];
}

void SeqcnnConfig::validate() const {
    if (sequence_length < 1 || sequence_length > 10000000)
        fail("sequence_length must be in [1, 10000000], got {}", sequence_length);
    const int blocks = conv_blocks();
    if (blocks < 1 || blocks > 64) fail("the model needs 1 to 64 conv blocks, got {}", blocks);
    if (static_cast<int>(conv_kernels.size()) != blocks || static_cast<int>(pools.size()) != blocks)
        fail("{} conv blocks but {} kernels and {} pools", blocks, conv_kernels.size(), pools.size());
    if (static_cast<int>(conv_dropout.size()) != blocks)
        fail("conv_dropout has {} values for {} conv blocks", conv_dropout.size(), blocks);
    for (int i = 0; i < blocks; ++i) {
        if (conv_channels[i] < 1 || conv_channels[i] > 65536)
            fail("conv block {} has {} output channels; expected 1 to 65536", i, conv_channels[i]);
        if (conv_kernels[i] < 1 || conv_kernels[i] > 4096)
            fail("conv block {} has kernel {}; expected 1 to 4096", i, conv_kernels[i]);
        if (pools[i] < 1 || pools[i] > 4096)
            fail("pool of conv block {} is {}; expected 1 to 4096", i, pools[i]);
        if (!(conv_dropout[i] >= 0 && conv_dropout[i] < 1))
            fail("conv_dropout of block {} is {}; expected a probability in [0, 1)", i, conv_dropout[i]);
        if (conv_output_length(i) < 1 || pooled_length(i) < 1)
            fail("conv block {} leaves no positions: input length {}, kernel {}, padding {}, pool {}", i,
                 conv_input_length(i), conv_kernels[i], seqcnn_padding_name(padding), pools[i]);
    }
    const int layers = dense_layers();
    if (layers < 1 || layers > 64) fail("the model needs 1 to 64 dense layers, got {}", layers);
    if (static_cast<int>(dense_dropout.size()) != layers - 1)
        fail("dense_dropout has {} values for {} dense layers before the last", dense_dropout.size(),
             layers - 1);
    for (int j = 0; j < layers; ++j) {
        if (dense_units[j] < 1 || dense_units[j] > 1000000)
            fail("dense layer {} has {} units; expected 1 to 1000000", j, dense_units[j]);
        if (j + 1 < layers && !(dense_dropout[j] >= 0 && dense_dropout[j] < 1))
            fail("dense_dropout of layer {} is {}; expected a probability in [0, 1)", j, dense_dropout[j]);
    }
    // The compiled pipelines index activations and weights with 32-bit integers.
    for (int j = 0; j < layers; ++j)
        if (static_cast<int64_t>(dense_inputs(j)) * (dense_units[j] + 31) >= INT32_MAX)
            fail("dense layer {} is too large ({} inputs x {} units)", j, dense_inputs(j), dense_units[j]);
    if (tasks.empty()) fail("the model needs at least one task");
    if (num_tasks() != dense_units.back())
        fail("{} task names for {} outputs of the last dense layer", tasks.size(), dense_units.back());
    std::set<std::string> seen;
    for (size_t t = 0; t < tasks.size(); ++t) {
        if (tasks[t].empty()) fail("task {} has an empty name", t + 1);
        if (!seen.insert(tasks[t]).second) fail("task '{}' is listed twice", tasks[t]);
    }
}

SeqcnnConfig deepsea_config(std::vector<std::string> tasks) {
    SeqcnnConfig c;
    c.sequence_length = 1000;
    c.activation = SeqcnnActivation::Threshold;
    c.padding = SeqcnnPadding::Valid;
    c.conv_channels = {320, 480, 960};
    c.conv_kernels = {8, 8, 8};
    c.pools = {4, 4, 1};
    c.conv_dropout = {0.2, 0.2, 0.5};
    c.dense_units = {925, static_cast<int>(tasks.size())};
    c.dense_dropout = {0.0};
    c.tasks = std::move(tasks);
    return c;
}

SeqcnnModel::SeqcnnModel(const SeqcnnConfig &c) : config(c) {
    for (int i = 0; i < c.conv_blocks(); ++i) {
        conv_weight.emplace_back(
            std::vector<int64_t>{c.conv_channels[i], c.conv_input_channels(i), c.conv_kernels[i]});
        conv_bias.emplace_back(std::vector<int64_t>{c.conv_channels[i]});
    }
    for (int j = 0; j < c.dense_layers(); ++j) {
        dense_weight.emplace_back(std::vector<int64_t>{c.dense_units[j], c.dense_inputs(j)});
        dense_bias.emplace_back(std::vector<int64_t>{c.dense_units[j]});
    }
}

std::vector<std::pair<std::string, Tensor *>> SeqcnnModel::parameters() {
    std::vector<std::pair<std::string, Tensor *>> list;
    for (size_t i = 0; i < conv_weight.size(); ++i) {
        list.emplace_back("conv." + std::to_string(i) + ".weight", &conv_weight[i]);
        list.emplace_back("conv." + std::to_string(i) + ".bias", &conv_bias[i]);
    }
    for (size_t j = 0; j < dense_weight.size(); ++j) {
        list.emplace_back("dense." + std::to_string(j) + ".weight", &dense_weight[j]);
        list.emplace_back("dense." + std::to_string(j) + ".bias", &dense_bias[j]);
    }
    return list;
}

std::vector<std::pair<std::string, const Tensor *>> SeqcnnModel::parameters() const {
    std::vector<std::pair<std::string, const Tensor *>> list;
    for (auto &[name, t] : const_cast<SeqcnnModel *>(this)->parameters()) list.emplace_back(name, t);
    return list;
}

int64_t SeqcnnModel::parameter_count() const {
    int64_t n = 0;
    for (auto &p : parameters()) n += p.second->size();
    return n;
}

uint64_t seqcnn_stream_key(uint64_t seed, uint64_t stream) {
    return splitmix64(seed ^ splitmix64(stream));
}

double seqcnn_uniform(uint64_t key, uint64_t index) {
    return static_cast<double>(splitmix64(key + index) >> 11) * (1.0 / 9007199254740992.0);
}

SeqcnnModel seqcnn_init(const SeqcnnConfig &config, uint64_t seed) {
    config.validate();
    SeqcnnModel model(config);
    auto params = model.parameters();
    for (size_t t = 0; t < params.size(); ++t) {
        // Weights [out, in(, k)] and their biases share the weight's fan-in.
        const Tensor &weight = *params[t & ~size_t(1)].second;
        const double fan_in =
            static_cast<double>(weight.size()) / static_cast<double>(weight.shape[0]); // exact
        const double bound = 1.0 / std::sqrt(fan_in);
        const uint64_t key = seqcnn_stream_key(seed, t);
        Tensor &tensor = *params[t].second;
        for (int64_t i = 0; i < tensor.size(); ++i)
            tensor.data[i] = static_cast<float>((2 * seqcnn_uniform(key, i) - 1) * bound);
    }
    return model;
}

void seqcnn_dropout_keep(const SeqcnnConfig &config, uint64_t seed, uint64_t sample, int site,
                         uint8_t *keep) {
    if (site < 0 || site >= config.dropout_sites())
        fail("dropout site {} out of range: the model has {}", site, config.dropout_sites());
    const uint64_t key = seqcnn_stream_key(seed, (sample << 8) + static_cast<uint64_t>(site));
    const double p = config.site_dropout(site);
    const int64_t n = config.site_size(site);
    for (int64_t e = 0; e < n; ++e) keep[e] = seqcnn_uniform(key, static_cast<uint64_t>(e)) >= p ? 1 : 0;
}

std::string seqcnn_activation_name(SeqcnnActivation activation) {
    return activation == SeqcnnActivation::Relu ? "relu" : "threshold";
}

std::string seqcnn_padding_name(SeqcnnPadding padding) {
    return padding == SeqcnnPadding::Valid ? "valid" : "same";
}

namespace {

int parse_int(const std::string &text, const std::string &key, const std::string &path) {
    try {
        size_t used = 0;
        long value = std::stol(text, &used);
        if (used != text.size() || value < INT_MIN || value > INT_MAX) throw std::invalid_argument(text);
        return static_cast<int>(value);
    } catch (const std::exception &) {
        fail("metadata '{}' is not an integer ('{}') in {}", key, text, path);
    }
}

std::vector<double> parse_probabilities(const SafetensorsFile &file, const std::string &key) {
    std::vector<double> values;
    for (auto &item : split_list(file.metadata(key))) {
        try {
            size_t used = 0;
            values.push_back(std::stod(item, &used));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception &) {
            fail("metadata '{}' is not a comma list of numbers ('{}') in {}", key, file.metadata(key),
                 file.path());
        }
    }
    return values;
}

// One value per layer, or a single value for every layer of that kind.
std::vector<double> per_layer(std::vector<double> values, int layers, const std::string &key,
                              const std::string &path) {
    if (values.size() == 1) return std::vector<double>(layers, values[0]);
    if (static_cast<int>(values.size()) != layers)
        fail(
            "metadata '{}' has {} values but the model has {} such layers (give one value, or one per layer) "
            "in {}",
            key, values.size(), layers, path);
    return values;
}

const TensorInfo &require_tensor(const SafetensorsFile &file, const std::string &name,
                                 const std::string &why) {
    const TensorInfo *info = file.find(name);
    if (!info) fail("missing tensor '{}' in {} ({})", name, file.path(), why);
    return *info;
}

} // namespace

SeqcnnModel seqcnn_load(const std::string &path) {
    SafetensorsFile file(path);
    auto arch = file.metadata().find("architecture");
    if (arch == file.metadata().end())
        fail("missing metadata 'architecture' in {} (expected \"seqcnn\"; is this a causeway model file?)",
             path);
    if (arch->second != "seqcnn") fail("{} holds a '{}' model, expected 'seqcnn'", path, arch->second);

    SeqcnnConfig c;
    c.sequence_length = parse_int(file.metadata("sequence_length"), "sequence_length", path);
    const std::string &activation = file.metadata("activation");
    if (activation == "relu")
        c.activation = SeqcnnActivation::Relu;
    else if (activation == "threshold")
        c.activation = SeqcnnActivation::Threshold;
    else
        fail("metadata 'activation' is '{}' in {}; expected 'relu' or 'threshold'", activation, path);
    auto padding = file.metadata().find("padding");
    if (padding != file.metadata().end()) {
        if (padding->second == "valid")
            c.padding = SeqcnnPadding::Valid;
        else if (padding->second == "same")
            c.padding = SeqcnnPadding::Same;
        else
            fail("metadata 'padding' is '{}' in {}; expected 'valid' or 'same'", padding->second, path);
    }
    for (auto &item : split_list(file.metadata("pool")))
        c.pools.push_back(item == "none" ? 1 : parse_int(item, "pool", path));
    const int blocks = static_cast<int>(c.pools.size());
    if (blocks == 0) fail("metadata 'pool' is empty in {}: it needs one value per conv block", path);
    c.tasks = split_list(file.metadata("tasks"));

    // The architecture's sizes come from the tensors; the metadata must agree with them.
    for (int i = 0; i < blocks; ++i) {
        const std::string name = "conv." + std::to_string(i) + ".weight";
        const TensorInfo &w =
            require_tensor(file, name, fmt::format("metadata 'pool' lists {} conv blocks", blocks));
        if (w.shape.size() != 3)
            fail("tensor '{}' in {} has shape {}; expected [out, in, kernel]", name, path,
                 shape_string(w.shape));
        const int64_t in_expected = i == 0 ? 4 : c.conv_channels[i - 1];
        if (w.shape[1] != in_expected)
            fail("tensor '{}' in {} has {} input channels; expected {} ({})", name, path, w.shape[1],
                 in_expected,
                 i == 0 ? "one-hot A, C, G, T" : "the output channels of conv." + std::to_string(i - 1));
        if (w.shape[0] < 1 || w.shape[0] > 65536 || w.shape[2] < 1 || w.shape[2] > 4096)
            fail("tensor '{}' in {} has shape {}; expected 1 to 65536 channels and a kernel of 1 to 4096",
                 name, path, shape_string(w.shape));
        c.conv_channels.push_back(static_cast<int>(w.shape[0]));
        c.conv_kernels.push_back(static_cast<int>(w.shape[2]));
    }
    if (file.find("conv." + std::to_string(blocks) + ".weight"))
        fail("tensor 'conv.{}.weight' in {} has no conv block: metadata 'pool' lists {} blocks", blocks, path,
             blocks);
    int layers = 0;
    while (file.find("dense." + std::to_string(layers) + ".weight")) {
        const std::string name = "dense." + std::to_string(layers) + ".weight";
        const TensorInfo &w = *file.find(name);
        if (w.shape.size() != 2 || w.shape[0] < 1 || w.shape[0] > 1000000)
            fail("tensor '{}' in {} has shape {}; expected [out, in] with 1 to 1000000 outputs", name, path,
                 shape_string(w.shape));
        c.dense_units.push_back(static_cast<int>(w.shape[0]));
        ++layers;
    }
    if (layers == 0)
        fail("missing tensor 'dense.0.weight' in {}: the model needs at least one dense layer", path);
    c.conv_dropout = per_layer(parse_probabilities(file, "conv_dropout"), blocks, "conv_dropout", path);
    c.dense_dropout =
        per_layer(parse_probabilities(file, "dense_dropout"), layers - 1, "dense_dropout", path);

    try {
        // Lengths first, so that a flatten mismatch names the numbers that produce it.
        for (int i = 0; i < blocks; ++i) {
            if (c.pools[i] < 1 || c.pools[i] > 4096) // before pooled_length divides by it
                fail("pool of conv block {} is {}; expected 1 to 4096", i, c.pools[i]);
            if (c.conv_output_length(i) < 1 || c.pooled_length(i) < 1)
                fail("conv block {} leaves no positions: input length {}, kernel {}, padding {}, pool {}", i,
                     c.conv_input_length(i), c.conv_kernels[i], seqcnn_padding_name(c.padding), c.pools[i]);
        }
    } catch (const Error &e) {
        fail("bad metadata in {}: {}", path, e.what());
    }
    const TensorInfo &dense0 = *file.find("dense.0.weight");
    if (dense0.shape[1] != c.flatten_size())
        fail("tensor 'dense.0.weight' in {} has {} inputs, but the conv blocks flatten to {} channels x {} "
             "positions = {} (sequence_length {}, padding {}, kernels {}, pools {})",
             path, dense0.shape[1], c.conv_channels.back(), c.pooled_length(blocks - 1), c.flatten_size(),
             c.sequence_length, seqcnn_padding_name(c.padding), join_ints(c.conv_kernels),
             join_ints(c.pools));
    for (int j = 1; j < layers; ++j) {
        const TensorInfo &w = *file.find("dense." + std::to_string(j) + ".weight");
        if (w.shape[1] != c.dense_units[j - 1])
            fail("tensor 'dense.{}.weight' in {} has {} inputs; expected {} (the outputs of dense.{})", j,
                 path, w.shape[1], c.dense_units[j - 1], j - 1);
    }
    if (c.num_tasks() != c.dense_units.back())
        fail("metadata 'tasks' names {} tasks in {}, but tensor 'dense.{}.weight' has {} outputs",
             c.num_tasks(), path, layers - 1, c.dense_units.back());
    try {
        c.validate();
    } catch (const Error &e) {
        fail("bad metadata in {}: {}", path, e.what());
    }

    SeqcnnModel model(c);
    load_parameters(file, model.parameters(),
                    fmt::format("a seqcnn model with {} conv blocks and {} dense layers", blocks, layers));
    return model;
}

void seqcnn_save(const SeqcnnModel &model, const std::string &path) {
    const SeqcnnConfig &c = model.config;
    c.validate();
    SafetensorsWriter writer;
    writer.set_metadata("architecture", "seqcnn");
    writer.set_metadata("format", "pt");
    writer.set_metadata("sequence_length", std::to_string(c.sequence_length));
    writer.set_metadata("activation", seqcnn_activation_name(c.activation));
    writer.set_metadata("padding", seqcnn_padding_name(c.padding));
    writer.set_metadata("pool", join_ints(c.pools));
    writer.set_metadata("conv_dropout", join_doubles(c.conv_dropout));
    writer.set_metadata("dense_dropout", join_doubles(c.dense_dropout));
    writer.set_metadata("tasks", join_list(c.tasks));
    writer.set_metadata("causeway_version", kVersion);
    for (auto &[name, tensor] : model.parameters()) writer.add_f32(name, tensor->shape, tensor->data.data());
    writer.write(path);
}

} // namespace causeway
