#!/usr/bin/python3
"""Tunes the schedule of causeway pipelines for one Halide target and checks the winner in.

For each pipeline (a library name of generators/CMakeLists.txt, e.g. seqcnn_conv_one_hot) it compiles
  - the hand schedule (schedules/*.h with its register-budget defaults),
  - the hand schedule with each register block of a small grid (the x_block GeneratorParam),
  - one schedule per Halide 14 autoscheduler (auto_schedule=true, the plugin loaded with -p, machine_params
    of the machine it runs on),
links each with Halide's RunGen driver (/usr/src/halide14/RunGenMain.cpp), checks that every candidate's
output equals the hand schedule's on the same random input (at the estimates and at two shrunken sets of
sizes, see SMALL_SIZES), and benchmarks them on estimate-sized random
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
        self.body = None  # an autoscheduler's schedule as the checked-in header's body (checkin_body)
        self.checkin_error = None  # why that body could not be made; such a candidate cannot win
        self.size_error = None  # wrong or failing at a shrunken size (valid at the estimate only): cannot win
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
        # A schedule whose source cannot be checked in is still timed (for the table) but cannot win.
        try:
            cand.body = checkin_body(pipeline, target_family(args.target), cand.schedule_h)
        except RuntimeError as error:
            cand.checkin_error = str(error)
            with open(os.path.join(folder, "checkin-error.log"), "w") as f:
                f.write(cand.checkin_error)
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


def outputs_equal(args, pipeline, hand, cand, folder, size_args=None, label="estimate"):
    """Runs both on the same random input and compares every output (.tmp files) within --tolerance.
    size_args: RunGen arguments giving the inputs' and outputs' sizes (default: the estimates)."""
    described = run([hand.runner, "--describe"])
    outputs = re.findall(r'Output "([\w.]+)"', described)  # a Tuple output's are NAME.0, NAME.1, ...
    files = {}
    for who in (hand, cand):
        assignments = []
        for output in outputs:
            path = os.path.join(folder, f"{c_identifier(who.name)}.{label}.{output}.tmp")
            assignments.append(f"{output}={path}")
            files.setdefault(output, []).append(path)
        env = dict(os.environ, HL_NUM_THREADS=str(args.threads))
        try:
            run([who.runner] + (size_args or rungen_inputs(who.runner)) + assignments, env=env)
        except RuntimeError as error:
            if who is hand:
                raise
            lines = [line for line in str(error).splitlines() if line.strip()]
            return False, f"at {label} sizes it fails: {lines[-1].strip()[-200:] if lines else error}"
    worst = 0.0
    notes = []
    for output, (a, b) in files.items():
        x, y = read_tmp(a), read_tmp(b)
        if len(x) != len(y):
            return False, f"{output} at {label} sizes: {len(x)} vs {len(y)} values"
        if not any(x):
            notes.append(f"{output} all zero on this input: compared nothing")
        for u, v in zip(x, y):
            error = abs(u - v) / max(1.0, abs(u))
            if not error <= args.tolerance:  # also catches NaN
                return False, f"{output} at {label} sizes: {u} vs {v}"
            worst = max(worst, error)
    return True, "; ".join([f"max relative difference {worst:.2e} at {label} sizes"] + notes)


# The runtime calls every pipeline at sizes other than its estimates (a batch's last genes, one mark, a
# short sequence). A schedule whose tails are valid only at the estimate (an autoscheduler's ShiftInwards
# or RoundUp split by a factor larger than a smaller run's extent) must not win, so every candidate is also
# run at these shrunken sizes: each estimated extent e > 12 becomes (e // 6) | 1 (odd, so no split factor
# divides it), or 1. A size set the hand schedule itself refuses (extents whose relation the map breaks, e.g.
# a pooled length) is left out and logged.
SMALL_SIZES = {
    "odd": lambda e: e if e <= 12 else (e // 6) | 1,
    "tiny": lambda e: e if e <= 12 else 1,
}


def estimate_shapes(args, runner, folder):
    """The extents RunGen gives each buffer input and each output at the estimates (its --verbose report)."""
    described = run([runner, "--describe"])
    outputs = re.findall(r'Output "([\w.]+)"', described)
    assignments = [f"{o}={os.path.join(folder, 'shapes.' + o + '.tmp')}" for o in outputs]
    env = dict(os.environ, HL_NUM_THREADS=str(args.threads))
    report = subprocess.run([runner, "--verbose"] + rungen_inputs(runner) + assignments, env=env,
                            capture_output=True, text=True, check=True).stderr
    inputs, output_extents = {}, {}
    for name, shape in re.findall(r"Input (\w+): Shape is (\[\[.*?\]\])", report):
        inputs.setdefault(name, [dim[1] for dim in json.loads(shape)])
    for name, shape in re.findall(r"Output ([\w.]+) is parsed from metadata as: (\[\[.*?\]\])", report):
        output_extents.setdefault(name, [dim[1] for dim in json.loads(shape)])
    return inputs, output_extents


def small_size_args(runner, shapes, shrink):
    inputs, output_extents = shapes
    described = run([runner, "--describe"])
    integer = {name for name, kind in re.findall(r'Input "(\w+)" is of type (\S+)', described)
               if kind.startswith("Buffer<int") or kind.startswith("Buffer<uint")}
    arguments = []
    for name, extents in sorted(inputs.items()):
        dims = ",".join(str(shrink(e)) for e in extents)
        arguments.append(f"{name}={'zero' if name in integer else 'random:0'}:[{dims}]")
    if output_extents:
        first = next(iter(output_extents.values()))
        arguments.append("--output_extents=[" + ",".join(str(shrink(e)) for e in first) + "]")
    return arguments + ["--default_input_scalars=estimate"]


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


TAIL_STRATEGIES = ("RoundUp", "GuardWithIf", "Predicate", "PredicateLoads", "PredicateStores", "ShiftInwards",
                   "Auto")


def declare_named_funcs(text):
    """Li2018 (unlike Adams2019 and Mullapudi2016) emits the schedule calls alone: Funcs by their unique
    names (`prediction$1.compute_root()`), loop variables (`split(c, v4, v5, 8, ShiftInwards)`) and tail
    strategies unqualified, none of them declared. Declares each Func through causeway::pipeline_func (by
    name), each variable by name (a Var, or an RVar where it names a reduction dimension, `r$x`, or one split
    or fused from reduction dimensions only), qualifies the tail strategies, and turns `$` in names into `_`."""
    head, sep, rest = text.partition("    using ::Halide::Var;\n")
    if not sep:
        raise RuntimeError("no `using ::Halide::Var;` line in the emitted schedule")
    close = rest.rindex("}")
    statements, tail = rest[:close], rest[close:]
    # Li2018 sometimes leaves out the `;` that ends a statement (after an rfactor's intermediate's update):
    # a line that starts a new statement ends the one before.
    lines = []
    for line in statements.splitlines():
        previous = next((l.strip() for l in reversed(lines) if l.strip()), ";")
        if re.match(r"    [A-Za-z_]", line) and not previous.endswith((";", "{", "}")):
            lines.append("    ;")
        lines.append(line)
    statements = "\n".join(lines) + "\n"
    # `NAME = F.update(0).rfactor(...)...`: a Func the schedule makes, declared where it is assigned.
    made = re.findall(r"^    ([A-Za-z_][\w$]*) = ", statements, re.MULTILINE)
    statements = re.sub(r"^    ([A-Za-z_][\w$]*) = ", r"    Func \1 = ", statements, flags=re.MULTILINE)
    funcs, variables = [], {}  # funcs: the pipeline's, by name; variables: name -> is an RVar
    def note(name, rvar):
        if name not in variables:
            variables[name] = rvar
    for statement in statements.split(";"):
        match = re.match(r"\s*(?:Func )?([A-Za-z_][\w$]*)", statement)
        if not match:
            continue
        if match.group(1) not in funcs + made:
            funcs.append(match.group(1))
    for statement in statements.split(";"):
        for method, arguments in re.findall(r"\.(\w+)\(([^()]*)\)", statement):
            # rfactor({{r217, v44}, ...}) pairs a reduction variable with the pure one it becomes.
            names = [a.strip() for a in arguments.replace("{", "").replace("}", "").split(",")]
            names = [a for a in names if re.fullmatch(r"[A-Za-z_][\w$]*", a) and a not in funcs + made
                     and a not in TAIL_STRATEGIES and a != "true" and a != "false"]
            if not names or method == "update":
                continue
            if method == "split":  # split(old, outer, inner, ...): the new ones are the old one's kind
                rvar = variables.get(names[0], "$" in names[0])
                for name in names:
                    note(name, rvar)
            elif method == "rfactor":  # rfactor({{rvar, var}, ...})
                for rvar, var in zip(names[0::2], names[1::2]):
                    note(rvar, True)
                    note(var, False)
            elif method == "fuse":  # fuse(inner, outer, fused)
                rvar = all(variables.get(n, "$" in n) for n in names[:2])
                for name in names[:2]:
                    note(name, "$" in name)
                for name in names[2:]:
                    note(name, rvar)
            else:
                for name in names:
                    note(name, "$" in name)
    def identifier(name):
        return name.replace("$", "_")
    identifiers = [identifier(n) for n in funcs + made + list(variables)]
    if len(set(identifiers)) != len(identifiers):
        raise RuntimeError(f"two emitted names map to one C++ identifier: {sorted(identifiers)}")
    declarations = [f'    Func {identifier(f)} = ::causeway::pipeline_func(pipeline, "{f}");' for f in funcs]
    declarations += [f'    {"RVar" if rvar else "Var"} {identifier(v)}("{v}");' for v, rvar in variables.items()]
    for name in sorted(funcs + made + list(variables), key=len, reverse=True):
        if "$" in name:
            statements = re.sub(re.escape(name) + r"(?![\w$])", identifier(name), statements)
    statements = re.sub(r"(?<![\w:])(" + "|".join(TAIL_STRATEGIES) + r")\b", r"TailStrategy::\1", statements)
    return head + sep + "\n".join(declarations) + "\n" + statements + tail


def checkin_body(pipeline, family, schedule_h):
    """The autoscheduler's emitted schedule as the body of a checked-in header: apply_schedule_PIPELINE
    renamed per family, declarations added where the autoscheduler left them out (Li2018), and checked to
    compile against Halide.h and tuned_schedule.h, so that no header is written that the build cannot use."""
    emitted = open(schedule_h).read()
    apply_name = f"apply_schedule_{c_identifier(family)}_{pipeline}"
    emitted = emitted.replace(f"apply_schedule_{pipeline}(", f"{apply_name}(")
    if not re.search(r"pipeline\.get_func\(", emitted):
        emitted = declare_named_funcs(emitted)
    # The emitted function need not use its target; the build is -Wextra -Werror.
    emitted = re.sub(r"(::Halide::Target target\s*\)\s*\{\n)", r"\1    (void)target;\n", emitted, count=1)
    emitted = re.sub(r"#ifndef \w+\n#define \w+\n", "", emitted, count=1)
    emitted = re.sub(r"#endif\s*(//.*)?\s*$", "", emitted.rstrip())
    body = emitted.strip() + "\n"
    # Mullapudi2016 too can use loop variables it never declares (`reorder(co, rx$x, ci, k, n)`): each name
    # the compiler reports undeclared becomes a Var (an RVar where it names a reduction dimension, `r$x`).
    for _ in range(4):
        errors = compile_check(body)
        if not errors:
            return body
        undeclared = sorted(set(re.findall(r"[‘'`]([A-Za-z_][\w$]*)[’'] was not declared in this scope", errors)))
        if not undeclared:
            break
        declarations = "".join(f'    {"RVar" if "$" in n else "Var"} {n.replace("$", "_")}("{n}");\n'
                               for n in undeclared)
        body = re.sub(r"(    using ::Halide::Var;\n)", lambda m: m.group(1) + declarations, body, count=1)
        for name in undeclared:
            if "$" in name:
                body = re.sub(r"(?<![\w$\"])" + re.escape(name) + r"(?![\w$])", name.replace("$", "_"), body)
    raise RuntimeError(f"the emitted schedule does not compile as a header:\n{errors[-3000:]}")


def compile_check(body):
    """The compiler's errors for a header body (empty when it compiles), as the build compiles it."""
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write('#include "Halide.h"\n#include "schedules/tuned/tuned_schedule.h"\n\n' + body)
        check = f.name
    try:
        result = subprocess.run(["c++", "-std=c++17", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                                 "-isystem", HALIDE_INCLUDE, f"-I{REPO}", check], capture_output=True, text=True)
    finally:
        os.unlink(check)
    return "" if result.returncode == 0 else result.stderr


def write_header(args, pipeline, generator, params, family, candidates, winner, started, load_start,
                 size_labels):
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
                       f"model). Every candidate timed had output equal to the hand schedule's within "
                       f"{args.tolerance:g} (relative) at these sizes: {', '.join(size_labels)} (tune.py's "
                       f"SMALL_SIZES: the estimates shrunk, where the hand schedule accepts them).")
    for cand in candidates:
        if cand.times:
            figure = f"{cand.median():.4g} ms, {cand.ratio_to(hand):.3f}x the hand time"
            if len(cand.times) != len(hand.times):
                figure += f" ({len(cand.times)} of {len(hand.times)} rounds)"
        else:
            figure = "not timed"
        if cand.error:
            figure += f"; {cand.error}"
        if cand.checkin_error:
            first = next((l for l in cand.checkin_error.splitlines() if "error:" in l), "").strip()
            figure += f"; not eligible: its emitted source does not compile as a header ({first[-160:]})"
        if cand.size_error:
            figure += f"; not eligible: valid at the estimate only ({cand.size_error})"
        lines += paragraph(f"{cand.name}: {figure}" + ("  <- winner" if cand is winner else ""), indent="  ")
    if winner is hand:
        lines += paragraph(f"The hand schedule won unchanged (no candidate beat it by more than "
                           f"{args.margin:.0%} in the paired median): its register block is kept.")
    if args.winner:
        lines += paragraph(f"Chosen with --winner {args.winner!r}, not by the timings above.")
    body = []
    if winner.method == "autoscheduler":
        body.append(winner.body)
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
            # The whole error goes to the candidate's folder; the banner gets its last line.
            log_path = os.path.join(folder, c_identifier(cand.name), "build-error.log")
            with open(log_path, "w") as f:
                f.write(str(error))
            reason = [line for line in str(error).splitlines() if line.strip()][-1]
            status = re.search(r"failed \((-?\d+)\)", str(error))
            if status and int(status.group(1)) < 0:  # subprocess reports death by signal N as -N
                reason = f"killed by signal {-int(status.group(1))} ({reason.strip()})"
            cand.error = "build failed: " + reason.strip()[-200:] + f" (whole error: {log_path})"
            log(f"  {cand.error}")
    if not runnable:
        log(f"{pipeline}: {args.target} cannot run on this machine: compiled every candidate, timed none, "
            "wrote no header")
        return {"pipeline": pipeline, "target": args.target, "measured": False}
    hand = candidates[0]
    size_sets = [("estimate", None)]
    shapes = estimate_shapes(args, hand.runner, folder)
    for label, shrink in SMALL_SIZES.items():
        size_args = small_size_args(hand.runner, shapes, shrink)
        try:
            run([hand.runner] + size_args + [f"{o}={os.path.join(folder, 'probe.' + c_identifier(o) + '.tmp')}"
                                             for o in shapes[1]],
                env=dict(os.environ, HL_NUM_THREADS=str(args.threads)))
            size_sets.append((label, size_args))
        except RuntimeError as error:
            lines = [line for line in str(error).splitlines() if line.strip()]
            log(f"{pipeline}: no check at {label} sizes (the hand schedule refuses them: "
                f"{lines[-1].strip()[-160:] if lines else error})")
    for cand in candidates[1:]:
        if cand.error:
            continue
        for label, size_args in size_sets:
            ok, detail = outputs_equal(args, pipeline, hand, cand, folder, size_args, label)
            log(f"{pipeline}: {cand.name} output vs hand: {detail}")
            if not ok:
                # Wrong at the estimate: not timed. Wrong or failing at a smaller size only: timed for the
                # table, but it cannot win.
                if label == "estimate":
                    cand.error = f"output differs from the hand schedule's ({detail})"
                else:
                    cand.size_error = detail
                break
    benchmark(args, candidates)
    complete = [c for c in candidates
                if c.times and len(c.times) == args.rounds and not c.checkin_error and not c.size_error]
    fastest = min(complete, key=lambda c: c.ratio_to(hand))
    winner = hand
    if fastest is not hand and fastest.ratio_to(hand) < 1 - args.margin:
        # Confirm against the hand schedule alone: a win by noise rarely survives twice the rounds.
        log(f"{pipeline}: confirming {fastest.name}")
        benchmark(args, [hand, fastest], first_round=args.rounds)
        if fastest.ratio_to(hand) < 1 - args.margin:
            winner = fastest
    if args.winner:
        # (A forced winner may be one valid at the estimate only - tune.smoke checks in such a Li2018 header -
        # but never one whose source does not compile.)
        chosen = [c for c in candidates if c.name == args.winner and c.times and not c.checkin_error]
        if not chosen:
            fail(f"{pipeline}: --winner {args.winner} is not a candidate that ran")
        winner = chosen[0]
    path = write_header(args, pipeline, generator, params, family, candidates, winner, started, load_start,
                        [label for label, _ in size_sets])
    result = {"pipeline": pipeline, "target": args.target, "family": family, "measured": True,
              "load_start": load_start, "load_end": load_average(), "winner": winner.name, "header": path,
              "median_ms": {c.name: (c.median() if c.times else None) for c in candidates},
              "ratio_to_hand": {c.name: (c.ratio_to(hand) if c.times else None) for c in candidates},
              "times_ms": {c.name: c.times for c in candidates},
              "errors": {c.name: c.error for c in candidates if c.error},
              "not_eligible": {c.name: (c.checkin_error or c.size_error)[-500:]
                               for c in candidates if c.checkin_error or c.size_error}}
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
    failed = []
    for pipeline in args.pipelines:
        try:
            result = tune(args, pipeline, known[pipeline])
        except RuntimeError as error:
            # One pipeline's failure (its hand schedule would not build or run) must not end the others'.
            log(f"{pipeline}: not tuned: {error}")
            failed.append(pipeline)
            result = {"pipeline": pipeline, "target": args.target, "measured": False, "error": str(error)[-2000:]}
        if args.results:
            with open(args.results, "a") as f:
                f.write(json.dumps(result) + "\n")
    if failed:
        fail(f"not tuned: {', '.join(failed)} (errors above)")


if __name__ == "__main__":
    main()
