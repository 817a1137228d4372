#!/usr/bin/python3
"""Naive batched in-silico mutagenesis in PyTorch, the baseline of causeway's mutant batch: every mutant run
in full through tests/seqcnn/seqcnn_reference.py's module, 50 MC-dropout samples whose masks are shared by
the reference and every mutant (the same counter-based masks as causeway's), batches of about 256 sequences
(the reference and its mutants; when a sample has fewer, several samples share a batch, each row with its
sample's masks), float32, run the fastest way pytorch_modes.py measured (PYTORCH_MODE overrides it).
Same models, reference sequence and substitutions as bench_seqcnn's BM_SeqcnnIsm: DeepSEA-small (L 400;
64/96/128 channels, kernel 8, pools 4/4/none; dense 128, 32 tasks) over a whole region, and DeepSEA (L 1000;
320/480/960; dense 925, 919 tasks) over 8 positions in the middle (24 mutants), scaled to a region by
mutants/s. The one-hot batches and masks are built before the clock starts (in PyTorch's favour).
Run by bench/seqcnn/run.sh with 2 threads and Debian's OpenBLAS OpenMP build; prints mutants/s and GFLOP/s.
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "seqcnn"))
import seqcnn_reference as ref  # noqa: E402
from pytorch_modes import forward_function  # noqa: E402

SAMPLES, SEED, BATCH = 50, 4, 256
MODELS = {
    # name: (L, channels, dense units, positions evaluated)
    "deepsea_small": (400, [64, 96, 128], [128, 32], 400),
    "deepsea": (1000, [320, 480, 960], [925, 919], 8),
}


def forward_flops(model):
    """Multiply and add counted apart, as SeqcnnNetwork::forward_flops."""
    flops, length = 0, model.sequence_length
    for conv, pool in zip(model.conv, model.pools):
        out = length - conv.kernel_size[0] + 1
        flops += 2 * conv.in_channels * conv.kernel_size[0] * conv.out_channels * out
        length = out // pool
    return flops + sum(2 * d.in_features * d.out_features for d in model.dense)


def run(name):
    length, channels, units, positions = MODELS[name]
    model = ref.SeqCNN(length, channels, [8, 8, 8], [4, 4, 1], units, [0.2, 0.2, 0.5], [0.0]).eval()
    ref.counter_init(model, 1)  # causeway's seqcnn_init(config, 1)
    x = ref.counter_sequences(2, 1, length)[0]  # bench_seqcnn's first input sequence
    mutants = [x]  # the reference first: every sample's rows are the reference, then its mutants
    for p in range((length - positions) // 2, (length + positions) // 2):
        for b in range(4):
            if x[b, p] == 0:
                m = x.clone()
                m[:, p] = 0
                m[b, p] = 1
                mutants.append(m)
    rows = len(mutants)
    shapes = ref.site_shapes(model, 1)
    rates = list(model.conv_dropout) + list(model.dense_dropout)
    masks = [[ref.counter_keep(SEED, n, site, shape[1:], p)[None].float() if p > 0 else None
              for site, (shape, p) in enumerate(zip(shapes, rates))] for n in range(SAMPLES)]
    # Work units: (first sample, samples, first row, rows); several whole samples per batch when they fit.
    per_batch = max(1, BATCH // rows)
    if per_batch > 1:
        units_of_work = [(n, min(per_batch, SAMPLES - n), 0, rows) for n in range(0, SAMPLES, per_batch)]
    else:
        units_of_work = [(n, 1, i, min(BATCH, rows - i)) for n in range(SAMPLES) for i in range(0, rows, BATCH)]
    inputs = {}
    for _, count, first, size in units_of_work:
        if (count, first) not in inputs:
            inputs[count, first] = torch.stack(mutants[first:first + size]).repeat(count, 1, 1)
    # Each row its sample's masks (one sample's broadcast over the batch).
    batch_masks = {}
    for n, count, _, size in units_of_work:
        if (n, count) not in batch_masks:
            batch_masks[n, count] = masks[n] if count == 1 else [
                None if m[0] is None else torch.cat(m).repeat_interleave(size, 0) for m in zip(*masks[n:n + count])]
    forward = forward_function(model, inputs[units_of_work[0][1], 0], batch_masks[units_of_work[0][:2]])
    sums = torch.zeros(rows, units[-1])
    start = time.perf_counter()
    with torch.no_grad():
        reference = None
        for n, count, first, size in units_of_work:
            p = forward(inputs[count, first], batch_masks[n, count]).view(count, size, -1)
            if first == 0:
                reference = p[:, :1]
            sums[first:first + size] += (p - reference).sum(0)
    seconds = time.perf_counter() - start
    sums = sums[1:]  # the reference's own row is zero
    rate = len(sums) / seconds
    gflops = forward_flops(model) * rows * SAMPLES / seconds / 1e9
    print(f"pytorch {name} mutants {len(sums)} samples {SAMPLES} seconds {seconds:.2f} mutants/s {rate:.2f} "
          f"GFLOP/s {gflops:.1f} region_seconds {3 * length / rate:.1f} beta_checksum {float(sums.sum()) / SAMPLES:.6f}")


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    for name in sys.argv[1:] or MODELS:
        run(name)


if __name__ == "__main__":
    main()
