// The incremental mutant evaluation (the default) against the naive one (every mutant through the whole,
// PyTorch-checked forward pass) on every committed fixture: relu and threshold, pools 1 to 5, 'same' and
// 'valid' padding, one to three dense layers, the DeepSEA-shaped ratio model. With and without dropout,
// with the reverse complement, with chosen substitutions, with N bases in the reference and mutations at
// both ends of the sequence. test_seqcnn_mutants.cpp checks the default path against a per-mutant loop too.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "causeway/safetensors.h"
#include "causeway/seqcnn_mutants.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;

struct Fixture {
    SeqcnnModel model;
    std::vector<float> reference;
    explicit Fixture(const std::string &name)
        : model(seqcnn_load(kFixtures + "/" + name + ".model.safetensors")) {
        SafetensorsFile expected(kFixtures + "/" + name + ".expected.safetensors");
        const int length = model.config.sequence_length;
        const float *inputs = expected.f32("inputs", {-1, 4, length});
        // The fixture's second sequence (an N at position 3), with a second N next to the far end.
        reference.assign(inputs + 4 * length, inputs + 8 * length);
        for (int b = 0; b < 4; ++b) reference[b * length + length - 2] = 0.f;
    }
};

void expect_near(const std::vector<double> &a, const std::vector<double> &b, double tolerance,
                 const char *what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    double worst = 0;
    size_t at = 0;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::abs(a[i] - b[i]) > worst) worst = std::abs(a[i] - b[i]), at = i;
    EXPECT_LE(worst, tolerance) << what << " differs most at " << at << ": " << a[at] << " vs " << b[at];
}

void check_equal_to_naive(const std::string &name, int samples, bool rc) {
    Fixture f(name);
    const SeqcnnConfig &c = f.model.config;
    SeqcnnNetwork network(f.model);
    MutantBatchOptions options;
    for (int t = 0; t < c.num_tasks(); ++t) options.tasks.push_back(c.num_tasks() - 1 - t);
    options.samples = samples;
    options.seed = 31;
    options.reverse_complement = rc;
    const MutantEffects incremental = seqcnn_mutant_batch(network, f.reference.data(), options);
    options.incremental = false;
    const MutantEffects naive = seqcnn_mutant_batch(network, f.reference.data(), options);

    const int length = c.sequence_length;
    ASSERT_EQ(incremental.position.size(), size_t(3 * (length - 2))); // two N positions
    EXPECT_EQ(incremental.position.front(), 0);
    EXPECT_EQ(incremental.position.back(), length - 1);
    EXPECT_EQ(incremental.position, naive.position);
    EXPECT_EQ(incremental.alt, naive.alt);
    expect_near(incremental.beta, naive.beta, 1e-5, "beta");
    expect_near(incremental.se, naive.se, 1e-5, "se");
    expect_near(incremental.mutant_mean, naive.mutant_mean, 1e-5, "mutant_mean");
    expect_near(incremental.reference_mean, naive.reference_mean, 1e-5, "reference_mean");
    // Not vacuous: the mutations move the predictions, and with dropout the samples disagree.
    double largest_beta = 0, largest_se = 0;
    for (double b : naive.beta) largest_beta = std::max(largest_beta, std::abs(b));
    for (double s : naive.se) largest_se = std::max(largest_se, s);
    EXPECT_GT(largest_beta, 1e-3);
    if (samples > 0 && c.conv_dropout[0] > 0) {
        EXPECT_GT(largest_se, 1e-4);
    }
}

class SeqcnnIncremental : public testing::TestWithParam<std::string> {};

TEST_P(SeqcnnIncremental, EqualsNaiveWithoutDropout) {
    check_equal_to_naive(GetParam(), 0, false);
}

TEST_P(SeqcnnIncremental, EqualsNaiveWithSharedMasks) {
    check_equal_to_naive(GetParam(), 5, false);
}

TEST_P(SeqcnnIncremental, EqualsNaiveWithReverseComplement) {
    check_equal_to_naive(GetParam(), 3, true);
}

TEST_P(SeqcnnIncremental, EqualsNaiveWithReverseComplementWithoutDropout) {
    check_equal_to_naive(GetParam(), 0, true);
}

TEST_P(SeqcnnIncremental, ChosenSubstitutionsEqualNaive) {
    // A VCF's variants in one window: scattered, out of order, at both ends, one repeated.
    Fixture f(GetParam());
    const int length = f.model.config.sequence_length;
    SeqcnnNetwork network(f.model);
    MutantBatchOptions options;
    options.tasks = {0};
    options.samples = 4;
    options.seed = 3;
    options.reverse_complement = true;
    auto base_at = [&](int x) {
        for (int b = 0; b < 4; ++b)
            if (f.reference[b * length + x] == 1.f) return b;
        return -1;
    };
    for (int x : {length - 1, 0, length / 2, 1, length / 2, length - 3})
        options.substitutions.push_back({x, static_cast<uint8_t>((base_at(x) + 1 + x % 3) % 4)});
    const MutantEffects incremental = seqcnn_mutant_batch(network, f.reference.data(), options);
    options.incremental = false;
    const MutantEffects naive = seqcnn_mutant_batch(network, f.reference.data(), options);
    ASSERT_EQ(incremental.position.size(), options.substitutions.size());
    EXPECT_EQ(incremental.position, naive.position);
    expect_near(incremental.beta, naive.beta, 1e-5, "beta");
    expect_near(incremental.se, naive.se, 1e-5, "se");
    EXPECT_EQ(incremental.beta[2], incremental.beta[4]); // the repeated substitution
}

TEST_P(SeqcnnIncremental, SameSeedSameBetasWhateverTheBatch) {
    Fixture f(GetParam());
    SeqcnnNetwork network(f.model);
    MutantBatchOptions options;
    options.tasks = {0};
    options.samples = 3;
    options.seed = 12;
    options.reverse_complement = true;
    const MutantEffects a = seqcnn_mutant_batch(network, f.reference.data(), options);
    options.batch = 1; // one position per chain of calls
    const MutantEffects b = seqcnn_mutant_batch(network, f.reference.data(), options);
    options.batch = 100;
    const MutantEffects c = seqcnn_mutant_batch(network, f.reference.data(), options);
    EXPECT_EQ(a.beta, b.beta);
    EXPECT_EQ(a.se, b.se);
    EXPECT_EQ(a.beta, c.beta);
    EXPECT_EQ(a.mutant_mean, c.mutant_mean);
}

TEST_P(SeqcnnIncremental, WindowsBatchedTogetherEqualOneByOneAndNaive) {
    // score-variants' case: several windows (here the fixture's reference, its reverse and a shifted
    // copy), each with its own chosen substitutions or saturation, their reference passes batched; each
    // window's effects equal a call for that window alone and the naive full recomputation.
    Fixture f(GetParam());
    const int length = f.model.config.sequence_length;
    SeqcnnNetwork network(f.model);
    std::vector<std::vector<float>> references(3, f.reference);
    for (int b = 0; b < 4; ++b)
        for (int x = 0; x < length; ++x) {
            references[1][b * length + x] = f.reference[b * length + (length - 1 - x)];
            references[2][b * length + x] = f.reference[b * length + (x + 5) % length];
        }
    auto base_at = [&](const std::vector<float> &r, int x) {
        for (int b = 0; b < 4; ++b)
            if (r[b * length + x] == 1.f) return b;
        return -1;
    };
    std::vector<MutantWindow> windows;
    for (size_t w = 0; w < references.size(); ++w) {
        MutantWindow window{references[w].data(), {}};
        if (w != 1) // window 1: saturation
            for (int x : {int(w), length / 2, length - 1 - int(w)})
                if (base_at(references[w], x) >= 0)
                    window.substitutions.push_back({x, static_cast<uint8_t>((base_at(references[w], x) + 1) % 4)});
        windows.push_back(window);
    }
    MutantBatchOptions options;
    options.tasks = {0};
    options.samples = 3;
    options.seed = 5;
    options.reverse_complement = true;
    const std::vector<MutantEffects> together = seqcnn_mutant_batches(network, windows, options);
    ASSERT_EQ(together.size(), windows.size());
    for (size_t w = 0; w < windows.size(); ++w) {
        const std::vector<MutantEffects> alone = seqcnn_mutant_batches(network, {windows[w]}, options);
        MutantBatchOptions naive_options = options;
        naive_options.incremental = false;
        naive_options.substitutions = windows[w].substitutions;
        const MutantEffects naive = seqcnn_mutant_batch(network, windows[w].reference, naive_options);
        EXPECT_EQ(together[w].position, naive.position) << "window " << w;
        EXPECT_EQ(together[w].alt, naive.alt) << "window " << w;
        expect_near(together[w].beta, alone[0].beta, 1e-6, "beta, batched vs alone");
        expect_near(together[w].se, alone[0].se, 1e-6, "se, batched vs alone");
        expect_near(together[w].beta, naive.beta, 1e-5, "beta vs naive");
        expect_near(together[w].se, naive.se, 1e-5, "se vs naive");
        expect_near(together[w].reference_mean, naive.reference_mean, 1e-5, "reference_mean vs naive");
    }
    // Different windows, different effects: the batch does not mix them up.
    EXPECT_NE(together[0].reference_mean, together[1].reference_mean);

    // One session over calls of different sizes (score-variants' chunks): its evaluation is made for one
    // window, made again for two, reused for one (fewer windows than it holds), made again for three;
    // every call's effects are those of a call alone, and the last call, the whole set again after all
    // that reuse, gives exactly the one-shot call's bytes.
    MutantBatchSession session(network, options);
    const std::vector<std::vector<size_t>> calls = {{0}, {1, 2}, {2}, {0, 1, 2}};
    for (const std::vector<size_t> &call : calls) {
        std::vector<MutantWindow> chunk;
        for (size_t w : call) chunk.push_back(windows[w]);
        const std::vector<MutantEffects> got = session.run(chunk);
        ASSERT_EQ(got.size(), call.size());
        for (size_t i = 0; i < call.size(); ++i) {
            const MutantEffects &want = together[call[i]];
            EXPECT_EQ(got[i].position, want.position) << "window " << call[i];
            expect_near(got[i].beta, want.beta, 1e-6, "beta, session vs one call");
            expect_near(got[i].se, want.se, 1e-6, "se, session vs one call");
            expect_near(got[i].reference_mean, want.reference_mean, 1e-6, "reference_mean, session vs one call");
            if (call.size() == windows.size()) {
                EXPECT_EQ(got[i].beta, want.beta) << "window " << call[i] << ": not the one-shot call's bytes";
                EXPECT_EQ(got[i].se, want.se) << "window " << call[i];
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, SeqcnnIncremental,
                         testing::Values("relu_same_dense3", "threshold_one_block", "relu_pool5",
                                         "deepsea_ratio"));

TEST(SeqcnnIncrementalFlops, CountsTheChangedColumnsOnly) {
    // DeepSEA: changes enter blocks 2 and 3 on at most 3 and 4 pooled positions and leave block 3 on 11,
    // against 241 and 53 positions (and 53 features' positions) in a full forward pass.
    std::vector<std::string> tasks;
    for (int t = 0; t < 919; ++t) tasks.push_back("t" + std::to_string(t));
    const SeqcnnConfig c = deepsea_config(tasks);
    const double expected =
        2.0 * (320.0 * 8 * 480 * 3 + 480.0 * 8 * 960 * 4 + 11.0 * 960 * 925 + 925.0 * 919);
    EXPECT_DOUBLE_EQ(seqcnn_incremental_flops(c, 1), expected);
    EXPECT_GT(SeqcnnNetwork::forward_flops(c, 1) / expected, 15.0);
}

} // namespace
} // namespace causeway
