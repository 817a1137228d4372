// The tests' direct computation of one sequence's task probabilities: the (PyTorch-checked) forward pass on
// that sequence alone under MC sample n's dropout masks, optionally averaged with its reverse complement
// under the same masks. The mutant-batch, ism and score-variants tests compare their pipelines with it.
#pragma once

#include <cstdint>
#include <vector>

#include "causeway/seqcnn_model.h"
#include "causeway/seqcnn_network.h"

namespace causeway::testing {

// One-hot [4, length] (A, C, G, T rows) of the reverse complement: row c reversed becomes row 3 - c.
inline std::vector<float> reverse_complement(const std::vector<float> &one_hot, int length) {
    std::vector<float> out(one_hot.size());
    for (int c = 0; c < 4; ++c)
        for (int x = 0; x < length; ++x) out[c * length + length - 1 - x] = one_hot[(3 - c) * length + x];
    return out;
}

// Task probabilities of one sequence under sample n's masks (n < 0: dropout off).
inline std::vector<double> predict_direct(SeqcnnNetwork &network, const std::vector<float> &one_hot, int n,
                                          uint64_t seed, bool reverse_complement_average) {
    const SeqcnnConfig &c = network.config();
    std::vector<std::vector<uint8_t>> keep(c.dropout_sites());
    SeqcnnMasks masks;
    for (int site = 0; site < c.dropout_sites(); ++site) {
        keep[site].resize(c.site_size(site));
        seqcnn_dropout_keep(c, seed, n < 0 ? 0 : n, site, keep[site].data());
        masks.keep.push_back(c.site_dropout(site) > 0 ? keep[site].data() : nullptr);
    }
    std::vector<float> p(c.num_tasks()), q(c.num_tasks());
    network.forward(one_hot.data(), 1, p.data(), n < 0 ? nullptr : &masks);
    std::vector<double> out(p.begin(), p.end());
    if (reverse_complement_average) {
        network.forward(reverse_complement(one_hot, c.sequence_length).data(), 1, q.data(),
                        n < 0 ? nullptr : &masks);
        for (int t = 0; t < c.num_tasks(); ++t) out[t] = (double(p[t]) + q[t]) / 2;
    }
    return out;
}

} // namespace causeway::testing
