#!/usr/bin/python3
"""PyTorch reference for causeway's permutation-equivariant CNN, and the fixtures the C++ tests compare with.

The module below is the contract (README.md, "The model"): causeway's model files are this module's
state_dict in safetensors, with the hyperparameters in the metadata. Nothing here is needed at test time;
run it with Debian's python3-torch to remake the fixtures:

    /usr/bin/python3 tests/pecnn/pecnn_reference.py make tests/pecnn/fixtures

and to check that a model written by causeway loads and predicts in PyTorch:

    /usr/bin/python3 tests/pecnn/pecnn_reference.py predict MODEL.safetensors DATASET.safetensors

(prints gene_id, cell_type, prediction; with the `safetensors` package installed,
safetensors.torch.load_file does what load_safetensors does here).
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn


class PECNN(nn.Module):
    def __init__(self, marks=6, bins=200, hidden=32, depth=2, kernel=11, dilations=(1, 1), pooling="mean"):
        super().__init__()
        pad = lambda d: (0, d * (kernel // 2))
        self.equivariant = nn.ModuleList(
            nn.Conv2d(marks if i == 0 else hidden, hidden, (1, kernel), padding=pad(d), dilation=(1, d))
            for i, d in enumerate(dilations[:depth]))
        self.invariant = nn.Conv2d(hidden, hidden, (1, kernel), padding=pad(1))
        self.readout = nn.Conv2d(2 * hidden, 1, (1, bins))
        self.pooling = pooling

    def forward(self, x):                      # x: [G, C, M, L]
        h = x.permute(0, 2, 1, 3)              # [G, M, C, L]: marks are channels, cells the height
        for conv in self.equivariant:
            h = torch.relu(conv(h))            # equivariant: kernel height 1 never mixes cells
        g = torch.relu(self.invariant(h))
        g = g.mean(2, keepdim=True) if self.pooling == "mean" else g.amax(2, keepdim=True)
        z = torch.cat([h, g.expand_as(h)], 1)  # invariant summary tiled back over cells
        return self.readout(z)[:, 0, :, 0]     # [G, C]: log1p(TPM) per cell type


def masked_mse(pred, target):
    known = ~torch.isnan(target)
    return ((pred[known] - target[known]) ** 2).mean()


# --- safetensors without the safetensors package (not in Debian) -------------------------------------------

def save_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        b, e = info["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy().reshape(info["shape"]))
    return tensors, metadata


def model_metadata(marks, bins, hidden, depth, kernel, dilations, pooling):
    return {"architecture": "pecnn", "format": "pt", "marks": ",".join(marks), "bins": bins, "hidden": hidden,
            "depth": depth, "kernel": kernel, "dilations": ",".join(str(d) for d in dilations[:depth]),
            "pooling": pooling}


def load_pecnn(path):
    tensors, meta = load_safetensors(path)
    assert meta["architecture"] == "pecnn"
    model = PECNN(marks=len(meta["marks"].split(",")), bins=int(meta["bins"]), hidden=int(meta["hidden"]),
                  depth=int(meta["depth"]), kernel=int(meta["kernel"]),
                  dilations=tuple(int(d) for d in meta["dilations"].split(",")), pooling=meta["pooling"])
    model.load_state_dict(tensors)
    return model


# --- fixtures -------------------------------------------------------------------------------------------------

CASES = [
    # name, genes, cells, marks, bins, hidden, depth, kernel, dilations, pooling
    ("c1_depth1_mean", 3, 1, 6, 24, 8, 1, 11, (1,), "mean"),
    ("c5_depth3_dilated_max", 2, 5, 4, 40, 20, 3, 5, (1, 2, 4), "max"),
    ("c12_depth2_mean", 2, 12, 6, 32, 32, 2, 11, (1, 1), "mean"),
    ("c12_depth2_max_k3", 2, 12, 6, 16, 40, 2, 3, (2, 1), "max"),
]
MARK_NAMES = ["H3K36me3", "H3K27me3", "H3K27ac", "H3K4me1", "H3K4me3", "H3K9me3"]


def make(folder):
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(20261121)
    for name, genes, cells, marks, bins, hidden, depth, kernel, dilations, pooling in CASES:
        model = PECNN(marks, bins, hidden, depth, kernel, dilations, pooling)
        mark_names = MARK_NAMES[:marks]
        save_safetensors(os.path.join(folder, name + ".model.safetensors"), model.state_dict(),
                         model_metadata(mark_names, bins, hidden, depth, kernel, dilations, pooling))
        # Inputs on the data's scale: log1p of -log10 p, mostly low with a few peaks; a 0 background.
        x = torch.log1p(torch.distributions.Exponential(0.5).sample((genes, cells, marks, bins)))
        x = x * (torch.rand(genes, cells, marks, bins) < 0.6)
        y = torch.randn(genes, cells) * 0.5 + 1.0
        y[0, 0] = float("nan")  # an unknown target, ignored by the loss
        cell_names = [f"cell{i + 1}" for i in range(cells)]
        dataset = os.path.join(folder, name + ".dataset.safetensors")
        save_safetensors(dataset, {"inputs": x, "targets": y},
                         {"cell_types": ",".join(cell_names), "marks": ",".join(mark_names),
                          "bin_size": 100, "window": bins * 50})
        with open(os.path.join(folder, name + ".dataset.genes.tsv"), "w") as f:
            f.write("gene_id\tchrom\ttss\tstrand\n")
            for g in range(genes):
                f.write(f"GENE{g + 1}\tchr{g % 22 + 1}\t{1000000 + 5000 * g}\t{'+-'[g % 2]}\n")
        xg = x.clone().requires_grad_(True)
        pred = model(xg)
        loss = masked_mse(pred, y)
        model.zero_grad()
        loss.backward()
        expected = {"predictions": pred.detach(), "loss": loss.detach().reshape(1), "grad.inputs": xg.grad}
        for pname, p in model.named_parameters():
            expected["grad." + pname] = p.grad
        save_safetensors(os.path.join(folder, name + ".expected.safetensors"), expected, {"case": name})
        # What `causeway predict` should print, for the CLI's golden test.
        with open(os.path.join(folder, name + ".predictions.tsv"), "w") as f:
            f.write("gene_id\tchrom\tcell_type\tpredicted\tobserved\n")
            for g in range(genes):
                for c in range(cells):
                    obs = "NA" if torch.isnan(y[g, c]) else f"{y[g, c].item():.9g}"
                    f.write(f"GENE{g + 1}\tchr{g % 22 + 1}\t{cell_names[c]}\t{pred[g, c].item():.9g}\t{obs}\n")
        print(f"{name}: loss {loss.item():.6f}")


def predict(model_path, dataset_path):
    model = load_pecnn(model_path)
    tensors, meta = load_safetensors(dataset_path)
    cells = meta["cell_types"].split(",")
    genes_tsv = dataset_path[:-len(".safetensors")] + ".genes.tsv"
    gene_ids = [line.split("\t")[0] for line in open(genes_tsv).read().splitlines()[1:]]
    with torch.no_grad():
        pred = model(tensors["inputs"])
    for g, gene in enumerate(gene_ids):
        for c, cell in enumerate(cells):
            print(f"{gene}\t{cell}\t{pred[g, c].item():.9g}")


if __name__ == "__main__":
    torch.set_num_threads(2)
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "predict":
        predict(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
