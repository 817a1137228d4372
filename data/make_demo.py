#!/usr/bin/python3
"""Makes the small demo shipped in data/: a synthetic dataset (demo.dataset.safetensors, demo.dataset.genes.tsv)
and a PECNN trained on it in PyTorch (demo.model.safetensors), so that `causeway predict` has a real model to
run out of the box. Deterministic: run it again and the files come out the same.

    /usr/bin/python3 data/make_demo.py data

The marks follow the paper's rules in miniature: H3K4me3 and H3K27ac at the TSS and H3K36me3 over the gene
body raise expression, H3K27me3 and H3K9me3 lower it; peaks are sparse MACS2-like bumps of log1p(-log10 p).
(`causeway simulate-epigenome` builds the full synthetic world; this file only seeds the demo.)
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "pecnn"))
import pecnn_reference as ref  # noqa: E402

GENES, CELLS, BINS = 96, 12, 200
MARKS = ref.MARK_NAMES  # H3K36me3, H3K27me3, H3K27ac, H3K4me1, H3K4me3, H3K9me3


def peaks(n, centre, width, height, gen):
    x = torch.arange(BINS, dtype=torch.float32)
    return height[:, None] * torch.exp(-0.5 * ((x[None, :] - centre[:, None]) / width[:, None]) ** 2)


def make(folder):
    gen = torch.Generator().manual_seed(20261121)
    torch.manual_seed(20261121)
    activity = torch.rand(GENES, CELLS, generator=gen)  # hidden: how active each gene is in each cell
    silent = torch.rand(GENES, 1, generator=gen) < 0.25
    activity = torch.where(silent, torch.zeros_like(activity), activity)
    body_len = 20 + torch.randint(0, 80, (GENES,), generator=gen).float()  # bins downstream of the TSS
    x = torch.zeros(GENES, CELLS, len(MARKS), BINS)
    tss = torch.full((GENES * CELLS,), 100.0)
    a = activity.reshape(-1)
    noise = lambda: torch.rand(GENES * CELLS, generator=gen)
    x[:, :, 4] = peaks(0, tss + 2 * noise(), 3 + 2 * noise(), 30 * a * noise() + 5 * a, gen).reshape(GENES, CELLS, BINS)
    x[:, :, 2] = peaks(0, tss - 3 + 4 * noise(), 4 + 2 * noise(), 25 * a * noise(), gen).reshape(GENES, CELLS, BINS)
    body = (torch.arange(BINS)[None, :] >= 100) & (torch.arange(BINS)[None, :] < 100 + body_len.repeat_interleave(CELLS)[:, None])
    x[:, :, 0] = (body * (8 * a[:, None] * (0.5 + noise()[:, None]))).reshape(GENES, CELLS, BINS)
    repressed = (1 - a) * (torch.rand(GENES * CELLS, generator=gen) < 0.5)
    x[:, :, 1] = peaks(0, tss + 10 * noise() - 5, 15 + 5 * noise(), 20 * repressed, gen).reshape(GENES, CELLS, BINS)
    x[:, :, 5] = (body * (6 * repressed[:, None] * noise()[:, None])).reshape(GENES, CELLS, BINS)
    x[:, :, 3] = peaks(0, tss + 40 * noise() - 20, 5 + 5 * noise(), 10 * noise(), gen).reshape(GENES, CELLS, BINS)
    x = x + torch.rand(x.shape, generator=gen) * 1.5 * (torch.rand(x.shape, generator=gen) < 0.1)
    inputs = torch.log1p(x)
    tpm = torch.expm1(6 * activity) * torch.exp(0.3 * torch.randn(GENES, CELLS, generator=gen))
    targets = torch.log1p(tpm)
    targets[torch.rand(GENES, CELLS, generator=gen) < 0.02] = float("nan")  # a few unmeasured

    cells = [f"cell{i + 1:02d}" for i in range(CELLS)]
    dataset = os.path.join(folder, "demo.dataset.safetensors")
    ref.save_safetensors(dataset, {"inputs": inputs, "targets": targets},
                         {"cell_types": ",".join(cells), "marks": ",".join(MARKS), "bin_size": 100,
                          "window": 10000, "source": "data/make_demo.py"})
    with open(os.path.join(folder, "demo.dataset.genes.tsv"), "w") as f:
        f.write("gene_id\tchrom\ttss\tstrand\n")
        for g in range(GENES):
            f.write(f"DEMO{g + 1:04d}\tchr{g % 22 + 1}\t{1000000 + 100000 * g}\t{'+-'[g % 2]}\n")

    model = ref.PECNN()
    train = torch.tensor([g % 22 + 1 <= 12 for g in range(GENES)])
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(300):
        opt.zero_grad()
        loss = ref.masked_mse(model(inputs[train]), targets[train])
        loss.backward()
        opt.step()
    with torch.no_grad():
        test_loss = ref.masked_mse(model(inputs[~train]), targets[~train]).item()
    print(f"train loss {loss.item():.4f}, held-out loss {test_loss:.4f}")
    ref.save_safetensors(os.path.join(folder, "demo.model.safetensors"), model.state_dict(),
                         ref.model_metadata(MARKS, BINS, 32, 2, 11, (1, 1), "mean"))


if __name__ == "__main__":
    torch.set_num_threads(2)
    make(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
