#!/usr/bin/python3
"""Tunes the schedule of causeway pipelines for one Halide target and checks the winner in.

For each pipeline (a library name of generators/CMakeLists.txt, e.g. seqcnn_conv_one_hot) it compiles
  - the hand schedule (schedules/*.h with its register-budget defaults),
  - the hand schedule with each register block of a small grid (the x_block GeneratorParam),
  - one schedule per Halide 14 autoscheduler (auto_schedule=true, the plugin loaded with -p, machine_params
    of the machine it runs on),
links each with Halide's RunGen driver (/usr/src/halide14/RunGenMain.cpp), checks that every candidate's
output equals the hand schedule's on the same random input, and benchmarks them on estimate-sized random
inputs: several rounds, each round running every candidate once in a rotated order, each run reporting
RunGen's best time of its samples. A candidate is judged by the median over rounds of its time / the hand
schedule's time in the same round; the best one replaces the hand schedule only when that ratio is below
1 - --margin, and stays below it through as many confirmation rounds against the hand schedule alone.
The result is written to schedules/tuned/FAMILY/PIPELINE.h (the winning register block, or the
autoscheduler's emitted schedule) with a banner naming how, where and when, and schedules/tuned/tuned.h is
rewritten to list every tuned header. The build only compiles these headers (generators/CMakeLists.txt passes pipeline=NAME).

Targets that cannot run here (arm-64 on x86, cuda without a GPU) are compiled, autoscheduled and checked
for compilation only; their candidates are not benchmarked and no header is written for them.

Usage: schedules/tune/tune.py --build BUILD_DIR [--target T] PIPELINE [PIPELINE...]
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import statistics
import textwrap
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HALIDE_SRC = "/usr/src/halide14"
HALIDE_INCLUDE = "/usr/include/halide14"
PLUGIN_DIR = "/usr/lib/x86_64-linux-gnu/halide14"
AUTOSCHEDULERS = {
    "Adams2019": "libautoschedule_adams2019.so",
    "Li2018": "libautoschedule_li2018.so",
    "Mullapudi2016": "libautoschedule_mullapudi2016.so",
}
# generators/CMakeLists.txt: library function -> generator executable in BUILD/generators.
LIBRARY_FUNCTIONS = {
    "causeway_halide_library": "causeway_generators",
    "causeway_seqcnn_library": "causeway_seqcnn_generators",
    "causeway_seqcnn_train_library": "causeway_seqcnn_train_generators",
}


def fail(message):
    sys.exit(f"tune.py: {message}")


def log(message):
    print(message, file=sys.stderr, flush=True)


def pipelines_from_cmake():
    """Library name -> (generator executable, generator name, [GeneratorParam assignments])."""
    path = os.path.join(REPO, "generators", "CMakeLists.txt")
    text = open(path).read()
    pipelines = {}
    pattern = r"^(%s)\(([^)]*)\)" % "|".join(LIBRARY_FUNCTIONS)
    for match in re.finditer(pattern, text, re.MULTILINE):
        words = match.group(2).split()
        if len(words) < 2 or words[0].startswith("$"):
            continue
        pipelines[words[0]] = (LIBRARY_FUNCTIONS[match.group(1)], words[1], words[2:])
    if not pipelines:
        fail(f"no pipelines found in {path}")
    return pipelines


def target_family(target):
    """The schedules/tuned/ folder of a Halide target string (mirrors tuned_target_family in C++)."""
    features = target.split("-")
    if any(f in ("cuda", "opencl", "metal", "d3d12compute", "vulkan") for f in features):
        return "cuda" if "cuda" in features else "gpu"
    if target.startswith("arm-64"):
        return "arm-64"
    if target.startswith("arm-32"):
        return "arm-32"
    if any(f.startswith("avx512") for f in features):
        return "x86-64-avx512"
    if "avx2" in features:
        return "x86-64-avx2"
    return "x86-64-sse41"


def runnable_here(target):
    family = target_family(target)
    machine = platform.machine()
    if family.startswith("x86"):
        if machine not in ("x86_64", "AMD64"):
            return False
        flags = open("/proc/cpuinfo").read()
        need = {"x86-64-avx512": "avx512f", "x86-64-avx2": "avx2", "x86-64-sse41": "sse4_1"}[family]
        return f" {need}" in flags
    if family.startswith("arm"):
        return machine in ("aarch64", "arm64")
    return os.path.exists("/dev/nvidia0")


def machine_description():
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return model, os.cpu_count()


def last_level_cache_bytes():
    best = 0
    base = "/sys/devices/system/cpu/cpu0/cache"
    if os.path.isdir(base):
        for entry in os.listdir(base):
            try:
                size = open(os.path.join(base, entry, "size")).read().strip()
            except OSError:
                continue
            scale = {"K": 1024, "M": 1024 * 1024}.get(size[-1], 1)
            best = max(best, int(size.rstrip("KM")) * scale)
    return best or 16 * 1024 * 1024


def load_average():
    return "%.1f %.1f %.1f" % os.getloadavg()


def run(command, env=None, cwd=None):
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
    return result.stdout


class Candidate:
    def __init__(self, name, method, params, autoscheduler=None, x_block=0):
        self.name = name
        self.method = method  # hand | autoscheduler
        self.params = params
        self.autoscheduler = autoscheduler
        self.x_block = x_block
        self.runner = None
        self.schedule_h = None
        self.times = []
        self.error = None

    def median(self):
        return statistics.median(self.times) if self.times else float("inf")

    def ratio_to(self, hand):
        """Median over rounds of this candidate's time / the hand schedule's time in the same round: runs
        close in time share the machine's load, so the ratio is steadier than either time."""
        pairs = [t / h for t, h in zip(self.times, hand.times)]
        return statistics.median(pairs) if pairs else float("inf")


def generator_has_param(generator, param):
    source = os.path.join(REPO, "generators", f"{generator}_generator.cpp")
    return f'{{"{param}"' in open(source).read()


def rungen_object(work):
    """RunGenMain.cpp compiled once per work folder (it takes a minute)."""
    obj = os.path.join(work, "rungen_main.o")
    if not os.path.exists(obj):
        log("compiling Halide's RunGenMain.cpp (once per work folder)")
        run(["c++", "-O2", "-std=c++17", "-DHALIDE_NO_PNG", "-DHALIDE_NO_JPEG", f"-I{HALIDE_INCLUDE}",
             f"-I{HALIDE_SRC}", "-c", os.path.join(HALIDE_SRC, "RunGenMain.cpp"), "-o", obj + ".tmp"])
        os.replace(obj + ".tmp", obj)
    return obj


def build_candidate(args, pipeline, generator_exe, generator, cand, folder, runnable):
    os.makedirs(folder, exist_ok=True)
    emit = "static_library,c_header,registration"
    command = [generator_exe, "-g", generator, "-f", pipeline, "-n", pipeline, "-o", folder,
               f"target={args.target}"] + cand.params
    env = dict(os.environ)
    if cand.method == "autoscheduler":
        emit += ",schedule"
        command += ["auto_schedule=true", "-p", os.path.join(PLUGIN_DIR, AUTOSCHEDULERS[cand.autoscheduler]),
                    "-s", cand.autoscheduler, f"machine_params={args.machine_params}"]
        # Adams2019's beam search: beam 32 took minutes and 8 GB per pipeline here; a greedy pass (beam 1)
        # takes seconds. --adams-beam raises it.
        env["HL_BEAM_SIZE"] = str(args.adams_beam)
    command[3:3] = ["-e", emit]
    run(command, env=env)
    if cand.method == "autoscheduler":
        cand.schedule_h = os.path.join(folder, f"{pipeline}.schedule.h")
    if runnable:
        cand.runner = os.path.join(folder, "run")
        run(["c++", "-std=c++17", rungen_object(args.work), os.path.join(folder, f"{pipeline}.registration.cpp"),
             os.path.join(folder, f"{pipeline}.a"), f"-I{HALIDE_INCLUDE}", f"-I{folder}", "-ldl", "-lpthread",
             "-o", cand.runner])


def rungen_inputs(runner):
    """RunGen arguments for estimate-sized inputs: random floats in [0, 1); integer buffers (indices into
    other inputs) all zero, which is valid for every pipeline; scalars at their estimates."""
    described = run([runner, "--describe"])
    arguments = []
    for name, kind in re.findall(r'Input "(\w+)" is of type (\S+)', described):
        if kind.startswith("Buffer<int") or kind.startswith("Buffer<uint"):
            arguments.append(f"{name}=zero:estimate")
    return arguments + ["--default_input_buffers=random:0:estimate_then_auto", "--default_input_scalars=estimate",
                        "--output_extents=estimate"]


def outputs_equal(args, pipeline, hand, cand, folder):
    """Runs both on the same random input and compares every output (.tmp files) within --tolerance."""
    described = run([hand.runner, "--describe"])
    outputs = re.findall(r'Output "(\w+)"', described)
    files = {}
    for who in (hand, cand):
        assignments = []
        for output in outputs:
            path = os.path.join(folder, f"{c_identifier(who.name)}.{output}.tmp")
            assignments.append(f"{output}={path}")
            files.setdefault(output, []).append(path)
        env = dict(os.environ, HL_NUM_THREADS=str(args.threads))
        run([who.runner] + rungen_inputs(who.runner) + assignments, env=env)
    worst = 0.0
    notes = []
    for output, (a, b) in files.items():
        x, y = read_tmp(a), read_tmp(b)
        if len(x) != len(y):
            return False, f"{output}: {len(x)} vs {len(y)} values"
        if not any(x):
            notes.append(f"{output} all zero on this input: compared nothing")
        for u, v in zip(x, y):
            error = abs(u - v) / max(1.0, abs(u))
            if not error <= args.tolerance:  # also catches NaN
                return False, f"{output}: {u} vs {v}"
            worst = max(worst, error)
    return True, "; ".join([f"max relative difference {worst:.2e}"] + notes)


def read_tmp(path):
    """ImageStack's .tmp format as Halide writes it: 4 int32 extents, an int32 type code, then the data."""
    import array
    with open(path, "rb") as f:
        header = array.array("i")
        header.fromfile(f, 5)
        count = header[0] * header[1] * header[2] * header[3]
        codes = {0: "f", 1: "d", 2: "B", 3: "b", 4: "H", 5: "h", 6: "I", 7: "i"}
        values = array.array(codes[header[4]])
        values.fromfile(f, count)
    return values


def benchmark(args, candidates, first_round=0):
    """Rounds of one RunGen run per candidate, rotated. A candidate that takes more than --give-up times the
    hand schedule's wall time in a run is stopped and drops out (autoscheduled convolutions can be 50x slower;
    they cannot win), as does one slower than 2x the hand schedule after the first round."""
    timed = [c for c in candidates if c.runner and not c.error]
    hand = timed[0]
    inputs = rungen_inputs(hand.runner)
    env = dict(os.environ, HL_NUM_THREADS=str(args.threads))
    hand_wall = None
    hand_wall = None if first_round == 0 else 0.0
    for round_index in range(first_round, first_round + args.rounds):
        shift = round_index % len(timed)
        order = timed[shift:] + timed[:shift]
        if hand_wall is None:
            order = [hand] + [c for c in order if c is not hand]
        for cand in order:
            timeout = None if not hand_wall else max(10.0, args.give_up * hand_wall)
            start = datetime.datetime.now()
            try:
                out = subprocess.run([cand.runner, "--benchmarks=all", f"--benchmark_min_time={args.min_time}",
                                      "--parsable_output"] + inputs, env=env, capture_output=True, text=True,
                                     timeout=timeout)
            except subprocess.TimeoutExpired:
                cand.error = f"stopped: one run took over {timeout:.0f} s ({args.give_up:g}x the hand schedule's)"
                continue
            if out.returncode != 0:
                cand.error = f"RunGen failed: {out.stderr.strip()[-200:]}"
                continue
            if cand is hand and hand_wall is None:
                hand_wall = (datetime.datetime.now() - start).total_seconds()
            match = re.search(r"BEST_TIME_MSEC_PER_ITER\s+([0-9.eE+-]+)", out.stdout)
            if not match:
                raise RuntimeError(f"no timing in RunGen's output for {cand.name}:\n{out.stdout}")
            cand.times.append(float(match.group(1)))
        log(f"  round {round_index + 1}/{first_round + args.rounds}: " +
            ", ".join(f"{c.name} {c.times[-1]:.3g} ms" for c in timed if c.times))
        for cand in timed:
            last_round = round_index + 1 == first_round + args.rounds
            if cand is not hand and cand.times and not cand.error and not last_round and \
                    cand.median() > 2 * hand.median():
                cand.error = f"dropped after round {round_index + 1}: over 2x the hand schedule's time"
        timed = [c for c in timed if not c.error]


def c_identifier(text):
    return re.sub(r"[^A-Za-z0-9]", "_", text)


def write_header(args, pipeline, generator, params, family, candidates, winner, started, load_start):
    hand = candidates[0]
    model, cores = machine_description()
    variable = f"tuned_{c_identifier(family)}_{pipeline}"
    apply_name = f"apply_schedule_{c_identifier(family)}_{pipeline}"
    def paragraph(text, indent=""):
        return textwrap.wrap(text, width=108 - len(indent), initial_indent="// " + indent,
                             subsequent_indent="// " + indent + ("  " if indent else ""),
                             break_on_hyphens=False, break_long_words=False)

    variant = f", {' '.join(params)}" if params else ""
    lines = paragraph(f"Tuned schedule of pipeline {pipeline} (generator {generator}{variant}) for "
                      f"{args.target} ({family}). Written by schedules/tune/tune.py; do not edit by hand. "
                      f"Re-run it to retune:")
    lines += paragraph(" ".join(args.command_line), indent="  ")
    lines += paragraph(f"When: {started} UTC. Where: {model}, {cores} cores, {args.threads} Halide threads, "
                       f"load average {load_start} at the start and {load_average()} at the end (a shared "
                       f"machine).")
    lines += paragraph(f"How: RunGen on estimate-sized random inputs, {args.rounds} rounds alternating the "
                       f"candidates; per candidate the median of its per-round best times (ms per call) and "
                       f"the median of its time / the hand schedule's time in the same round, which decides "
                       f"(a win: below {1 - args.margin:.2f}, confirmed by {args.rounds} more rounds of the "
                       f"winner against the hand schedule alone). Autoschedulers with machine_params="
                       f"{args.machine_params} (Adams2019 with beam {args.adams_beam} and its built-in cost "
                       f"model). Every candidate's output equalled the hand schedule's within "
                       f"{args.tolerance:g} (relative) before it was timed.")
    for cand in candidates:
        if cand.times:
            figure = f"{cand.median():.4g} ms, {cand.ratio_to(hand):.3f}x the hand time"
            if len(cand.times) != len(hand.times):
                figure += f" ({len(cand.times)} of {len(hand.times)} rounds)"
        else:
            figure = "not timed"
        if cand.error:
            figure += f"; {cand.error}"
        lines += paragraph(f"{cand.name}: {figure}" + ("  <- winner" if cand is winner else ""), indent="  ")
    if winner is hand:
        lines += paragraph(f"The hand schedule won unchanged (no candidate beat it by more than "
                           f"{args.margin:.0%} in the paired median): its register block is kept.")
    if args.winner:
        lines += paragraph(f"Chosen with --winner {args.winner!r}, not by the timings above.")
    body = []
    if winner.method == "autoscheduler":
        emitted = open(winner.schedule_h).read()
        emitted = emitted.replace(f"apply_schedule_{pipeline}(", f"{apply_name}(")
        # The emitted function need not use its target; the build is -Wextra -Werror.
        emitted = re.sub(r"(::Halide::Target target\s*\)\s*\{\n)", r"\1    (void)target;\n", emitted, count=1)
        emitted = re.sub(r"#ifndef \w+\n#define \w+\n", "", emitted, count=1)
        emitted = re.sub(r"#endif\s*(//.*)?\s*$", "", emitted.rstrip())
        body.append(emitted.strip() + "\n")
        entry = (f'    "{pipeline}", "{family}", TunedMethod::autoscheduler, 0,\n'
                 f"    [](Halide::Pipeline p, Halide::Target t) {{ ::{apply_name}(p, t); }}}};")
    else:
        x_block = winner.x_block or hand_x_block(family)
        entry = f'    "{pipeline}", "{family}", TunedMethod::hand, {x_block}, nullptr}};'
    text = "\n".join(lines) + "\n#pragma once\n\n#include \"Halide.h\"\n#include \"schedules/tuned/tuned_schedule.h\"\n\n"
    text += "\n".join(body)
    text += f"\nnamespace causeway {{\n\ninline const TunedSchedule {variable}{{\n{entry}\n\n}} // namespace causeway\n"
    folder = os.path.join(args.out, family)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{pipeline}.h")
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)
    clang_format(path)
    write_index(args.out)
    return path


def hand_x_block(family):
    # pecnn_cpu_block: 32-channel blocks, half the vector registers as accumulators.
    vector, accumulators = {"x86-64-avx512": (16, 16), "x86-64-avx2": (8, 12), "x86-64-sse41": (4, 12),
                            "arm-64": (4, 16)}.get(family, (16, 16))
    return max(1, accumulators // (32 // vector))


def clang_format(path):
    """The repo's .clang-format on a written header, where clang-format-14 is installed."""
    if subprocess.run(["sh", "-c", "command -v clang-format-14"], capture_output=True).returncode == 0:
        run(["clang-format-14", "-i", f"--style=file:{os.path.join(REPO, '.clang-format')}", path])


def write_index(out):
    headers = []
    for family in sorted(os.listdir(out)):
        folder = os.path.join(out, family)
        if os.path.isdir(folder):
            headers += [(family, name[:-2]) for name in sorted(os.listdir(folder)) if name.endswith(".h")]
    text = ["// The checked-in tuned schedules (written by schedules/tune/tune.py; do not edit by hand).",
            "#pragma once", "", "#include <vector>", "", '#include "schedules/tuned/tuned_schedule.h"']
    text += [f'#include "{family}/{name}.h"' for family, name in headers]
    text += ["", "namespace causeway {", "",
             "inline const std::vector<const TunedSchedule *> &tuned_schedules() {",
             "    static const std::vector<const TunedSchedule *> schedules = {"]
    text += [f"        &tuned_{c_identifier(family)}_{name}," for family, name in headers]
    text += ["    };", "    return schedules;", "}", "", "} // namespace causeway", ""]
    path = os.path.join(out, "tuned.h")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(text))
    os.replace(path + ".tmp", path)
    clang_format(path)


def tune(args, pipeline, spec):
    executable, generator, params = spec
    generator_exe = os.path.join(args.build, "generators", executable)
    if not os.path.exists(generator_exe):
        fail(f"{generator_exe} does not exist: build it first (ninja -C {args.build} {executable})")
    family = target_family(args.target)
    runnable = runnable_here(args.target) and not args.compile_only
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M")
    load_start = load_average()
    # Candidates leave the pipeline GeneratorParam empty (the build passes pipeline=NAME), so that no
    # checked-in tuned schedule replaces the one tried.
    base = list(params)
    candidates = [Candidate("hand", "hand", base)]
    # The register block is the CPU schedules'; GPU schedules (schedules/cuda/) do not read it.
    if generator_has_param(generator, "x_block") and family not in ("cuda", "gpu"):
        for x_block in args.x_blocks:
            if x_block != hand_x_block(family):
                candidates.append(Candidate(f"hand x_block={x_block}", "hand", base + [f"x_block={x_block}"],
                                            x_block=x_block))
    autoschedulers = args.autoschedulers
    if autoschedulers is None:
        # Of Halide 14's three, only Li2018 emits GPU schedules.
        autoschedulers = ["Li2018"] if family in ("cuda", "gpu") else list(AUTOSCHEDULERS)
    for name in autoschedulers:
        candidates.append(Candidate(name, "autoscheduler", base, autoscheduler=name))
    folder = os.path.join(args.work, c_identifier(args.target), pipeline)
    for cand in candidates:
        log(f"{pipeline}: building {cand.name}")
        try:
            build_candidate(args, pipeline, generator_exe, generator, cand, os.path.join(folder, c_identifier(cand.name)),
                            runnable)
        except RuntimeError as error:
            if cand is candidates[0]:
                raise
            reason = [line for line in str(error).splitlines() if line.strip()][-1]
            cand.error = "build failed: " + reason.strip()[-200:]
            log(f"  {cand.error}")
    if not runnable:
        log(f"{pipeline}: {args.target} cannot run on this machine: compiled every candidate, timed none, "
            "wrote no header")
        return {"pipeline": pipeline, "target": args.target, "measured": False}
    hand = candidates[0]
    for cand in candidates[1:]:
        if cand.error:
            continue
        ok, detail = outputs_equal(args, pipeline, hand, cand, folder)
        log(f"{pipeline}: {cand.name} output vs hand: {detail}")
        if not ok:
            cand.error = f"output differs from the hand schedule's ({detail})"
    benchmark(args, candidates)
    complete = [c for c in candidates if c.times and len(c.times) == args.rounds]
    fastest = min(complete, key=lambda c: c.ratio_to(hand))
    winner = hand
    if fastest is not hand and fastest.ratio_to(hand) < 1 - args.margin:
        # Confirm against the hand schedule alone: a win by noise rarely survives twice the rounds.
        log(f"{pipeline}: confirming {fastest.name}")
        benchmark(args, [hand, fastest], first_round=args.rounds)
        if fastest.ratio_to(hand) < 1 - args.margin:
            winner = fastest
    if args.winner:
        chosen = [c for c in candidates if c.name == args.winner and c.times]
        if not chosen:
            fail(f"{pipeline}: --winner {args.winner} is not a candidate that ran")
        winner = chosen[0]
    path = write_header(args, pipeline, generator, params, family, candidates, winner, started, load_start)
    result = {"pipeline": pipeline, "target": args.target, "family": family, "measured": True,
              "load_start": load_start, "load_end": load_average(), "winner": winner.name, "header": path,
              "median_ms": {c.name: (c.median() if c.times else None) for c in candidates},
              "ratio_to_hand": {c.name: (c.ratio_to(hand) if c.times else None) for c in candidates},
              "times_ms": {c.name: c.times for c in candidates},
              "errors": {c.name: c.error for c in candidates if c.error}}
    log(f"{pipeline}: winner {winner.name} -> {os.path.relpath(path, REPO)}")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("pipelines", nargs="+", help="library names from generators/CMakeLists.txt")
    parser.add_argument("--build", required=True, help="a configured build holding the generator executables")
    parser.add_argument("--target", default="x86-64-linux-avx512_skylake",
                        help="Halide target (e.g. x86-64-linux-avx2-fma-f16c, arm-64-linux, "
                             "x86-64-linux-sse41-cuda-cuda_capability_70)")
    parser.add_argument("--autoschedulers", default=None,
                        help=f"comma-separated subset of {','.join(AUTOSCHEDULERS)} ('' for none; default: all "
                             f"three for a CPU, Li2018 for a GPU)")
    parser.add_argument("--x-blocks", default="auto",
                        help="register blocks to try besides the hand one (auto: half, 3/4 and 1.5x the "
                             "target's hand block: 4,6,12 on AVX-512)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating benchmark rounds")
    parser.add_argument("--min-time", type=float, default=0.3, help="RunGen's benchmark_min_time per run (s)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="HL_NUM_THREADS while timing")
    parser.add_argument("--give-up", type=float, default=8.0,
                        help="stop a candidate whose run takes this many times the hand schedule's wall time")
    parser.add_argument("--margin", type=float, default=0.05,
                        help="a candidate replaces the hand schedule only when faster by more than this")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="relative output difference allowed")
    parser.add_argument("--machine-params", default=None,
                        help="autoschedulers' parallelism,last-level cache bytes,balance (default: this machine)")
    parser.add_argument("--adams-beam", type=int, default=1, help="Adams2019's beam size (HL_BEAM_SIZE)")
    parser.add_argument("--work", default=None, help="scratch folder (default: BUILD/tune)")
    parser.add_argument("--out", default=os.path.join(REPO, "schedules", "tuned"),
                        help="where tuned headers go (default: %(default)s)")
    parser.add_argument("--compile-only", action="store_true", help="compile every candidate, time none")
    parser.add_argument("--winner", default=None,
                        help="keep this candidate whatever the timings (tests; e.g. 'hand x_block=4')")
    parser.add_argument("--results", default=None, help="append one JSON line per pipeline to this file")
    args = parser.parse_args()
    args.command_line = ["schedules/tune/tune.py"] + [a for a in sys.argv[1:]]
    if args.autoschedulers is not None:
        args.autoschedulers = [a for a in args.autoschedulers.split(",") if a]
    for name in args.autoschedulers or []:
        if name not in AUTOSCHEDULERS:
            fail(f"unknown autoscheduler {name} (known: {', '.join(AUTOSCHEDULERS)})")
    if args.x_blocks == "auto":
        hand = hand_x_block(target_family(args.target))
        args.x_blocks = sorted({max(1, hand // 2), max(1, hand * 3 // 4), hand * 3 // 2} - {hand})
    else:
        args.x_blocks = [int(v) for v in args.x_blocks.split(",") if v]
    if args.machine_params is None:
        args.machine_params = f"{os.cpu_count()},{last_level_cache_bytes()},40"
    args.build = os.path.abspath(args.build)
    args.work = os.path.abspath(args.work or os.path.join(args.build, "tune"))
    args.out = os.path.abspath(args.out)
    os.makedirs(args.work, exist_ok=True)
    known = pipelines_from_cmake()
    for pipeline in args.pipelines:
        if pipeline not in known:
            fail(f"unknown pipeline {pipeline}: not a library in generators/CMakeLists.txt")
    for pipeline in args.pipelines:
        result = tune(args, pipeline, known[pipeline])
        if args.results:
            with open(args.results, "a") as f:
                f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
