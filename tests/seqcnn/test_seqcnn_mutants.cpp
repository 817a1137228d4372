// Saturation mutagenesis under shared-mask MC dropout against a direct computation: every mutant built
// and run on its own through the (PyTorch-checked) forward pass, beta and se from the paper's formula.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "causeway/seqcnn_mutants.h"

#include "direct_prediction.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;

struct MutagenesisFixture {
    SeqcnnModel model = seqcnn_load(kFixtures + "/relu_same_dense3.model.safetensors");
    std::vector<float> reference; // the fixture's second sequence: an N at position 3
    MutagenesisFixture() {
        SafetensorsFile expected(kFixtures + "/relu_same_dense3.expected.safetensors");
        const float *inputs = expected.f32("inputs", {-1, 4, model.config.sequence_length});
        const int64_t floats = 4 * model.config.sequence_length;
        reference.assign(inputs + floats, inputs + 2 * floats);
    }
};

std::vector<float> mutate(const std::vector<float> &reference, int length, int x, int ref, int alt) {
    std::vector<float> m = reference;
    m[ref * length + x] = 0.f;
    m[alt * length + x] = 1.f;
    return m;
}

void check_against_direct(bool rc, int samples) {
    MutagenesisFixture s;
    const SeqcnnConfig &c = s.model.config;
    const int length = c.sequence_length;
    SeqcnnNetwork network(s.model);
    MutantBatchOptions options;
    options.tasks = {4, 1};
    options.samples = samples;
    options.seed = 99;
    options.reverse_complement = rc;
    const MutantEffects effects = seqcnn_mutant_batch(network, s.reference.data(), options);

    ASSERT_EQ(effects.position.size(), size_t(3 * (length - 1))); // position 3 is N
    EXPECT_EQ(std::count(effects.position.begin(), effects.position.end(), 3), 0);
    const int passes = std::max(samples, 1);
    std::vector<std::vector<double>> reference(passes);
    for (int n = 0; n < passes; ++n)
        reference[n] = testing::predict_direct(network, s.reference, samples ? n : -1, 99, rc);
    double largest_se = 0;
    for (size_t m = 0; m < effects.position.size(); ++m) {
        const std::vector<float> mutant =
            mutate(s.reference, length, effects.position[m], effects.ref[m], effects.alt[m]);
        ASSERT_EQ(s.reference[effects.ref[m] * length + effects.position[m]], 1.f);
        std::vector<double> sum(2, 0.0), sum_squares(2, 0.0);
        for (int n = 0; n < passes; ++n) {
            const std::vector<double> f = testing::predict_direct(network, mutant, samples ? n : -1, 99, rc);
            for (int t = 0; t < 2; ++t) {
                const double d = f[options.tasks[t]] - reference[n][options.tasks[t]];
                sum[t] += d;
                sum_squares[t] += d * d;
            }
        }
        for (int t = 0; t < 2; ++t) {
            const double beta = sum[t] / passes;
            const double se = std::sqrt(std::max(0.0, sum_squares[t] / passes - beta * beta));
            // float32 throughout; the incremental evaluation sums in another order than a full pass.
            EXPECT_NEAR(effects.beta[m * 2 + t], beta, 1e-6) << "mutation " << m << " task " << t;
            EXPECT_NEAR(effects.se[m * 2 + t], se, 1e-6) << "mutation " << m << " task " << t;
            largest_se = std::max(largest_se, effects.se[m * 2 + t]);
        }
    }
    if (samples == 0)
        EXPECT_EQ(largest_se, 0.0);
    else
        EXPECT_GT(largest_se, 1e-3);
}

TEST(SeqcnnMutantBatch, EqualsDirectComputationWithoutDropout) {
    check_against_direct(false, 0);
}

TEST(SeqcnnMutantBatch, EqualsDirectComputationWithSharedMasks) {
    check_against_direct(false, 6);
}

TEST(SeqcnnMutantBatch, EqualsDirectComputationWithReverseComplement) {
    check_against_direct(true, 4);
}

TEST(SeqcnnMutantBatch, SharedMasksKeepTheCovariance) {
    // se from the paper's formula (shared masks) against the naive one that treats the reference and the
    // mutant as independent (var f(m) + var f(r)): the covariance between them is large and positive, so
    // the shared-mask se is clearly smaller for most substitutions.
    MutagenesisFixture s;
    const int length = s.model.config.sequence_length;
    SeqcnnNetwork network(s.model);
    MutantBatchOptions options;
    options.tasks = {0};
    options.samples = 20;
    options.seed = 5;
    const MutantEffects effects = seqcnn_mutant_batch(network, s.reference.data(), options);
    std::vector<double> ref(options.samples);
    for (int n = 0; n < options.samples; ++n)
        ref[n] = testing::predict_direct(network, s.reference, n, 6, false)[0]; // other masks
    auto variance = [](const std::vector<double> &v) {
        double mean = 0, sq = 0;
        for (double x : v) mean += x / v.size();
        for (double x : v) sq += (x - mean) * (x - mean) / v.size();
        return sq;
    };
    int smaller = 0;
    const int checked = 30;
    for (int m = 0; m < checked; ++m) {
        const std::vector<float> mutant =
            mutate(s.reference, length, effects.position[m], effects.ref[m], effects.alt[m]);
        std::vector<double> f(options.samples);
        for (int n = 0; n < options.samples; ++n)
            f[n] = testing::predict_direct(network, mutant, n, 5, false)[0];
        const double independent_se = std::sqrt(variance(f) + variance(ref));
        smaller += effects.se[m] < 0.5 * independent_se;
    }
    EXPECT_GE(smaller, checked * 9 / 10);
}

TEST(SeqcnnMutantBatch, SameSeedSameEffects) {
    MutagenesisFixture s;
    SeqcnnNetwork network(s.model);
    MutantBatchOptions options;
    options.tasks = {2};
    options.samples = 3;
    options.seed = 17;
    const MutantEffects a = seqcnn_mutant_batch(network, s.reference.data(), options);
    const MutantEffects b = seqcnn_mutant_batch(network, s.reference.data(), options);
    options.seed = 18;
    const MutantEffects other = seqcnn_mutant_batch(network, s.reference.data(), options);
    EXPECT_EQ(a.beta, b.beta);
    EXPECT_EQ(a.se, b.se);
    EXPECT_NE(a.beta, other.beta);
}

TEST(SeqcnnMutantBatch, ChosenSubstitutionsMatchSaturation) {
    // A subset (as score-variants asks: a VCF's variants in one window) gives exactly the saturation run's
    // rows for those substitutions, in the order given, and the mean probabilities agree with beta.
    MutagenesisFixture s;
    SeqcnnNetwork network(s.model);
    MutantBatchOptions options;
    options.tasks = {1, 3};
    options.samples = 5;
    options.seed = 7;
    const MutantEffects all = seqcnn_mutant_batch(network, s.reference.data(), options);
    const std::vector<size_t> picked = {40, 2, 17, all.position.size() - 1};
    for (size_t m : picked) options.substitutions.push_back({all.position[m], all.alt[m]});
    const MutantEffects some = seqcnn_mutant_batch(network, s.reference.data(), options);
    ASSERT_EQ(some.position.size(), picked.size());
    ASSERT_EQ(some.reference_mean.size(), 2u);
    for (size_t i = 0; i < picked.size(); ++i) {
        EXPECT_EQ(some.position[i], all.position[picked[i]]);
        EXPECT_EQ(some.ref[i], all.ref[picked[i]]);
        for (int t = 0; t < 2; ++t) {
            EXPECT_NEAR(some.beta[i * 2 + t], all.beta[picked[i] * 2 + t], 1e-12);
            EXPECT_NEAR(some.se[i * 2 + t], all.se[picked[i] * 2 + t], 1e-12);
            EXPECT_NEAR(some.mutant_mean[i * 2 + t] - some.reference_mean[t], some.beta[i * 2 + t], 1e-6);
        }
    }
    // The reference mean is the mean over samples of the reference's own prediction.
    double mean = 0;
    for (int n = 0; n < options.samples; ++n)
        mean += testing::predict_direct(network, s.reference, n, 7, false)[1];
    EXPECT_NEAR(some.reference_mean[0], mean / options.samples, 1e-6);

    options.substitutions = {{3, 0}}; // the fixture's N
    EXPECT_THROW(seqcnn_mutant_batch(network, s.reference.data(), options), Error);
    options.substitutions = {{all.position[0], all.ref[0]}}; // the reference base itself
    EXPECT_THROW(seqcnn_mutant_batch(network, s.reference.data(), options), Error);
    options.substitutions = {{s.model.config.sequence_length, 1}};
    EXPECT_THROW(seqcnn_mutant_batch(network, s.reference.data(), options), Error);
}

TEST(SeqcnnMutantBatch, BadInputs) {
    MutagenesisFixture s;
    SeqcnnNetwork network(s.model);
    try {
        seqcnn_task_indices(s.model.config, {"cell1|factor1", "HepG2|FOXA1"});
        ADD_FAILURE() << "no error";
    } catch (const Error &e) {
        EXPECT_NE(std::string(e.what()).find("unknown task name 'HepG2|FOXA1'"), std::string::npos)
            << e.what();
    }
    EXPECT_EQ(seqcnn_task_indices(s.model.config, {"cell1|factor4", "cell0|factor0"}),
              (std::vector<int>{4, 0}));
    MutantBatchOptions options;
    options.tasks = {0};
    std::vector<float> not_one_hot = s.reference;
    not_one_hot[5] = 0.5f;
    EXPECT_THROW(seqcnn_mutant_batch(network, not_one_hot.data(), options), Error);
    options.tasks = {5};
    EXPECT_THROW(seqcnn_mutant_batch(network, s.reference.data(), options), Error);
}

} // namespace
} // namespace causeway
