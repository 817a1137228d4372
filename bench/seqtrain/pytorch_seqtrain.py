#!/usr/bin/python3
"""A PyTorch training loop of the same module as bench_seqtrain.cpp's BM_SeqcnnTrainStep, the baseline of
causeway train-seq: tests/seqcnn/seqcnn_reference.py's SeqCNN at DeepSEA-small (L 400; 64/96/128 channels,
kernel 8, pools 4/4/none; dense 128, 13 tasks; threshold; dropout 0.2/0.2/0.5 drawn by PyTorch), batch 64,
float32, BCEWithLogitsLoss and torch.optim.Adam. One step = zero_grad, forward, loss, backward, Adam step.
The batch is made before the clock starts. Run by bench/seqtrain/run.sh with 2 threads and Debian's OpenBLAS
OpenMP build; prints sequences/s and GFLOP/s (the same FLOP count as SeqcnnTrainer::training_flops).
"""
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "seqcnn"))
import seqcnn_reference as ref  # noqa: E402

BATCH, LENGTH, TASKS, SECONDS = 64, 400, 13, 3.0


def training_flops(model):
    """Forward once, backward twice (weights and inputs) but the first block's input gradient."""
    flops, length = 0, model.sequence_length
    for i, (conv, pool) in enumerate(zip(model.conv, model.pools)):
        out = length - conv.kernel_size[0] + 1
        flops += (2 if i == 0 else 3) * 2 * conv.in_channels * conv.kernel_size[0] * conv.out_channels * out
        length = out // pool
    return flops + sum(3 * 2 * d.in_features * d.out_features for d in model.dense)


def logits(model, x):
    """The module's forward without its final sigmoid (BCEWithLogitsLoss takes logits)."""
    h = x
    for conv, pool, p in zip(model.conv, model.pools, model.conv_dropout):
        h = model.act(conv(h))
        if pool > 1:
            h = F.max_pool1d(h, pool)
        h = F.dropout(h, p, True)
    h = h.flatten(1)
    for j, dense in enumerate(model.dense):
        h = dense(h)
        if j + 1 < len(model.dense):
            h = F.dropout(model.act(h), model.dense_dropout[j], True)
    return h


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = ref.SeqCNN(LENGTH, [64, 96, 128], [8, 8, 8], [4, 4, 1], [128, TASKS], [0.2, 0.2, 0.5], [0.0],
                       activation="threshold").train()
    x = ref.counter_sequences(2, BATCH, LENGTH)
    y = (torch.rand(BATCH, TASKS) < 0.3).float()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(logits(model, x), y).backward()
        optimizer.step()

    for _ in range(3):
        step()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        step()
        steps += 1
    seconds = time.perf_counter() - start
    print(f"pytorch train_step/deepsea_small/batch:{BATCH} sequences/s={steps * BATCH / seconds:.1f} "
          f"GFLOP/s={training_flops(model) * BATCH * steps / seconds / 1e9:.1f}")


if __name__ == "__main__":
    main()
