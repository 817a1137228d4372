// The x86 path each dispatching pipeline takes, forced by CAUSEWAY_ISA (ctest runs this binary once per
// level): the forward pass still equals PyTorch's committed probabilities, and the variant that ran is the
// one asked for, so the AVX2 and SSE4.1 code is exercised on an AVX-512 machine too.
#include <cmath>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "causeway/cpu_dispatch.h"
#include "causeway/safetensors.h"
#include "causeway/seqcnn_network.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;

bool cpu_has(const std::string &level) {
    if (level == "avx512") return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    if (level == "avx2") return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return __builtin_cpu_supports("sse4.1");
}

TEST(X86Dispatch, TakesTheForcedPathAndMatchesPyTorch) {
    const char *isa = std::getenv("CAUSEWAY_ISA");
    const std::string expected_path = isa && *isa ? isa : "avx512";
    if (!cpu_has(expected_path)) GTEST_SKIP() << "this CPU lacks " << expected_path;
    EXPECT_EQ(x86_isa_cap(), expected_path);
    EXPECT_EQ(x86_code_path(), "none");

    const SeqcnnModel model = seqcnn_load(kFixtures + "/relu_pool5.model.safetensors");
    SafetensorsFile expected(kFixtures + "/relu_pool5.expected.safetensors");
    const int64_t batch = expected.find("inputs")->shape[0];
    const float *inputs = expected.f32("inputs", {batch, 4, model.config.sequence_length});
    const float *want = expected.f32("probabilities", {batch, model.config.num_tasks()});
    SeqcnnNetwork network(model);
    std::vector<float> probabilities(batch * model.config.num_tasks());
    network.forward(inputs, batch, probabilities.data());
    for (size_t i = 0; i < probabilities.size(); ++i)
        ASSERT_NEAR(probabilities[i], want[i], 1e-5 * std::abs(want[i])) << "probability " << i;
    EXPECT_EQ(x86_code_path(), expected_path);
}

} // namespace
} // namespace causeway
