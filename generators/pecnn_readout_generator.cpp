// PECNN forward head: the readout layer on [h, pooled invariant branch tiled over cells], giving
// log1p(TPM) per (cell type, gene). See pecnn_readout_algorithm.h.
#include "Halide.h"

#include "generators/pecnn_readout_algorithm.h"
#include "schedules/pecnn_readout_schedule.h"

namespace {

using namespace Halide;

class PecnnReadout : public Generator<PecnnReadout> {
public:
    // Tuning (schedules/tune/tune.py): the library name, which selects a checked-in tuned schedule.
    GeneratorParam<std::string> pipeline{"pipeline", ""};
    Input<Buffer<float, 4>> hidden{"hidden"}; // last equivariant layer (ch, x, c, g)
    Input<Buffer<float, 3>> pooled{"pooled"}; // invariant branch pooled over cells (ch, x, g)
    Input<Buffer<float, 2>> readout_weight{"readout_weight"};
    Input<Buffer<float, 1>> readout_bias{"readout_bias"};
    Output<Buffer<float, 2>> prediction{"prediction"}; // (c, g)

    causeway::PecnnReadoutAlgorithm a;

    void generate() {
        /* THE ALGORITHM */
        a.define_pooled(pooled);
        a.define_readout(hidden, readout_weight, readout_bias);
        prediction(a.c, a.g) = a.prediction(a.c, a.g);

        /* ESTIMATES */
        hidden.set_estimates({{0, 32}, {0, 200}, {0, 12}, {0, 256}});
        pooled.set_estimates({{0, 32}, {0, 200}, {0, 256}});
        readout_weight.set_estimates({{0, 200}, {0, 64}});
        readout_bias.set_estimates({{0, 1}});
        prediction.set_estimates({{0, 12}, {0, 256}});
    }

    void schedule() {
        if (auto_schedule) return;
        if (causeway::apply_tuned_schedule(*this, get_target())) return;
        causeway::schedule_pecnn_readout(a, prediction, get_target());
    }
};

} // namespace

HALIDE_REGISTER_GENERATOR(PecnnReadout, pecnn_readout)
