// A schedule chosen by schedules/tune/tune.py for one pipeline and one target family, checked in under
// schedules/tuned/FAMILY/PIPELINE.h and listed in schedules/tuned/tuned.h. The build only compiles these
// headers; it never runs an autoscheduler or a search.
#pragma once

#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "Halide.h"

namespace causeway {

enum class TunedMethod {
    hand,          // the hand schedule with the register block below (perhaps today's default)
    autoscheduler, // an autoscheduler's emitted schedule, applied by apply
};

struct TunedSchedule {
    const char *pipeline;      // the library name in generators/CMakeLists.txt, e.g. seqcnn_conv_one_hot
    const char *target_family; // see tuned_target_family
    TunedMethod method;
    int x_block;                                     // hand: positions (or rows) per register block
    void (*apply)(Halide::Pipeline, Halide::Target); // autoscheduler: its emitted apply_schedule_*
};

// The families tuned schedules are kept for: one per x86 level of the dispatching libraries, arm-64, cuda.
inline const char *tuned_target_family(const Halide::Target &target) {
    using T = Halide::Target;
    if (target.has_gpu_feature()) return "cuda";
    if (target.arch == T::ARM) return target.bits == 64 ? "arm-64" : "arm-32";
    if (target.has_feature(T::AVX512) || target.has_feature(T::AVX512_Skylake) ||
        target.has_feature(T::AVX512_Cannonlake) || target.has_feature(T::AVX512_SapphireRapids) ||
        target.has_feature(T::AVX512_KNL))
        return "x86-64-avx512";
    if (target.has_feature(T::AVX2)) return "x86-64-avx2";
    return "x86-64-sse41";
}

// A Func of the pipeline by its unique name. Li2018's emitted schedules name their Funcs (`prediction$1`)
// where Adams2019 and Mullapudi2016 index them (pipeline.get_func(9)); tune.py declares them through this.
// A name the pipeline lacks (the algorithm changed since tuning) stops the generator with that name.
inline Halide::Func pipeline_func(const Halide::Pipeline &pipeline, const std::string &name) {
    std::vector<Halide::Internal::Function> outputs;
    for (const Halide::Func &output : pipeline.outputs()) outputs.push_back(output.function());
    std::map<std::string, Halide::Internal::Function> functions =
        Halide::Internal::build_environment(outputs);
    auto found = functions.find(name);
    if (found == functions.end())
        throw std::runtime_error("tuned schedule: the pipeline has no Func named '" + name +
                                 "' (retune it: schedules/tune/tune.py)");
    return Halide::Func(found->second);
}

inline const TunedSchedule *find_tuned_schedule(const std::vector<const TunedSchedule *> &schedules,
                                                const std::string &pipeline, const Halide::Target &target) {
    if (pipeline.empty()) return nullptr;
    const char *family = tuned_target_family(target);
    for (const TunedSchedule *schedule : schedules) {
        if (pipeline == schedule->pipeline && std::strcmp(family, schedule->target_family) == 0)
            return schedule;
    }
    return nullptr;
}

} // namespace causeway
