// The compiled PECNN against PyTorch (committed fixtures), a naive double-precision loop, central finite
// differences and Halide's propagate_adjoints; and the equivariance the architecture promises.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <random>

#include <HalideBuffer.h>
#include <gtest/gtest.h>

#include "buffer_fill.h"
#include "causeway/dataset.h"
#include "causeway/pecnn_model.h"
#include "causeway/pecnn_network.h"
#include "causeway/safetensors.h"
#include "pecnn_autodiff_d1.h"
#include "pecnn_autodiff_d2.h"
#include "pecnn_autodiff_d3.h"
#include "pecnn_naive.h"

namespace causeway {
namespace {

using Halide::Runtime::Buffer;

const std::string kFixtures = CAUSEWAY_PECNN_FIXTURES;

struct Loaded {
    PecnnModel model;
    std::unique_ptr<Dataset> data;
    std::unique_ptr<SafetensorsFile> expected;
};

Loaded load_case(const std::string &name) {
    Loaded l;
    l.model = pecnn_load(kFixtures + "/" + name + ".model.safetensors");
    l.data = std::make_unique<Dataset>(kFixtures + "/" + name + ".dataset.safetensors");
    l.expected = std::make_unique<SafetensorsFile>(kFixtures + "/" + name + ".expected.safetensors");
    return l;
}

std::vector<double> inputs_double(const Dataset &d) {
    const size_t n = static_cast<size_t>(d.genes()) * d.cells() * d.marks() * d.bins();
    return std::vector<double>(d.inputs(), d.inputs() + n);
}

double max_abs(const float *p, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(static_cast<double>(p[i])));
    return m;
}

// |actual - expected| <= rtol * max(|expected|, floor * max|expected| over the tensor)
void expect_close(const float *actual, const float *expected, size_t n, double rtol, double floor,
                  const std::string &what) {
    const double scale = max_abs(expected, n);
    int reported = 0;
    for (size_t i = 0; i < n; ++i) {
        double tol = rtol * std::max(std::fabs(static_cast<double>(expected[i])), floor * scale);
        if (!(std::fabs(static_cast<double>(actual[i]) - expected[i]) <= tol) && reported++ < 5)
            ADD_FAILURE() << what << " [" << i << "]: " << actual[i] << " vs " << expected[i] << " (tol "
                          << tol << ")";
    }
}

class PecnnCase : public ::testing::TestWithParam<std::string> {};

TEST_P(PecnnCase, PyTorchModelFileLoads) {
    Loaded l = load_case(GetParam());
    auto params = l.model.parameters();
    EXPECT_EQ(params.size(), static_cast<size_t>(2 * l.model.config.depth + 4));
    EXPECT_EQ(l.model.config.marks, l.data->mark_names());
}

TEST_P(PecnnCase, ForwardMatchesPyTorch) {
    Loaded l = load_case(GetParam());
    PecnnNetwork net(l.model);
    std::vector<float> pred(static_cast<size_t>(l.data->genes()) * l.data->cells());
    net.forward(l.data->inputs(), l.data->genes(), l.data->cells(), pred.data());
    const float *expected = l.expected->f32("predictions", {l.data->genes(), l.data->cells()});
    expect_close(pred.data(), expected, pred.size(), 1e-5, 0.1, "prediction");
}

TEST_P(PecnnCase, NaiveLoopMatchesPyTorch) {
    Loaded l = load_case(GetParam());
    auto pred = testing::naive_forward(l.model, inputs_double(*l.data), static_cast<int>(l.data->genes()),
                                       l.data->cells());
    std::vector<float> pf(pred.begin(), pred.end());
    const float *expected = l.expected->f32("predictions", {l.data->genes(), l.data->cells()});
    expect_close(pf.data(), expected, pf.size(), 1e-5, 1.0, "naive prediction");
    const float loss = static_cast<float>(testing::naive_loss(pred, l.data->targets()));
    EXPECT_NEAR(loss, l.expected->f32("loss", {1})[0], 1e-5 * std::max(1.0f, loss));
}

TEST_P(PecnnCase, BackwardMatchesPyTorch) {
    Loaded l = load_case(GetParam());
    PecnnNetwork net(l.model);
    PecnnModel grads(l.model.config);
    std::vector<float> input_grad(static_cast<size_t>(l.data->genes()) * l.data->cells() * l.data->marks() *
                                  l.data->bins());
    float loss = net.backward(l.data->inputs(), l.data->targets(), l.data->genes(), l.data->cells(), grads,
                              input_grad.data());
    EXPECT_NEAR(loss, l.expected->f32("loss", {1})[0], 1e-5 * std::max(1.0f, loss));
    for (auto &[name, tensor] : grads.parameters())
        expect_close(tensor->data.data(), l.expected->f32("grad." + name, tensor->shape), tensor->data.size(),
                     1e-4, 1e-2, name);
    expect_close(
        input_grad.data(),
        l.expected->f32("grad.inputs", {l.data->genes(), l.data->cells(), l.data->marks(), l.data->bins()}),
        input_grad.size(), 1e-4, 1e-2, "inputs");
}

// Central differences of the double-precision loop; every element of the smallest case, a sample of each
// tensor's elements (first, last and random ones) otherwise.
TEST_P(PecnnCase, BackwardMatchesFiniteDifferences) {
    Loaded l = load_case(GetParam());
    const int genes = static_cast<int>(l.data->genes()), cells = l.data->cells();
    PecnnNetwork net(l.model);
    PecnnModel grads(l.model.config);
    std::vector<float> input_grad(static_cast<size_t>(genes) * cells * l.data->marks() * l.data->bins());
    net.backward(l.data->inputs(), l.data->targets(), genes, cells, grads, input_grad.data());

    const std::vector<double> x0 = inputs_double(*l.data);
    const bool exhaustive = GetParam() == "c1_depth1_mean";
    std::mt19937 rng(7);
    auto sample = [&](size_t n) {
        std::vector<size_t> idx;
        if (exhaustive || n <= 24) {
            idx.resize(n);
            std::iota(idx.begin(), idx.end(), 0);
        } else {
            idx = {0, n - 1};
            for (int i = 0; i < 22; ++i) idx.push_back(rng() % n);
        }
        return idx;
    };
    const double h = 1e-6;
    auto check = [&](const std::string &what, size_t n, const float *analytic,
                     const std::function<double(size_t, double)> &loss_at) {
        const double scale = max_abs(analytic, n);
        for (size_t i : sample(n)) {
            double fd = (loss_at(i, h) - loss_at(i, -h)) / (2 * h);
            double tol = 1e-4 * std::max(std::fabs(fd), 1e-2 * scale) + 1e-9;
            EXPECT_NEAR(analytic[i], fd, tol) << what << " [" << i << "]";
        }
    };
    for (auto &[name, tensor] : grads.parameters()) {
        PecnnModel probe = l.model;
        Tensor *target = nullptr;
        for (auto &p : probe.parameters())
            if (p.first == name) target = p.second;
        const double base =
            testing::naive_loss(testing::naive_forward(probe, x0, genes, cells), l.data->targets());
        check(name, tensor->data.size(), tensor->data.data(), [&](size_t i, double step) {
            // Parameters are floats, which cannot hold a 1e-6 step exactly: evaluate at the float-rounded
            // step and scale the change to the step asked for.
            const float original = target->data[i];
            target->data[i] = static_cast<float>(original + step);
            const double taken = static_cast<double>(target->data[i]) - original;
            double loss =
                testing::naive_loss(testing::naive_forward(probe, x0, genes, cells), l.data->targets());
            target->data[i] = original;
            return base + (loss - base) * (step / taken);
        });
    }
    check("inputs", x0.size(), input_grad.data(), [&](size_t i, double step) {
        std::vector<double> x = x0;
        x[i] += step;
        return testing::naive_loss(testing::naive_forward(l.model, x, genes, cells), l.data->targets());
    });
}

using AutodiffPipeline = int (*)(halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, int, int, int,
                                 halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                 halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                 halide_buffer_t *, halide_buffer_t *, halide_buffer_t *, halide_buffer_t *,
                                 halide_buffer_t *);

// Halide 14's autodiff handles mean pooling only (see the generator), so max-pooling cases are compared
// with their weights under mean pooling here; PyTorch and finite differences cover max pooling.
TEST_P(PecnnCase, BackwardMatchesPropagateAdjoints) {
    static const AutodiffPipeline pipelines[] = {pecnn_autodiff_d1, pecnn_autodiff_d2, pecnn_autodiff_d3};
    Loaded l = load_case(GetParam());
    l.model.config.pooling = Pooling::Mean;
    const PecnnConfig &c = l.model.config;
    const int G = static_cast<int>(l.data->genes()), C = l.data->cells(), M = c.num_marks(), L = c.bins,
              H = c.hidden, K = c.kernel, D = c.depth, CI = std::max(M, H);
    Buffer<float> input(const_cast<float *>(l.data->inputs()), L, M, C, G);
    Buffer<float> eq_w(K, CI, H, D), eq_b(H, D);
    int dil[3] = {1, 1, 1};
    causeway::detail::fill(eq_w, 0.f);
    for (int i = 0; i < D; ++i) {
        const int ci_n = i == 0 ? M : H;
        for (int co = 0; co < H; ++co) {
            eq_b(co, i) = l.model.equivariant_bias[i].data[co];
            for (int ci = 0; ci < ci_n; ++ci)
                for (int k = 0; k < K; ++k)
                    eq_w(k, ci, co, i) =
                        l.model.equivariant_weight[i].data[(static_cast<size_t>(co) * ci_n + ci) * K + k];
        }
        dil[i] = c.dilations[i];
    }
    Buffer<float> inv_w(l.model.invariant_weight.data.data(), K, H, H),
        inv_b(l.model.invariant_bias.data.data(), H);
    Buffer<float> ro_w(l.model.readout_weight.data.data(), L, 2 * H),
        ro_b(l.model.readout_bias.data.data(), 1);
    Buffer<float> observed(const_cast<float *>(l.data->targets()), C, G);
    Buffer<float> loss = Buffer<float>::make_scalar(), d_input(L, M, C, G), d_eq_w(K, CI, H, D), d_eq_b(H, D),
                  d_inv_w(K, H, H), d_inv_b(H), d_ro_w(L, 2 * H), d_ro_b(1);
    ASSERT_EQ(pipelines[D - 1](input, eq_w, eq_b, dil[0], dil[1], dil[2], inv_w, inv_b, ro_w, ro_b, observed,
                               loss, d_input, d_eq_w, d_eq_b, d_inv_w, d_inv_b, d_ro_w, d_ro_b),
              0);

    PecnnNetwork net(l.model);
    PecnnModel grads(c);
    std::vector<float> input_grad(static_cast<size_t>(G) * C * M * L);
    float ours = net.backward(l.data->inputs(), l.data->targets(), G, C, grads, input_grad.data());
    EXPECT_NEAR(ours, loss(), 1e-5 * std::max(1.0f, loss()));
    for (int i = 0; i < D; ++i) {
        const int ci_n = i == 0 ? M : H;
        std::vector<float> w(grads.equivariant_weight[i].data.size()), b(H);
        for (int co = 0; co < H; ++co) {
            b[co] = d_eq_b(co, i);
            for (int ci = 0; ci < ci_n; ++ci)
                for (int k = 0; k < K; ++k)
                    w[(static_cast<size_t>(co) * ci_n + ci) * K + k] = d_eq_w(k, ci, co, i);
        }
        expect_close(grads.equivariant_weight[i].data.data(), w.data(), w.size(), 1e-4, 1e-2,
                     "equivariant weight");
        expect_close(grads.equivariant_bias[i].data.data(), b.data(), b.size(), 1e-4, 1e-2,
                     "equivariant bias");
    }
    expect_close(grads.invariant_weight.data.data(), d_inv_w.data(), d_inv_w.number_of_elements(), 1e-4, 1e-2,
                 "invariant.weight");
    expect_close(grads.invariant_bias.data.data(), d_inv_b.data(), H, 1e-4, 1e-2, "invariant.bias");
    expect_close(grads.readout_weight.data.data(), d_ro_w.data(), d_ro_w.number_of_elements(), 1e-4, 1e-2,
                 "readout.weight");
    expect_close(grads.readout_bias.data.data(), d_ro_b.data(), 1, 1e-4, 1e-2, "readout.bias");
    expect_close(input_grad.data(), d_input.data(), input_grad.size(), 1e-4, 1e-2, "inputs");
}

TEST_P(PecnnCase, EquivariantUnderCellPermutation) {
    Loaded l = load_case(GetParam());
    const int G = static_cast<int>(l.data->genes()), C = l.data->cells();
    const size_t block = static_cast<size_t>(l.data->marks()) * l.data->bins();
    std::vector<int> perm(C);
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937 rng(11);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<float> permuted(static_cast<size_t>(G) * C * block);
    for (int g = 0; g < G; ++g)
        for (int c = 0; c < C; ++c)
            std::copy_n(l.data->inputs(g) + perm[c] * block, block,
                        permuted.data() + (static_cast<size_t>(g) * C + c) * block);
    PecnnNetwork net(l.model);
    std::vector<float> a(static_cast<size_t>(G) * C), b(a.size());
    net.forward(l.data->inputs(), G, C, a.data());
    net.forward(permuted.data(), G, C, b.data());
    for (int g = 0; g < G; ++g)
        for (int c = 0; c < C; ++c)
            EXPECT_NEAR(b[g * C + c], a[g * C + perm[c]],
                        1e-5 * std::max(1.f, std::fabs(a[g * C + perm[c]])));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PecnnCase,
                         ::testing::Values("c1_depth1_mean", "c5_depth3_dilated_max", "c12_depth2_mean",
                                           "c12_depth2_max_k3"));

// Any number of cell types at run time, and batches in any chunking, give the same predictions.
TEST(PecnnNetwork, ChunkedForwardEqualsWhole) {
    PecnnConfig config;
    config.bins = 40;
    config.hidden = 16;
    PecnnModel model = pecnn_init(config, 3);
    const int G = 37, C = 7;
    std::vector<float> x(static_cast<size_t>(G) * C * 6 * 40);
    std::mt19937 rng(5);
    for (auto &v : x) v = static_cast<float>(rng() % 1000) / 250.f;
    PecnnNetwork net(model);
    std::vector<float> whole(static_cast<size_t>(G) * C), parts(whole.size());
    net.forward(x.data(), G, C, whole.data());
    for (int start = 0; start < G; start += 5)
        net.forward(x.data() + static_cast<size_t>(start) * C * 6 * 40, std::min(5, G - start), C,
                    parts.data() + static_cast<size_t>(start) * C);
    for (size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(whole[i], parts[i]) << i;
    auto naive = testing::naive_forward(model, std::vector<double>(x.begin(), x.end()), G, C);
    std::vector<float> nf(naive.begin(), naive.end());
    expect_close(whole.data(), nf.data(), nf.size(), 1e-5, 1.0, "prediction vs naive");
}

TEST(PecnnInit, SameSeedSameModelAndPyTorchBounds) {
    PecnnConfig config;
    PecnnModel a = pecnn_init(config, 42), b = pecnn_init(config, 42), c = pecnn_init(config, 43);
    EXPECT_EQ(a.equivariant_weight[0].data, b.equivariant_weight[0].data);
    EXPECT_NE(a.equivariant_weight[0].data, c.equivariant_weight[0].data);
    // kaiming_uniform_(a=sqrt(5)) and the bias rule both give U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    const double bound0 = 1 / std::sqrt(6.0 * 11), bound1 = 1 / std::sqrt(32.0 * 11);
    EXPECT_LE(max_abs(a.equivariant_weight[0].data.data(), a.equivariant_weight[0].data.size()), bound0);
    EXPECT_GT(max_abs(a.equivariant_weight[0].data.data(), a.equivariant_weight[0].data.size()),
              0.95 * bound0);
    EXPECT_LE(max_abs(a.equivariant_weight[1].data.data(), a.equivariant_weight[1].data.size()), bound1);
    EXPECT_LE(max_abs(a.readout_weight.data.data(), a.readout_weight.data.size()), 1 / std::sqrt(64.0 * 200));
    // Mean near 0, variance near bound^2 / 3 for a uniform.
    const auto &w = a.equivariant_weight[1].data;
    double mean = std::accumulate(w.begin(), w.end(), 0.0) / w.size(), var = 0;
    for (float v : w) var += (v - mean) * (v - mean);
    var /= w.size();
    EXPECT_NEAR(mean, 0.0, 0.05 * bound1);
    EXPECT_NEAR(var, bound1 * bound1 / 3, 0.05 * bound1 * bound1 / 3);
}

// detail::fill (Buffer::fill without Halide 14's UBSan report) against a coordinate loop: a dense buffer, and
// a crop of it (strided, not dense) that must leave everything outside untouched.
TEST(BufferFill, DenseAndCroppedMatchCoordinateLoop) {
    Halide::Runtime::Buffer<float> whole(5, 4, 3);
    detail::fill(whole, 2.f);
    for (int z = 0; z < 3; ++z)
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 5; ++x) ASSERT_EQ(whole(x, y, z), 2.f);
    Halide::Runtime::Buffer<float> crop = whole.cropped(0, 1, 3).cropped(2, 1, 1);
    detail::fill(crop, -1.f);
    for (int z = 0; z < 3; ++z)
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 5; ++x) {
                const bool inside = x >= 1 && x < 4 && z == 1;
                EXPECT_EQ(whole(x, y, z), inside ? -1.f : 2.f) << x << "," << y << "," << z;
            }
    Halide::Runtime::Buffer<int32_t> ints(7);
    detail::fill(ints, 3);
    for (int x = 0; x < 7; ++x) EXPECT_EQ(ints(x), 3);
}

} // namespace
} // namespace causeway
