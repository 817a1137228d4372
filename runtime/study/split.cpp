#include "causeway/study/split.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "causeway/error.h"
#include "causeway/pecnn_model.h"

namespace causeway {

namespace {

bool parse_number(const std::string &text, long &value) {
    if (text.empty() || text.size() > 9) return false;
    for (char ch : text)
        if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    value = std::stol(text);
    return true;
}

std::string describe_chroms(const Dataset &data) {
    std::vector<std::string> seen;
    for (const auto &gene : data.gene_table())
        if (std::find(seen.begin(), seen.end(), gene.chrom) == seen.end()) seen.push_back(gene.chrom);
    return join_list(seen, ", ");
}

bool has_known_target(const Dataset &data, int64_t gene) {
    const float *y = data.targets(gene);
    for (int c = 0; c < data.cells(); ++c)
        if (!std::isnan(y[c])) return true;
    return false;
}

} // namespace

std::string canonical_chrom(const std::string &name) {
    std::string s = name;
    if (s.size() > 3 && (s[0] == 'c' || s[0] == 'C') && (s[1] == 'h' || s[1] == 'H') &&
        (s[2] == 'r' || s[2] == 'R'))
        s = s.substr(3);
    if (s == "MT" || s == "mt" || s == "m") s = "M";
    if (s == "x") s = "X";
    if (s == "y") s = "Y";
    return s;
}

ChromSet::ChromSet(const std::string &spec, const std::string &option) : spec_(spec), option_(option) {
    for (const std::string &raw : split_list(spec)) {
        std::string text = raw;
        text.erase(
            std::remove_if(text.begin(), text.end(), [](unsigned char ch) { return std::isspace(ch); }),
            text.end());
        if (text.empty()) fail("{}: an empty chromosome name in '{}'", option, spec);
        Item item;
        item.text = text;
        const size_t dash = text.find('-');
        long first = 0, last = 0;
        if (dash != std::string::npos && parse_number(canonical_chrom(text.substr(0, dash)), first) &&
            parse_number(canonical_chrom(text.substr(dash + 1)), last)) {
            if (first > last) fail("{}: the range '{}' runs backwards", option, text);
            item.first = first;
            item.last = last;
        } else {
            item.name = canonical_chrom(text);
        }
        items_.push_back(item);
    }
}

bool ChromSet::contains(const std::string &chrom) const {
    const std::string name = canonical_chrom(chrom);
    long number = 0;
    const bool numeric = parse_number(name, number);
    for (const Item &item : items_) {
        if (item.last >= item.first) {
            if (numeric && number >= item.first && number <= item.last) return true;
        } else if (item.name == name) {
            return true;
        }
    }
    return false;
}

void ChromSet::check_against(const Dataset &data) const {
    for (const Item &item : items_) {
        ChromSet one(item.text, option_);
        bool found = false;
        for (const auto &gene : data.gene_table())
            if (one.contains(gene.chrom)) {
                found = true;
                break;
            }
        if (!found)
            fail("{}: no gene of the dataset lies on {} (its chromosomes: {}): {}", option_, item.text,
                 describe_chroms(data), gene_table_path(data.path()));
    }
}

GeneSplit split_genes(const Dataset &data, const ChromSet &train, const ChromSet &valid, const ChromSet &test,
                      bool need_test) {
    train.check_against(data);
    valid.check_against(data);
    test.check_against(data);
    GeneSplit split;
    std::set<std::string> overlap;
    for (int64_t g = 0; g < data.genes(); ++g) {
        const std::string &chrom = data.gene_table()[g].chrom;
        const bool in_train = train.contains(chrom), in_valid = valid.contains(chrom);
        const bool in_test = test.empty() ? !in_train && !in_valid : test.contains(chrom);
        if (int(in_train) + int(in_valid) + int(in_test) > 1) overlap.insert(chrom);
        if (!has_known_target(data, g)) continue;
        if (in_train)
            split.train.push_back(g);
        else if (in_valid)
            split.valid.push_back(g);
        else if (in_test)
            split.test.push_back(g);
    }
    if (!overlap.empty())
        fail("the training, validation and test chromosomes overlap on {} (--train-chroms {}, --valid-chroms "
             "{}{})",
             join_list(std::vector<std::string>(overlap.begin(), overlap.end()), ", "), train.spec(),
             valid.spec(), test.empty() ? std::string() : ", --test-chroms " + test.spec());
    if (split.train.empty())
        fail("--train-chroms {}: no gene with a known target on these chromosomes: {}", train.spec(),
             data.path());
    if (need_test && split.test.empty())
        fail("{}: no held-out gene with a known target (every chromosome is in training or validation): {}",
             test.empty() ? std::string("--test-chroms") : "--test-chroms " + test.spec(), data.path());
    return split;
}

} // namespace causeway
