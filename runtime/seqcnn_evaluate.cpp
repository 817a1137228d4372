#include "causeway/seqcnn_evaluate.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "causeway/atomic_output.h"
#include "causeway/error.h"
#include "causeway/seqcnn_network.h"
#include "causeway/seqcnn_train.h"

namespace causeway {

namespace {

std::vector<size_t> order_by_score(const std::vector<float> &scores, const std::vector<float> &labels) {
    if (scores.size() != labels.size())
        fail("metrics: {} scores for {} labels", scores.size(), labels.size());
    std::vector<size_t> order(scores.size());
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    return order;
}

std::string number_or_na(double value) {
    return std::isnan(value) ? std::string("NA") : fmt::format("{:.6f}", value);
}

} // namespace

double seqcnn_auroc(const std::vector<float> &scores, const std::vector<float> &labels) {
    const std::vector<size_t> order = order_by_score(scores, labels);
    // Walk tie groups from the top: each positive beats the negatives below its group and ties half of its
    // group's negatives.
    double positives = 0, negatives = 0, wins = 0;
    for (size_t start = 0; start < order.size();) {
        size_t end = start;
        double group_pos = 0, group_neg = 0;
        while (end < order.size() && scores[order[end]] == scores[order[start]]) {
            (labels[order[end]] > 0.5f ? group_pos : group_neg) += 1;
            ++end;
        }
        // Negatives above this group are `negatives`; the wins are counted from the negatives' side.
        wins += group_neg * positives + 0.5 * group_neg * group_pos;
        positives += group_pos;
        negatives += group_neg;
        start = end;
    }
    if (positives == 0 || negatives == 0) return std::nan("");
    // wins counts (positive above negative) pairs.
    return wins / (positives * negatives);
}

double seqcnn_auprc(const std::vector<float> &scores, const std::vector<float> &labels) {
    const std::vector<size_t> order = order_by_score(scores, labels);
    double total_pos = 0;
    for (float y : labels) total_pos += y > 0.5f;
    if (total_pos == 0) return std::nan("");
    double tp = 0, seen = 0, ap = 0;
    for (size_t start = 0; start < order.size();) {
        size_t end = start;
        double group_pos = 0;
        while (end < order.size() && scores[order[end]] == scores[order[start]]) {
            group_pos += labels[order[end]] > 0.5f;
            ++end;
        }
        tp += group_pos;
        seen += static_cast<double>(end - start);
        ap += (tp / seen) * (group_pos / total_pos);
        start = end;
    }
    return ap;
}

SeqcnnEvaluateSummary seqcnn_evaluate(const SeqcnnEvaluateOptions &o) {
    const SeqcnnModel model = seqcnn_load(o.model);
    const SeqcnnConfig &c = model.config;
    const SeqcnnLabeledRegions data =
        seqcnn_read_labeled_regions(o.fasta, o.regions, o.labels, c.sequence_length, c.tasks);
    const SeqcnnSplit split = seqcnn_split_regions(data, "", o.test_chroms);
    if (split.test.empty()) fail("no test region (--test-chroms {}) in {}", o.test_chroms, o.regions);

    SeqcnnNetwork network(model);
    const int tasks = c.num_tasks();
    const size_t n = split.test.size(), batch = 256;
    std::vector<float> probabilities(n * tasks), one_hot;
    for (size_t first = 0; first < n; first += batch) {
        const size_t count = std::min(batch, n - first);
        data.one_hot(split.test, first, count, one_hot);
        network.forward(one_hot.data(), static_cast<int64_t>(count), probabilities.data() + first * tasks);
    }

    SeqcnnEvaluateSummary summary;
    summary.regions = static_cast<int64_t>(n);
    std::vector<float> scores(n), labels(n);
    double auroc_sum = 0, auprc_sum = 0;
    int auroc_n = 0, auprc_n = 0;
    for (int t = 0; t < tasks; ++t) {
        SeqcnnTaskMetrics m;
        m.task = c.tasks[t];
        for (size_t i = 0; i < n; ++i) {
            scores[i] = probabilities[i * tasks + t];
            labels[i] = data.labels[split.test[i] * tasks + t];
            (labels[i] > 0.5f ? m.positives : m.negatives) += 1;
        }
        m.auroc = seqcnn_auroc(scores, labels);
        m.auprc = seqcnn_auprc(scores, labels);
        if (!std::isnan(m.auroc)) auroc_sum += m.auroc, ++auroc_n;
        if (!std::isnan(m.auprc)) auprc_sum += m.auprc, ++auprc_n;
        summary.tasks.push_back(m);
    }
    summary.mean_auroc = auroc_n ? auroc_sum / auroc_n : std::nan("");
    summary.mean_auprc = auprc_n ? auprc_sum / auprc_n : std::nan("");

    AtomicOutput out(o.out);
    out.print("task\tpositives\tnegatives\tauroc\tauprc\n");
    int64_t positives = 0, negatives = 0;
    for (const SeqcnnTaskMetrics &m : summary.tasks) {
        out.print("{}\t{}\t{}\t{}\t{}\n", m.task, m.positives, m.negatives, number_or_na(m.auroc),
                  number_or_na(m.auprc));
        positives += m.positives, negatives += m.negatives;
    }
    out.print("mean\t{}\t{}\t{}\t{}\n", positives, negatives, number_or_na(summary.mean_auroc),
              number_or_na(summary.mean_auprc));
    out.commit();
    return summary;
}

} // namespace causeway
