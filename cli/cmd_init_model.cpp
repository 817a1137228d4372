// causeway init-model: a new PECNN with PyTorch's default initialisation.
#include <memory>

#include "causeway/error.h"
#include "causeway/pecnn_model.h"
#include "command.h"

namespace causeway::cli {
namespace {

struct InitModelOptions {
    std::string out;
    int hidden = 32, depth = 2, kernel = 11, bins = 200;
    std::string dilations = "1,1";
    std::string pooling = "mean";
    std::string marks = join_list(default_marks());
    uint64_t seed = 1;
};

CommandRun setup(CLI::App &app) {
    auto o = std::make_shared<InitModelOptions>();
    app.add_option("-o,--out", o->out, "Model file to write (safetensors)")->required();
    app.add_option("--hidden", o->hidden, "Hidden channels H")->check(CLI::Range(1, 4096));
    app.add_option("--depth", o->depth, "Equivariant layers D")->check(CLI::Range(1, 64));
    app.add_option("--kernel", o->kernel, "Kernel width K along the bins (odd)")->check(CLI::Range(1, 4097));
    app.add_option("--dilations", o->dilations,
                   "Dilation per equivariant layer, comma-separated (one value: the same for every layer)");
    app.add_option("--pooling", o->pooling,
                   "Invariant branch pooling over cell types: mean (the paper) or max "
                   "(the authors' code)")
        ->check(CLI::IsMember({"mean", "max"}));
    app.add_option("--marks", o->marks, "Histone marks, in the dataset's order");
    app.add_option("--bins", o->bins, "Bins per window L")->check(CLI::Range(8, 1000000));
    app.add_option("--seed", o->seed, "Random seed (same seed, same bytes)");
    return [o]() {
        PecnnConfig config;
        config.hidden = o->hidden;
        config.depth = o->depth;
        config.kernel = o->kernel;
        config.bins = o->bins;
        config.pooling = parse_pooling(o->pooling);
        config.marks = split_list(o->marks);
        config.dilations.clear();
        for (auto &d : split_list(o->dilations)) {
            try {
                size_t used = 0;
                config.dilations.push_back(std::stoi(d, &used));
                if (used != d.size()) throw std::invalid_argument(d);
            } catch (const std::exception &) {
                fail("--dilations must be a comma list of integers, got '{}'", o->dilations);
            }
        }
        // One value applies to every layer; a longer list is cut to the depth, as the module's
        // dilations[:depth].
        if (config.dilations.size() == 1)
            config.dilations.assign(static_cast<size_t>(config.depth), config.dilations[0]);
        if (static_cast<int>(config.dilations.size()) > config.depth) config.dilations.resize(config.depth);
        config.validate();
        PecnnModel model = pecnn_init(config, o->seed);
        pecnn_save(model, o->out);
        return 0;
    };
}

const CommandRegistrar registrar{{"init-model", "Equivariant CNN", 10,
                                  "Write a new equivariant CNN with PyTorch's default initialisation",
                                  setup}};

} // namespace
} // namespace causeway::cli
