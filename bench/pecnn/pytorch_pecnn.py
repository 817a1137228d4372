#!/usr/bin/python3
"""PyTorch's throughput on the same PECNN shapes as bench_pecnn: forward and training step (forward, masked
MSE, backward; no optimiser step, as in bench_pecnn), batch 256, 2 threads. Run by bench/pecnn/run.sh with
Debian's OpenBLAS OpenMP build; prints genes/s for each."""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "pecnn"))
import pecnn_reference as ref  # noqa: E402


def best_rate(fn, genes, seconds=2.0):
    fn()
    best, start = 0.0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        best = max(best, genes / (time.perf_counter() - t0))
    return best


def main():
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    torch.manual_seed(1)
    genes, cells = 256, 12
    model = ref.PECNN()
    x = torch.log1p(torch.distributions.Exponential(0.5).sample((genes, cells, 6, 200)))
    x = x * (torch.rand(genes, cells, 6, 200) < 0.6)
    y = torch.rand(genes, cells) * 5

    def forward():
        with torch.no_grad():
            model(x)

    def step():
        model.zero_grad()
        ref.masked_mse(model(x), y).backward()

    print(f"pytorch forward genes/s {best_rate(forward, genes):.1f}")
    print(f"pytorch training_step genes/s {best_rate(step, genes):.1f}")


if __name__ == "__main__":
    main()
