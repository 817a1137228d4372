"""Ways to run tests/seqcnn/seqcnn_reference.py's SeqCNN forward under shared MC-dropout masks in PyTorch,
for the benchmarks' baselines (pytorch_ism.py, bench/variants/pytorch_score_variants.py): each is the same
computation in float32 (results agree to rounding), and the benchmarks take the fastest measured here.

    eager    the module as written, under torch.no_grad (Conv1d through oneDNN, which reorders the input
             and the weights into its blocked layout on every call)
    frozen   torch.jit.trace + torch.jit.freeze of the same forward (weights folded in as constants)
    conv2d   Conv1d as Conv2d over a [B, C, 1, L] channels-last input, traced and frozen (oneDNN's
             NHWC path; whether it saves the reorders was not checked with DNNL_VERBOSE)

PYTORCH_MODE picks one; the default is the fastest measured (compare them with
`OPENBLAS_CORETYPE=SKYLAKEX THREADS=1 /usr/bin/python3 bench/seqcnn/pytorch_modes.py deepsea_small 256 9`).
Measured (one thread, alternating, median of
9 / 3 forwards, this 2-core Emerald Rapids at load 11, so loaded; torch 1.13 with oneDNN 2.6.3):
DeepSEA-small, batch 256: eager 746 ms, frozen 660, conv2d 433 (1.72x eager); DeepSEA, batch 128: eager
19.7 s, frozen 19.4, conv2d 16.4 (1.20x). Largest difference from eager 1.2e-7 (rounding).
torch.jit.optimize_for_inference (prepacked mkldnn weights) was no faster than frozen in a first loaded run.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

MODES = ("eager", "frozen", "conv2d")
DEFAULT_MODE = "conv2d"


class _MaskedForward(nn.Module):
    """SeqCNN.forward with the dropout masks of the sites that have dropout as tensor arguments (tracing
    takes tensors only), optionally with every Conv1d run as a channels-last Conv2d."""

    def __init__(self, model, sites, conv2d):
        super().__init__()
        self.model, self.sites, self.conv2d = model, sites, conv2d
        self.conv = nn.ModuleList()
        for c in model.conv:
            padding = c.padding if isinstance(c.padding, str) else (0, c.padding[0])
            c2 = nn.Conv2d(c.in_channels, c.out_channels, (1, c.kernel_size[0]), padding=padding)
            c2.weight.data = c.weight.data[:, :, None, :].clone()
            c2.bias.data = c.bias.data.clone()
            self.conv.append(c2)

    def forward(self, x, *masks):
        model, keep = self.model, iter(masks)
        rates = list(model.conv_dropout) + list(model.dense_dropout)

        def dropout(h, site):
            if site not in self.sites:
                return h
            m = next(keep)
            return h * (m[:, :, None, :] if self.conv2d and m.dim() == 3 else m) / (1 - rates[site])

        h = x[:, :, None, :].contiguous(memory_format=torch.channels_last) if self.conv2d else x
        for i, pool in enumerate(model.pools):
            h = model.act(self.conv[i](h) if self.conv2d else model.conv[i](h))
            if pool > 1:
                h = F.max_pool2d(h, (1, pool)) if self.conv2d else F.max_pool1d(h, pool)
            h = dropout(h, i)
        h = h.contiguous().flatten(1)  # channel-major, as SeqCNN
        for j, dense in enumerate(model.dense):
            h = dense(h)
            if j + 1 < len(model.dense):
                h = dropout(model.act(h), len(model.conv) + j)
        return torch.sigmoid(h)


def forward_function(model, example_x, example_masks, mode=None):
    """f(x, masks) -> probabilities, masks as SeqCNN.forward takes them (None entries for sites without
    dropout; the same sites must be None on every call). Traced modes are traced on the example."""
    mode = mode or os.environ.get("PYTORCH_MODE") or DEFAULT_MODE
    if mode not in MODES:
        raise ValueError(f"PYTORCH_MODE {mode}: one of {', '.join(MODES)}")
    if mode == "eager":
        return lambda x, masks: model(x, masks)
    sites = {i for i, m in enumerate(example_masks or []) if m is not None}
    wrapped = _MaskedForward(model.eval(), sites, mode == "conv2d").eval()
    args = [m for m in example_masks or [] if m is not None]
    with torch.no_grad():
        traced = torch.jit.freeze(torch.jit.trace(wrapped, (example_x, *args)))

    def run(x, masks):
        return traced(x, *[m for m in masks or [] if m is not None])

    return run


def main():
    """pytorch_modes.py MODEL BATCH REPS: each mode's forward of BATCH sequences, REPS times alternating;
    median and best per mode and the largest difference from eager (THREADS threads, default 1)."""
    import sys
    import time

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "seqcnn"))
    import seqcnn_reference as ref

    torch.set_num_threads(int(os.environ.get("THREADS", "1")))
    name, batch, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    length, channels, units = {"deepsea_small": (400, [64, 96, 128], [128, 32]),
                               "deepsea": (1000, [320, 480, 960], [925, 919])}[name]
    model = ref.SeqCNN(length, channels, [8, 8, 8], [4, 4, 1], units, [0.2, 0.2, 0.5], [0.0]).eval()
    ref.counter_init(model, 1)
    x = ref.counter_sequences(1, batch, length)
    rates = list(model.conv_dropout) + list(model.dense_dropout)
    masks = [ref.counter_keep(4, 0, site, shape[1:], p)[None].float() if p > 0 else None
             for site, (shape, p) in enumerate(zip(ref.site_shapes(model, 1), rates))]
    forwards = {mode: forward_function(model, x, masks, mode) for mode in MODES}
    times = {mode: [] for mode in MODES}
    with torch.no_grad():
        eager = forwards["eager"](x, masks)
        diff = {mode: float((f(x, masks) - eager).abs().max()) for mode, f in forwards.items()}
        for _ in range(reps):
            for mode, f in forwards.items():
                start = time.perf_counter()
                f(x, masks)
                times[mode].append(time.perf_counter() - start)
    for mode in MODES:
        t = sorted(times[mode])
        print(f"{name} batch {batch} threads {torch.get_num_threads()} {mode:7s} median {t[len(t) // 2] * 1e3:9.1f} ms "
              f"best {t[0] * 1e3:9.1f} ms max|diff vs eager| {diff[mode]:.1e}")


if __name__ == "__main__":
    main()
