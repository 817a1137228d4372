#include "causeway/seqcnn_mutants.h"

#include <algorithm>
#include <cmath>

#include "causeway/error.h"

namespace causeway {

namespace {

// Mutant sequences per forward call: enough to fill the dense layers' register blocks many times over,
// few enough that the one-hot batch stays small.
constexpr int kMutantsPerCall = 256;

// One-hot [4, L] -> its reverse complement (A <-> T, C <-> G, positions reversed).
void reverse_complement(const float *sequence, int length, float *out) {
    for (int c = 0; c < 4; ++c)
        for (int x = 0; x < length; ++x) out[c * length + (length - 1 - x)] = sequence[(3 - c) * length + x];
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

MutantEffects seqcnn_mutant_batch(SeqcnnNetwork &network, const float *reference,
                                  const MutantBatchOptions &o) {
    const SeqcnnConfig &c = network.config();
    const int length = c.sequence_length;
    if (o.samples < 0) fail("mutant batch: samples must be >= 0, got {}", o.samples);
    if (o.tasks.empty()) fail("mutant batch: no tasks requested");
    for (int t : o.tasks)
        if (t < 0 || t >= c.num_tasks())
            fail("mutant batch: task index {} out of range (the model has {})", t, c.num_tasks());

    MutantEffects effects;
    effects.tasks = static_cast<int>(o.tasks.size());
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
    if (o.substitutions.empty()) {
        for (int x = 0; x < length; ++x) {
            if (reference_base[x] < 0) continue; // N: never mutated
            for (int alt = 0; alt < 4; ++alt)
                if (alt != reference_base[x]) add(x, alt);
        }
    } else {
        for (const Substitution &s : o.substitutions) {
            if (s.position < 0 || s.position >= length)
                fail("mutant batch: substitution at position {} outside the window of {} bases", s.position,
                     length);
            if (s.alt > 3) fail("mutant batch: alternative base index {} at position {} (0..3 = A, C, G, T)",
                                int(s.alt), s.position);
            if (reference_base[s.position] < 0)
                fail("mutant batch: cannot substitute at position {}: the reference is N there", s.position);
            if (reference_base[s.position] == s.alt)
                fail("mutant batch: substitution at position {} repeats the reference base", s.position);
            add(s.position, s.alt);
        }
    }
    const int64_t mutants = static_cast<int64_t>(effects.position.size());
    const int tasks = effects.tasks, all_tasks = c.num_tasks();
    const int strands = o.reverse_complement ? 2 : 1;
    const int64_t sequence_floats = 4 * static_cast<int64_t>(length);
    // Welford's running mean and sum of squared deviations of d_n = f(m, theta_n) - f(r, theta_n): the
    // paper's mean_n d_n^2 - beta^2 without its cancellation.
    std::vector<double> mean(mutants * tasks, 0.0), squares(mutants * tasks, 0.0);
    std::vector<double> reference_mean(tasks, 0.0), mutant_mean(mutants * tasks, 0.0);

    // Sequence i, strand s at batch index i * strands + s.
    std::vector<float> batch(static_cast<size_t>(kMutantsPerCall) * strands * sequence_floats);
    std::vector<float> probabilities(static_cast<size_t>(kMutantsPerCall) * strands * all_tasks);
    std::vector<float> reference_probabilities(strands * all_tasks);
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
            reference_mean[t] += (reference_prediction[t] - reference_mean[t]) / (n + 1);
        }

        for (int64_t start = 0; start < mutants; start += kMutantsPerCall) {
            const int64_t count = std::min<int64_t>(kMutantsPerCall, mutants - start);
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
                for (int t = 0; t < tasks; ++t) {
                    const double p = prediction(probabilities, i, o.tasks[t]);
                    const double d = p - reference_prediction[t];
                    const size_t k = static_cast<size_t>((start + i) * tasks + t);
                    mutant_mean[k] += (p - mutant_mean[k]) / (n + 1);
                    const double delta = d - mean[k];
                    mean[k] += delta / (n + 1);
                    squares[k] += delta * (d - mean[k]);
                }
        }
    }
    effects.beta = std::move(mean);
    effects.reference_mean = std::move(reference_mean);
    effects.mutant_mean = std::move(mutant_mean);
    effects.se.resize(squares.size());
    for (size_t k = 0; k < squares.size(); ++k)
        effects.se[k] = o.samples > 0 ? std::sqrt(squares[k] / passes) : 0.0;
    return effects;
}

} // namespace causeway
