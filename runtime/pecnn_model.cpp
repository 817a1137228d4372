#include "causeway/pecnn_model.h"

#include <cmath>
#include <random>

#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "causeway/version.h"

namespace causeway {

const std::vector<std::string> &default_marks() {
    static const std::vector<std::string> marks = {"H3K36me3", "H3K27me3", "H3K27ac",
                                                   "H3K4me1",  "H3K4me3",  "H3K9me3"};
    return marks;
}

void PecnnConfig::validate() const {
    if (marks.empty()) fail("the model needs at least one mark");
    for (size_t i = 0; i < marks.size(); ++i) {
        if (marks[i].empty()) fail("mark {} has an empty name", i + 1);
        for (size_t j = 0; j < i; ++j)
            if (marks[i] == marks[j]) fail("mark '{}' is listed twice", marks[i]);
    }
    if (hidden < 1 || hidden > 4096) fail("hidden must be in [1, 4096], got {}", hidden);
    if (depth < 1 || depth > 64) fail("depth must be in [1, 64], got {}", depth);
    if (kernel < 1 || kernel % 2 == 0 || kernel > 4097)
        fail("kernel must be odd (so that padding keeps the bins aligned) and at most 4097, got {}", kernel);
    // The compiled pipelines unroll blocks of up to 8 bins.
    if (bins < 8 || bins > 1000000) fail("bins must be in [8, 1000000], got {}", bins);
    if (static_cast<int>(dilations.size()) != depth)
        fail("{} dilations given for {} equivariant layers", dilations.size(), depth);
    for (int d : dilations)
        if (d < 1 || d > 4096) fail("dilations must be in [1, 4096], got {}", d);
}

Tensor::Tensor(std::vector<int64_t> s) : shape(std::move(s)) {
    int64_t n = 1;
    for (auto d : shape) n *= d;
    data.assign(static_cast<size_t>(n), 0.f);
}

PecnnModel::PecnnModel(const PecnnConfig &c) : config(c) {
    const int64_t h = c.hidden, k = c.kernel;
    for (int i = 0; i < c.depth; ++i) {
        int64_t in = i == 0 ? c.num_marks() : h;
        equivariant_weight.emplace_back(std::vector<int64_t>{h, in, 1, k});
        equivariant_bias.emplace_back(std::vector<int64_t>{h});
    }
    invariant_weight = Tensor({h, h, 1, k});
    invariant_bias = Tensor({h});
    readout_weight = Tensor({1, 2 * h, 1, c.bins});
    readout_bias = Tensor({1});
}

std::vector<std::pair<std::string, Tensor *>> PecnnModel::parameters() {
    std::vector<std::pair<std::string, Tensor *>> list;
    for (size_t i = 0; i < equivariant_weight.size(); ++i) {
        list.emplace_back("equivariant." + std::to_string(i) + ".weight", &equivariant_weight[i]);
        list.emplace_back("equivariant." + std::to_string(i) + ".bias", &equivariant_bias[i]);
    }
    list.emplace_back("invariant.weight", &invariant_weight);
    list.emplace_back("invariant.bias", &invariant_bias);
    list.emplace_back("readout.weight", &readout_weight);
    list.emplace_back("readout.bias", &readout_bias);
    return list;
}

std::vector<std::pair<std::string, const Tensor *>> PecnnModel::parameters() const {
    std::vector<std::pair<std::string, const Tensor *>> list;
    for (auto &[name, t] : const_cast<PecnnModel *>(this)->parameters()) list.emplace_back(name, t);
    return list;
}

int64_t PecnnModel::parameter_count() const {
    int64_t n = 0;
    for (auto &p : parameters()) n += p.second->size();
    return n;
}

std::string pooling_name(Pooling pooling) {
    return pooling == Pooling::Mean ? "mean" : "max";
}

Pooling parse_pooling(const std::string &text) {
    if (text == "mean") return Pooling::Mean;
    if (text == "max") return Pooling::Max;
    fail("pooling must be 'mean' or 'max', got '{}'", text);
}

std::vector<std::string> split_list(const std::string &text, char separator) {
    std::vector<std::string> items;
    if (text.empty()) return items;
    size_t start = 0;
    while (true) {
        size_t end = text.find(separator, start);
        items.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return items;
}

std::string join_list(const std::vector<std::string> &items, const std::string &separator) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
    return out;
}

PecnnModel pecnn_init(const PecnnConfig &config, uint64_t seed) {
    config.validate();
    PecnnModel model(config);
    std::mt19937_64 rng(seed);
    // 53 random bits -> [0, 1): the same on every platform (std::uniform_real_distribution is not).
    auto uniform = [&](double bound) {
        double u = static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
        return static_cast<float>((2 * u - 1) * bound);
    };
    auto fill = [&](Tensor &weight, Tensor &bias) {
        const auto fan_in = static_cast<double>(weight.shape[1] * weight.shape[2] * weight.shape[3]);
        const double bound = 1.0 / std::sqrt(fan_in);
        for (auto &v : weight.data) v = uniform(bound);
        for (auto &v : bias.data) v = uniform(bound);
    };
    for (int i = 0; i < config.depth; ++i) fill(model.equivariant_weight[i], model.equivariant_bias[i]);
    fill(model.invariant_weight, model.invariant_bias);
    fill(model.readout_weight, model.readout_bias);
    return model;
}

namespace {

int parse_int_metadata(const SafetensorsFile &file, const std::string &key) {
    const std::string &text = file.metadata(key);
    try {
        size_t used = 0;
        long value = std::stol(text, &used);
        if (used != text.size() || value < -2147483647L || value > 2147483647L)
            throw std::invalid_argument(text);
        return static_cast<int>(value);
    } catch (const std::exception &) {
        fail("metadata '{}' is not an integer ('{}') in {}", key, text, file.path());
    }
}

} // namespace

void load_parameters(const SafetensorsFile &file,
                     const std::vector<std::pair<std::string, Tensor *>> &parameters,
                     const std::string &model) {
    for (auto &[name, tensor] : parameters) {
        const float *data = file.f32(name, tensor->shape);
        std::copy(data, data + tensor->size(), tensor->data.begin());
        for (int64_t i = 0; i < tensor->size(); ++i)
            if (!std::isfinite(tensor->data[i]))
                fail("tensor '{}' in {} has a non-finite value at flat index {}", name, file.path(), i);
    }
    for (auto &t : file.tensors()) {
        bool known = false;
        for (auto &p : parameters) known = known || p.first == t.name;
        if (!known) fail("unexpected tensor '{}' in {}: not part of {}", t.name, file.path(), model);
    }
}

PecnnModel pecnn_load(const std::string &path) {
    SafetensorsFile file(path);
    auto arch = file.metadata().find("architecture");
    if (arch == file.metadata().end())
        fail("missing metadata 'architecture' in {} (expected \"pecnn\"; is this a causeway model file?)",
             path);
    if (arch->second != "pecnn") fail("{} holds a '{}' model, expected 'pecnn'", path, arch->second);
    PecnnConfig config;
    config.marks = split_list(file.metadata("marks"));
    config.bins = parse_int_metadata(file, "bins");
    config.hidden = parse_int_metadata(file, "hidden");
    config.depth = parse_int_metadata(file, "depth");
    config.kernel = parse_int_metadata(file, "kernel");
    config.dilations.clear();
    for (auto &d : split_list(file.metadata("dilations"))) {
        try {
            size_t used = 0;
            config.dilations.push_back(std::stoi(d, &used));
            if (used != d.size()) throw std::invalid_argument(d);
        } catch (const std::exception &) {
            fail("metadata 'dilations' is not a comma list of integers ('{}') in {}",
                 file.metadata("dilations"), path);
        }
    }
    try {
        config.pooling = parse_pooling(file.metadata("pooling"));
        config.validate();
    } catch (const Error &e) {
        fail("bad metadata in {}: {}", path, e.what());
    }
    // The metadata alone may describe billions of parameters (hidden 4096, kernel 4097, depth 64): refuse a
    // model far larger than the file's values before allocating it. A near miss (a missing or mistyped
    // tensor) is left to load_parameters, whose message names the tensor.
    const int64_t h = config.hidden, k = config.kernel;
    const int64_t wanted = h * config.num_marks() * k + (config.depth - 1) * h * h * k + config.depth * h +
                           h * h * k + h + 2 * h * config.bins + 1;
    int64_t held = 0;
    for (const TensorInfo &t : file.tensors()) held += t.elements();
    if (wanted > 2 * held + (int64_t(1) << 20))
        fail("{} describes a model of {} parameters in its metadata but holds only {} values", path, wanted,
             held);
    PecnnModel model(config);
    load_parameters(file, model.parameters(), fmt::format("a depth-{} pecnn model", config.depth));
    return model;
}

void pecnn_save(const PecnnModel &model, const std::string &path) {
    const PecnnConfig &c = model.config;
    SafetensorsWriter writer;
    writer.set_metadata("architecture", "pecnn");
    writer.set_metadata("format", "pt");
    writer.set_metadata("marks", join_list(c.marks));
    writer.set_metadata("bins", std::to_string(c.bins));
    writer.set_metadata("hidden", std::to_string(c.hidden));
    writer.set_metadata("depth", std::to_string(c.depth));
    writer.set_metadata("kernel", std::to_string(c.kernel));
    std::vector<std::string> dilations;
    for (int d : c.dilations) dilations.push_back(std::to_string(d));
    writer.set_metadata("dilations", join_list(dilations));
    writer.set_metadata("pooling", pooling_name(c.pooling));
    writer.set_metadata("causeway_version", kVersion);
    for (auto &[name, tensor] : model.parameters()) writer.add_f32(name, tensor->shape, tensor->data.data());
    writer.write(path);
}

} // namespace causeway
