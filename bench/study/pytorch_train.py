#!/usr/bin/python3
"""PyTorch's epoch time for the training loop `causeway train` runs: the same PECNN module (default
architecture), the same split of the dataset (train chr1-12, validate on chr13), Adam (lr 1e-3), masked MSE,
shuffled mini-batches of the same size, and the validation loss after each epoch. Prints one line per epoch:
`pytorch epoch N seconds S train_loss L valid_loss V`. Run by bench/study/run.sh with 2 threads and Debian's
OpenBLAS OpenMP build.

    /usr/bin/python3 bench/study/pytorch_train.py DATASET.safetensors EPOCHS [BATCH]
"""
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "pecnn"))
import pecnn_reference as ref  # noqa: E402


def main(dataset, epochs, batch):
    torch.set_num_threads(int(os.environ.get("THREADS", "2")))
    torch.manual_seed(1)
    tensors, meta = ref.load_safetensors(dataset)
    x, y = tensors["inputs"], tensors["targets"]
    genes_tsv = dataset[:-len(".safetensors")] + ".genes.tsv"
    chroms = [line.split("\t")[1] for line in open(genes_tsv).read().splitlines()[1:]]
    number = lambda c: int(c[3:]) if c[3:].isdigit() else 99
    known = ~torch.isnan(y).all(1)
    train = torch.tensor([number(c) <= 12 for c in chroms]) & known
    valid = torch.tensor([number(c) == 13 for c in chroms]) & known
    model = ref.PECNN(marks=len(meta["marks"].split(",")), bins=x.shape[3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt, xv, yv = x[train].contiguous(), y[train].contiguous(), x[valid].contiguous(), y[valid].contiguous()
    for epoch in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(xt.shape[0])
        total, steps = 0.0, 0
        for first in range(0, len(order), batch):
            index = order[first:first + batch]
            opt.zero_grad()
            loss = ref.masked_mse(model(xt[index]), yt[index])
            loss.backward()
            opt.step()
            total, steps = total + loss.item(), steps + 1
        with torch.no_grad():
            v = ref.masked_mse(model(xv), yv).item()
        seconds = time.perf_counter() - start
        print(f"pytorch epoch {epoch + 1} seconds {seconds:.4f} train_loss {total / steps:.4f} valid_loss {v:.4f}",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 64)
