#!/usr/bin/python3
"""Trains a small seqcnn (tests/seqcnn/seqcnn_reference.py's module) on a causeway simulate-genome world, in
PyTorch: the development stand-in for `causeway train-seq`, to check that the simulated world lets a small
CNN learn binding and accessibility well enough for Deep MR's claims. Writes a seqcnn model file.

    /usr/bin/python3 tests/deepmr/train_reference_model.py WORLD_DIR OUT.safetensors [epochs]

Validation on chr7 (early stopping), chr8 held out; AUROC per task printed for both.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "seqcnn"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pecnn"))
import seqcnn_reference as ref  # noqa: E402
from pecnn_reference import save_safetensors  # noqa: E402


def read_fasta(path):
    seqs, name, parts = {}, None, []
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            if name:
                seqs[name] = "".join(parts)
            name, parts = line[1:].split()[0], []
        else:
            parts.append(line)
    seqs[name] = "".join(parts)
    return seqs


def load_world(world):
    genome = read_fasta(os.path.join(world, "genome.fa"))
    regions = [line.split("\t") for line in open(os.path.join(world, "regions.bed")).read().splitlines()]
    lines = open(os.path.join(world, "labels.tsv")).read().splitlines()
    tasks = lines[0].split("\t")[1:]
    labels = {f[0]: [float(v) for v in f[1:]] for f in (l.split("\t") for l in lines[1:])}
    lut = np.full(256, -1, dtype=np.int64)
    for i, b in enumerate(b"ACGT"):
        lut[b] = i
    x = np.zeros((len(regions), 4, int(regions[0][2]) - int(regions[0][1])), dtype=np.float32)
    y = np.zeros((len(regions), len(tasks)), dtype=np.float32)
    chroms = []
    for i, (chrom, start, end, name) in enumerate(regions):
        codes = lut[np.frombuffer(genome[chrom][int(start):int(end)].encode(), dtype=np.uint8)]
        x[i, codes, np.arange(len(codes))] = 1
        y[i] = labels[name]
        chroms.append(chrom)
    return torch.from_numpy(x), torch.from_numpy(y), np.array(chroms), tasks


def auroc(score, label):
    order = np.argsort(score)
    ranks = np.empty(len(score))
    ranks[order] = np.arange(1, len(score) + 1)
    pos = label > 0.5
    n1, n0 = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def main(world, out, epochs=12):
    torch.set_num_threads(2)
    torch.manual_seed(1)
    x, y, chroms, tasks = load_world(world)
    valid, test = chroms == "chr7", chroms == "chr8"
    train = ~valid & ~test
    model = ref.SeqCNN(x.shape[2], [64, 64], [19, 9], [4, 4], [64, len(tasks)], [0.1, 0.2], [0.3], "relu", "valid")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = x[train], y[train]
    best, best_state = float("inf"), None
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(xt.shape[0])
        for start in range(0, len(order), 64):
            batch = order[start:start + 64]
            opt.zero_grad()
            F.binary_cross_entropy(model(xt[batch]), yt[batch]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            loss = F.binary_cross_entropy(model(x[valid]), y[valid]).item()
        print(f"epoch {epoch + 1}: validation loss {loss:.4f}", file=sys.stderr)
        if loss < best:
            best, best_state = loss, {k: v.clone() for k, v in model.state_dict().items()}
            # Saved as it improves, so that an interrupted run leaves its best model so far.
            save_safetensors(out, best_state, ref.model_metadata(model, tasks))
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        p = model(x[test]).numpy()
    for t, name in enumerate(tasks):
        print(f"{name}\ttest AUROC {auroc(p[:, t], y[test].numpy()[:, t]):.3f}", file=sys.stderr)
    save_safetensors(out, model.state_dict(), ref.model_metadata(model, tasks))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 12)
