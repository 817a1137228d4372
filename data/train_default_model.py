#!/usr/bin/python3
"""Trains the PECNN shipped as data/default.model.safetensors, in PyTorch, on data/default.dataset.safetensors:
the paper's split (train chr1-12, validate on chr13 for early stopping, hold out the rest), Adam, masked MSE,
mini-batches of 64, seeded. `causeway predict` runs the result out of the box.

    /usr/bin/python3 data/train_default_model.py DATASET.safetensors OUT.safetensors
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pecnn"))
import pecnn_reference as ref  # noqa: E402


def main(dataset, out):
    torch.set_num_threads(2)
    torch.manual_seed(1)
    tensors, meta = ref.load_safetensors(dataset)
    x, y = tensors["inputs"], tensors["targets"]
    genes_tsv = dataset[:-len(".safetensors")] + ".genes.tsv"
    chroms = [line.split("\t")[1] for line in open(genes_tsv).read().splitlines()[1:]]
    number = lambda c: int(c[3:]) if c[3:].isdigit() else 99
    train = torch.tensor([number(c) <= 12 for c in chroms])
    valid = torch.tensor([number(c) == 13 for c in chroms])
    test = ~train & ~valid
    marks = meta["marks"].split(",")
    model = ref.PECNN(marks=len(marks), bins=x.shape[3])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = x[train], y[train]
    best, best_state, patience = float("inf"), None, 0
    for epoch in range(150):
        model.train()
        order = torch.randperm(xt.shape[0])
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            opt.zero_grad()
            ref.masked_mse(model(xt[batch]), yt[batch]).backward()
            opt.step()
        with torch.no_grad():
            v = ref.masked_mse(model(x[valid]), y[valid]).item()
        if v < best - 1e-4:
            best, best_state, patience = v, {k: t.clone() for k, t in model.state_dict().items()}, 0
        else:
            patience += 1
            if patience >= 15:
                break
    model.load_state_dict(best_state)
    with torch.no_grad():
        pred, obs = model(x[test]), y[test]
    known = ~torch.isnan(obs)
    r = torch.corrcoef(torch.stack([pred[known], obs[known]]))[0, 1].item()
    print(f"stopped after epoch {epoch + 1}; validation MSE {best:.4f}; held-out Pearson (pooled) {r:.3f}")
    ref.save_safetensors(out, model.state_dict(), ref.model_metadata(marks, x.shape[3], 32, 2, 11, (1, 1), "mean"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
