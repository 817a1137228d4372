// Held-out accuracy of a sequence CNN (causeway evaluate-seq): AUROC and AUPRC per task on the test
// regions of a labelled region set, with the compiled forward pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace causeway {

// Area under the ROC curve: the Mann-Whitney U statistic over positives x negatives, tied scores counting
// one half (average ranks). NaN unless both classes are present. labels: 0 or 1.
double seqcnn_auroc(const std::vector<float> &scores, const std::vector<float> &labels);
// Area under the precision-recall curve as average precision (sklearn's average_precision_score): the sum
// over score thresholds, high to low, of precision times the recall gained; tied scores form one
// threshold. NaN without positives.
double seqcnn_auprc(const std::vector<float> &scores, const std::vector<float> &labels);

struct SeqcnnEvaluateOptions {
    std::string model, fasta, regions, labels, out = "-";
    std::string test_chroms = "auto"; // as train-seq's --test-chroms
};

struct SeqcnnTaskMetrics {
    std::string task;
    int64_t positives = 0, negatives = 0;
    double auroc = 0, auprc = 0;
};

struct SeqcnnEvaluateSummary {
    std::vector<SeqcnnTaskMetrics> tasks;
    double mean_auroc = 0, mean_auprc = 0; // over the tasks where each is defined
    int64_t regions = 0;
};

// Writes `task positives negatives auroc auprc` per task, then a `mean` row, atomically to options.out.
SeqcnnEvaluateSummary seqcnn_evaluate(const SeqcnnEvaluateOptions &options);

} // namespace causeway
