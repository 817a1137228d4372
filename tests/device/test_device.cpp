// The run-time device choice (causeway/device.h) and the CUDA variants against the CPU path, in the style
// of ggml's backend tests: the same call on each compiled device, compared at a per-pipeline bound and
// with PyTorch's committed numbers. The selection tests run everywhere; the CUDA comparisons skip with a
// message where the build has no CUDA pipelines or the machine no usable GPU. (The full pipeline suites
// also run on the GPU: tests/device/CMakeLists.txt re-registers them with CAUSEWAY_DEVICE=cuda.)
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "causeway/device.h"
#include "causeway/error.h"
#include "causeway/safetensors.h"
#include "causeway/seqcnn_network.h"
#include "causeway/study/adam.h"

namespace causeway {
namespace {

const std::string kFixtures = CAUSEWAY_SEQCNN_FIXTURES;

std::string error_of(const std::string &name) {
    try {
        select_device(name);
    } catch (const Error &e) {
        return e.what();
    }
    return "";
}

bool gpu_ready(std::string *why) {
    if (!cuda_compiled()) {
        *why = "this build has no CUDA pipelines (CAUSEWAY_TARGETS without cuda)";
        return false;
    }
    std::string reason;
    if (!cuda_usable(&reason)) {
        *why = "no usable CUDA GPU: " + reason;
        return false;
    }
    return true;
}

TEST(DeviceSelection, CpuIsAlwaysAvailable) {
    EXPECT_EQ(select_device("cpu"), Device::Cpu);
    EXPECT_EQ(current_device(), Device::Cpu);
}

TEST(DeviceSelection, UnknownNameIsAnError) {
    select_device("cpu");
    EXPECT_EQ(error_of("gpu"), "--device 'gpu' is not one of cpu, cuda, auto");
    EXPECT_EQ(current_device(), Device::Cpu);
}

TEST(DeviceSelection, CudaWithoutAGpuIsAClearError) {
    std::string why;
    if (gpu_ready(&why)) GTEST_SKIP() << "a usable CUDA GPU is present, so --device cuda succeeds";
    select_device("cpu");
    const std::string message = error_of("cuda");
    if (!cuda_compiled()) {
        EXPECT_NE(message.find("this build has no CUDA pipelines"), std::string::npos) << message;
    } else {
        EXPECT_NE(message.find("no usable CUDA GPU"), std::string::npos) << message;
    }
    EXPECT_EQ(current_device(), Device::Cpu) << "a failed choice must leave the device as it was";
}

TEST(DeviceSelection, AutoTakesCudaOnlyWhenUsable) {
    std::string why;
    EXPECT_EQ(select_device("auto"), gpu_ready(&why) ? Device::Cuda : Device::Cpu);
    select_device("cpu");
}

TEST(DeviceSelection, CompiledTargetsNameCudaExactlyWhenBuilt) {
    const std::string targets = compiled_targets();
#if defined(__aarch64__)
    const char *host_family = "arm64";
#else
    const char *host_family = "x86";
#endif
    EXPECT_EQ(targets.rfind(host_family, 0), 0u) << targets; // the CPU code comes first
    EXPECT_EQ(targets.find("cuda") != std::string::npos, cuda_compiled()) << targets;
}

// The forward pass of the relu/pool fixture on one device.
std::vector<float> seqcnn_probabilities(Device device, const SeqcnnModel &model, const float *inputs,
                                        int64_t batch) {
    select_device(device_name(device));
    SeqcnnNetwork network(model);
    std::vector<float> probabilities(batch * model.config.num_tasks());
    network.forward(inputs, batch, probabilities.data());
    select_device("cpu");
    return probabilities;
}

TEST(CudaEquivalence, SeqcnnForwardMatchesCpuAndPyTorch) {
    std::string why;
    if (!gpu_ready(&why)) GTEST_SKIP() << why;
    const SeqcnnModel model = seqcnn_load(kFixtures + "/relu_pool5.model.safetensors");
    SafetensorsFile expected(kFixtures + "/relu_pool5.expected.safetensors");
    const int64_t batch = expected.find("inputs")->shape[0];
    const float *inputs = expected.f32("inputs", {batch, 4, model.config.sequence_length});
    const float *want = expected.f32("probabilities", {batch, model.config.num_tasks()});
    const auto cpu = seqcnn_probabilities(Device::Cpu, model, inputs, batch);
    const auto cuda = seqcnn_probabilities(Device::Cuda, model, inputs, batch);
    const auto again = seqcnn_probabilities(Device::Cuda, model, inputs, batch);
    for (size_t i = 0; i < cuda.size(); ++i) {
        // Sums run in another order on the GPU: the bound of the x86 dispatch test, against both.
        ASSERT_NEAR(cuda[i], cpu[i], 1e-5 * std::abs(cpu[i]) + 1e-7) << "probability " << i;
        ASSERT_NEAR(cuda[i], want[i], 1e-5 * std::abs(want[i]) + 1e-7) << "probability " << i;
    }
    EXPECT_EQ(std::memcmp(cuda.data(), again.data(), cuda.size() * sizeof(float)), 0)
        << "the CUDA forward pass must be deterministic";
}

TEST(CudaEquivalence, AdamMatchesCpuInPlace) {
    std::string why;
    if (!gpu_ready(&why)) GTEST_SKIP() << why;
    // Odd size: the tail of the last thread block is guarded.
    const int64_t size = 10007;
    std::mt19937 rng(8);
    std::normal_distribution<float> normal;
    std::vector<float> start(size);
    for (float &v : start) v = normal(rng);
    std::vector<std::vector<float>> gradients(5, std::vector<float>(size));
    for (auto &g : gradients)
        for (float &v : g) v = normal(rng);

    std::vector<std::vector<float>> results;
    for (Device device : {Device::Cpu, Device::Cuda}) {
        select_device(device_name(device));
        Adam adam(size, AdamSettings{});
        std::vector<float> parameters = start;
        for (const auto &g : gradients) adam.step(parameters.data(), g.data(), 1e-2);
        results.push_back(parameters);
        results.push_back(adam.exp_avg_sq());
    }
    select_device("cpu");
    for (int64_t i = 0; i < size; ++i) {
        ASSERT_NEAR(results[2][i], results[0][i], 1e-6 * std::abs(results[0][i]) + 1e-7) << "parameter " << i;
        ASSERT_NEAR(results[3][i], results[1][i], 1e-6 * std::abs(results[1][i]) + 1e-9)
            << "exp_avg_sq " << i;
    }
}

} // namespace
} // namespace causeway
