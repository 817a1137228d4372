#include "causeway/study/training_state.h"

#include <cmath>
#include <iterator>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"

namespace causeway {

namespace {

std::vector<TrainingLogRow> parse_training_log(const std::string &text, const std::string &path) {
    std::vector<TrainingLogRow> rows;
    std::istringstream in(text);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        TrainingLogRow r{};
        std::string valid;
        std::istringstream fields(line);
        if (!(fields >> r.epoch >> r.train_loss >> valid >> r.lr >> r.seconds))
            fail("checkpoint: a malformed training-log line '{}': {}", line, path);
        r.valid_loss = valid == "NA" ? std::nan("") : std::stod(valid);
        rows.push_back(r);
    }
    return rows;
}

long metadata_long(const SafetensorsFile &file, const std::string &key) {
    const std::string &text = file.metadata(key);
    try {
        size_t used = 0;
        const long value = std::stol(text, &used);
        if (used == text.size()) return value;
    } catch (const std::exception &) {
    }
    fail("checkpoint: metadata '{}' is not an integer ('{}'): {}", key, text, file.path());
}

std::map<std::string, std::string> decode_settings(const std::string &text) {
    std::map<std::string, std::string> settings;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const size_t tab = line.find('\t');
        if (tab != std::string::npos) settings[line.substr(0, tab)] = line.substr(tab + 1);
    }
    return settings;
}

} // namespace

std::string training_log_text(const std::vector<TrainingLogRow> &rows) {
    std::string text = "epoch\ttrain_loss\tvalid_loss\tlr\tseconds\n";
    for (const TrainingLogRow &r : rows)
        text +=
            fmt::format("{}\t{:.9g}\t{}\t{:.9g}\t{:.3f}\n", r.epoch, r.train_loss,
                        std::isnan(r.valid_loss) ? std::string("NA") : fmt::format("{:.9g}", r.valid_loss),
                        r.lr, r.seconds);
    return text;
}

void write_training_log(const std::string &path, const std::vector<TrainingLogRow> &rows) {
    AtomicOutput log(path);
    log.print("{}", training_log_text(rows));
    log.commit();
}

void TrainingState::end_epoch(bool validate, double train_loss, double valid_loss, double lr, double seconds,
                              const float *parameters, size_t count, int patience) {
    ++epoch;
    if (validate) {
        if (valid_loss < best_valid_loss) {
            best_valid_loss = valid_loss;
            best_epoch = epoch;
            bad_epochs = 0;
            best_parameters.assign(parameters, parameters + count);
        } else if (++bad_epochs >= patience && patience > 0) {
            stopped = true;
        }
    } else {
        best_epoch = epoch;
    }
    log.push_back({epoch, train_loss, valid_loss, lr, seconds});
}

std::string encode_training_settings(const std::vector<std::pair<std::string, std::string>> &settings) {
    std::string text;
    for (const auto &[key, value] : settings)
        fmt::format_to(std::back_inserter(text), "{}\t{}\n", key, value);
    return text;
}

std::string exact_number(double value) {
    return fmt::format("{:.17g}", value);
}

uint64_t uniform_below(std::mt19937_64 &rng, uint64_t n) {
    const uint64_t limit = std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t x = rng();
    while (x >= limit) x = rng();
    return x % n;
}

void shuffle_in_place(std::vector<int64_t> &order, std::mt19937_64 &rng) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[uniform_below(rng, i)]);
}

std::string training_output_stem(const std::string &out) {
    const std::string suffix = ".safetensors";
    if (out.size() > suffix.size() && out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0)
        return out.substr(0, out.size() - suffix.size());
    return out;
}

void write_training_checkpoint(const std::string &path, const TrainingCheckpointFormat &format,
                               const std::string &settings, const TrainingState &state,
                               const float *parameters, const Adam &adam,
                               const std::vector<std::pair<std::string, std::string>> &metadata) {
    SafetensorsWriter writer;
    writer.set_metadata("architecture", format.architecture);
    writer.set_metadata("settings", settings);
    for (auto &[key, value] : metadata) writer.set_metadata(key, value);
    writer.set_metadata("epoch", std::to_string(state.epoch));
    writer.set_metadata("stopped", state.stopped ? "1" : "0");
    writer.set_metadata("best_epoch", std::to_string(state.best_epoch));
    writer.set_metadata("bad_epochs", std::to_string(state.bad_epochs));
    writer.set_metadata("best_valid_loss", exact_number(state.best_valid_loss));
    writer.set_metadata("adam_steps", std::to_string(adam.steps()));
    std::ostringstream rng;
    rng << state.rng;
    writer.set_metadata("rng", rng.str());
    writer.set_metadata("log", training_log_text(state.log));
    // PyTorch's names: the model, then Adam's moments as torch.optim.Adam names them.
    format.save_parameters(writer, "", parameters);
    format.save_parameters(writer, "exp_avg.", adam.exp_avg().data());
    format.save_parameters(writer, "exp_avg_sq.", adam.exp_avg_sq().data());
    if (!state.best_parameters.empty()) format.save_parameters(writer, "best.", state.best_parameters.data());
    writer.write(path);
}

void read_training_checkpoint(const std::string &path, const TrainingCheckpointFormat &format,
                              const std::string &settings, TrainingState &state, float *parameters,
                              size_t count, Adam &adam) {
    SafetensorsFile file(path);
    if (file.metadata().count("architecture") == 0 || file.metadata("architecture") != format.architecture)
        fail("--resume: not a {} (metadata 'architecture' is not '{}'): {}", format.description,
             format.architecture, path);
    // Name the first setting that differs, so the user can re-run the same command.
    const std::map<std::string, std::string> saved = decode_settings(file.metadata("settings"));
    for (auto &[key, value] : decode_settings(settings)) {
        auto it = saved.find(key);
        const std::string was = it == saved.end() ? "(not set)" : it->second;
        if (was != value)
            fail("--resume: the checkpoint was written with {} {}, this run has {}; re-run the interrupted "
                 "command with --resume added: {}",
                 key, was.empty() ? "''" : was, value.empty() ? "''" : value, path);
    }
    format.load_parameters(file, "", parameters);
    std::vector<float> m(count), v(count);
    format.load_parameters(file, "exp_avg.", m.data());
    format.load_parameters(file, "exp_avg_sq.", v.data());
    adam.restore(metadata_long(file, "adam_steps"), std::move(m), std::move(v));
    state.epoch = static_cast<int>(metadata_long(file, "epoch"));
    state.stopped = metadata_long(file, "stopped") != 0;
    state.best_epoch = static_cast<int>(metadata_long(file, "best_epoch"));
    state.bad_epochs = static_cast<int>(metadata_long(file, "bad_epochs"));
    state.best_valid_loss = std::stod(file.metadata("best_valid_loss"));
    std::istringstream rng(file.metadata("rng"));
    rng >> state.rng;
    if (rng.fail()) fail("checkpoint: metadata 'rng' is not a generator state: {}", path);
    state.log = parse_training_log(file.metadata("log"), path);
    if (file.find(format.best_probe)) {
        state.best_parameters.assign(count, 0.f);
        format.load_parameters(file, "best.", state.best_parameters.data());
    }
}

} // namespace causeway
