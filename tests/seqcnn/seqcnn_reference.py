#!/usr/bin/python3
"""PyTorch reference for causeway's sequence CNN (architecture "seqcnn"), and the fixtures the C++ tests
compare with.

The module below is the contract: a seqcnn model file is this module's state_dict in safetensors, with the
hyperparameters in the metadata (see model_metadata). Nothing here is needed at test time; run it with
Debian's python3-torch to remake the fixtures:

    /usr/bin/python3 tests/seqcnn/seqcnn_reference.py make tests/seqcnn/fixtures

and to check from_kipoi_deepsea against Kipoi's DeepSEA architecture (random weights in Kipoi's layout,
predictions compared with and without the reverse-complement average):

    /usr/bin/python3 tests/seqcnn/seqcnn_reference.py check-kipoi

Expected outputs are computed in float64 from the float32 parameters, so a test's tolerance measures
causeway's own rounding only. The full-size DeepSEA case is too large to commit (210 MB of weights): its
parameters, sequences and masks come from the counter-based generator below, which causeway's
seqcnn_init / seqcnn_uniform reproduce bit for bit in C++, and only its expected probabilities are
committed.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pecnn"))
from pecnn_reference import load_safetensors, save_safetensors  # noqa: E402


class SeqCNN(nn.Module):
    """One-hot [B, 4, L] (A, C, G, T) -> task probabilities [B, T].

    Conv blocks: Conv1d -> activation -> max-pool (kernel = stride = pool; 1 = none) -> dropout.
    Flatten channel-major; dense layers: Linear -> activation -> dropout, the last Linear -> sigmoid.
    """

    def __init__(self, sequence_length, conv_channels, kernels, pools, dense_units, conv_dropout, dense_dropout,
                 activation="threshold", padding="valid"):
        super().__init__()
        assert activation in ("relu", "threshold") and padding in ("valid", "same")
        self.conv = nn.ModuleList(
            nn.Conv1d(4 if i == 0 else conv_channels[i - 1], c, k, padding=0 if padding == "valid" else "same")
            for i, (c, k) in enumerate(zip(conv_channels, kernels)))
        length = sequence_length
        for k, p in zip(kernels, pools):
            length = (length - k + 1 if padding == "valid" else length) // p
        self.flatten_size = conv_channels[-1] * length
        self.dense = nn.ModuleList(
            nn.Linear(self.flatten_size if j == 0 else dense_units[j - 1], u) for j, u in enumerate(dense_units))
        self.sequence_length, self.pools, self.activation, self.padding = sequence_length, pools, activation, padding
        self.conv_dropout, self.dense_dropout = list(conv_dropout), list(dense_dropout)

    def act(self, h):
        # DeepSEA's nn.Threshold(0, 1e-6): values <= 0 become 1e-6.
        return torch.relu(h) if self.activation == "relu" else F.threshold(h, 0.0, 1e-6)

    def forward(self, x, masks=None):
        """masks: None (dropout as the module's mode says) or one keep tensor (0/1) per dropout site, conv
        blocks then dense layers but the last, broadcastable to the site's activations, or None for a site
        left alone: inverted dropout, a kept unit scaled by 1 / (1 - p)."""
        sites = iter(masks) if masks is not None else None

        def dropout(h, p):
            if sites is None:
                return F.dropout(h, p, self.training)
            keep = next(sites)
            return h if keep is None else h * keep / (1 - p)

        h = x
        for conv, pool, p in zip(self.conv, self.pools, self.conv_dropout):
            h = self.act(conv(h))
            if pool > 1:
                h = F.max_pool1d(h, pool)
            h = dropout(h, p)
        h = h.flatten(1)  # channel-major, as view(B, -1)
        for j, dense in enumerate(self.dense):
            h = dense(h)
            if j + 1 < len(self.dense):
                h = dropout(self.act(h), self.dense_dropout[j])
        return torch.sigmoid(h)


def model_metadata(model, tasks):
    return {"architecture": "seqcnn", "format": "pt", "sequence_length": model.sequence_length,
            "activation": model.activation, "padding": model.padding,
            "pool": ",".join(str(p) for p in model.pools),
            "conv_dropout": ",".join(str(p) for p in model.conv_dropout),
            "dense_dropout": ",".join(str(p) for p in model.dense_dropout), "tasks": ",".join(tasks)}


def load_seqcnn(path):
    tensors, meta = load_safetensors(path)
    assert meta["architecture"] == "seqcnn"
    blocks = len(meta["pool"].split(","))
    layers = sum(1 for name in tensors if name.startswith("dense.") and name.endswith(".weight"))

    def per_layer(key, n):
        values = [float(v) for v in meta[key].split(",") if v]
        return values * n if len(values) == 1 else values

    model = SeqCNN(int(meta["sequence_length"]), [tensors[f"conv.{i}.weight"].shape[0] for i in range(blocks)],
                   [tensors[f"conv.{i}.weight"].shape[2] for i in range(blocks)],
                   [1 if p == "none" else int(p) for p in meta["pool"].split(",")],
                   [tensors[f"dense.{j}.weight"].shape[0] for j in range(layers)],
                   per_layer("conv_dropout", blocks), per_layer("dense_dropout", layers - 1),
                   meta["activation"], meta.get("padding", "valid"))
    model.load_state_dict(tensors)
    return model, meta["tasks"].split(",")


# --- Kipoi's DeepSEA (DeepSEA/predict or DeepSEA/variantEffects) -> a seqcnn file -----------------------------

def from_kipoi_deepsea(state_dict, tasks, prefix="2."):
    """Kipoi's DeepSEA/predict state_dict (Sequential(ReCodeAlphabet, ConcatenateRC, deepsea_cpu,
    AverageRC); prefix "2.", or "1." for DeepSEA/variantEffects) -> (seqcnn state_dict, metadata). Kipoi's
    Conv2d weights [out, in, 1, k] lose the unit axis; its input channels are in A, G, C, T order (its
    ReCodeAlphabet swaps C and G of the A, C, G, T one-hot), so C and G swap back here. Its forward/reverse
    complement average is not part of the model: causeway's --reverse-complement does it."""
    order = [0, 2, 1, 3]  # seqcnn channel c (A, C, G, T) <- Kipoi channel order[c] (A, G, C, T)
    sd = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
    out = {}
    for i, key in enumerate(["0", "4", "8"]):
        w = sd[key + ".weight"][:, :, 0, :]
        out[f"conv.{i}.weight"] = w[:, order, :] if i == 0 else w
        out[f"conv.{i}.bias"] = sd[key + ".bias"]
    for j, key in enumerate(["12.1", "14.1"]):
        out[f"dense.{j}.weight"], out[f"dense.{j}.bias"] = sd[key + ".weight"], sd[key + ".bias"]
    meta = {"architecture": "seqcnn", "format": "pt", "sequence_length": 1000, "activation": "threshold",
            "padding": "valid", "pool": "4,4,1", "conv_dropout": "0.2,0.2,0.5", "dense_dropout": "0",
            "tasks": ",".join(tasks)}
    return out, meta


def kipoi_deepsea_architecture(tasks=919):
    """Kipoi's deepsea_cpu Sequential (DeepSEA/model_architecture.py), its Lambda reshapes written as
    modules with the same state_dict names."""
    class Flatten(nn.Module):
        def forward(self, x):
            return x.view(x.size(0), -1)

    return nn.Sequential(
        nn.Conv2d(4, 320, (1, 8)), nn.Threshold(0, 1e-06), nn.MaxPool2d((1, 4), (1, 4)), nn.Dropout(0.2),
        nn.Conv2d(320, 480, (1, 8)), nn.Threshold(0, 1e-06), nn.MaxPool2d((1, 4), (1, 4)), nn.Dropout(0.2),
        nn.Conv2d(480, 960, (1, 8)), nn.Threshold(0, 1e-06), nn.Dropout(0.5), Flatten(),
        nn.Sequential(nn.Identity(), nn.Linear(50880, 925)), nn.Threshold(0, 1e-06),
        nn.Sequential(nn.Identity(), nn.Linear(925, tasks)), nn.Sigmoid())


def check_kipoi():
    torch.manual_seed(1)
    deepsea_cpu = kipoi_deepsea_architecture().eval()
    state = {"2." + k: v for k, v in deepsea_cpu.state_dict().items()}  # as in DeepSEA/predict
    tensors, meta = from_kipoi_deepsea(state, [f"t{i}" for i in range(919)])
    model = SeqCNN(1000, [320, 480, 960], [8, 8, 8], [4, 4, 1], [925, 919], [0.2, 0.2, 0.5], [0.0]).eval()
    model.load_state_dict(tensors)
    x = F.one_hot(torch.randint(0, 4, (3, 1000)), 4).permute(0, 2, 1).float()  # A, C, G, T
    with torch.no_grad():
        agct = x[:, [0, 2, 1, 3]]                                  # Kipoi's ReCodeAlphabet
        kipoi_forward = deepsea_cpu(agct[:, :, None, :])
        kipoi_rc = deepsea_cpu(agct.flip(1).flip(2)[:, :, None, :])  # Kipoi's ConcatenateRC
        ours = model(x)
        ours_rc = model(x.flip(1).flip(2))                         # A, C, G, T: complement = reversed channels
    print("forward max |difference|:", (kipoi_forward - ours).abs().max().item())
    print("averaged with the reverse complement:", ((kipoi_forward + kipoi_rc) / 2 - (ours + ours_rc) / 2).abs().max().item())


# --- the counter-based generator shared with C++ (runtime/seqcnn_model.cpp) ---------------------------------

U64 = np.uint64


def splitmix64(z):
    with np.errstate(over="ignore"):
        z = np.asarray(z, dtype=U64) + U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> U64(30))) * U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> U64(27))) * U64(0x94D049BB133111EB)
        return z ^ (z >> U64(31))


def stream_key(seed, stream):
    return splitmix64(U64(seed) ^ splitmix64(U64(stream)))


def uniform(key, count, chunk=1 << 22):
    out = np.empty(count, dtype=np.float64)
    for start in range(0, count, chunk):
        idx = np.arange(start, min(count, start + chunk), dtype=U64)
        with np.errstate(over="ignore"):
            out[start:start + len(idx)] = (splitmix64(key + idx) >> U64(11)).astype(np.float64) * 2.0 ** -53
    return out


def counter_init(model, seed):
    """causeway's seqcnn_init: PyTorch's default bounds, stream t for the t-th state_dict tensor."""
    names = list(model.state_dict().keys())
    with torch.no_grad():
        for t, name in enumerate(names):
            weight = model.state_dict()[names[t & ~1]]
            bound = 1.0 / np.sqrt(float(weight[0].numel()))
            tensor = model.state_dict()[name]
            values = ((2 * uniform(stream_key(seed, t), tensor.numel()) - 1) * bound).astype(np.float32)
            tensor.copy_(torch.from_numpy(values.reshape(tensor.shape)))


def counter_sequences(seed, batch, length):
    """One-hot [batch, 4, length]: base floor(4 u) of stream s for sequence s."""
    x = np.zeros((batch, 4, length), dtype=np.float32)
    for s in range(batch):
        bases = np.floor(4 * uniform(stream_key(seed, s), length)).astype(int)
        x[s, bases, np.arange(length)] = 1
    return torch.from_numpy(x)


def counter_keep(seed, sample, site, shape, p):
    """causeway's seqcnn_dropout_keep: element e of site `site` under MC sample `sample` is kept when
    u >= p, u from stream (sample << 8) + site."""
    u = uniform(stream_key(seed, (sample << 8) + site), int(np.prod(shape)))
    return torch.from_numpy((u >= p).astype(np.float64).reshape(shape))


# --- fixtures -------------------------------------------------------------------------------------------------

CASES = [
    # name, L, conv channels, kernels, pools, dense units, conv dropout, dense dropout, activation, padding
    ("deepsea_ratio", 200, [32, 48, 96], [8, 8, 8], [4, 4, 1], [64, 16], [0.2, 0.2, 0.5], [0.0], "threshold",
     "valid"),
    ("relu_same_dense3", 37, [12, 20, 7], [5, 4, 3], [2, 1, 3], [16, 8, 5], [0.1, 0.3, 0.25], [0.5, 0.2], "relu",
     "same"),
    ("threshold_one_block", 20, [5], [6], [1], [3], [0.3], [], "threshold", "valid"),
    ("relu_pool5", 64, [40, 33], [9, 2], [5, 2], [10, 4], [0.2, 0.4], [0.3], "relu", "valid"),
]
BATCH = 5
DEEPSEA_SEED, DEEPSEA_SEQUENCE_SEED, DEEPSEA_MASK_SEED, DEEPSEA_BATCH = 6, 7, 8, 2


def site_shapes(model, batch):
    """Shapes of each dropout site's activations for a batch, in forward order."""
    shapes, length = [], model.sequence_length
    for conv, pool in zip(model.conv, model.pools):
        k = conv.kernel_size[0]
        length = (length - k + 1 if model.padding == "valid" else length) // pool
        shapes.append((batch, conv.out_channels, length))
    shapes += [(batch, d.out_features) for d in list(model.dense)[:-1]]
    return shapes


def make(folder):
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(20261206)
    for name, length, channels, kernels, pools, units, conv_p, dense_p, activation, padding in CASES:
        model = SeqCNN(length, channels, kernels, pools, units, conv_p, dense_p, activation, padding)
        with torch.no_grad():  # wider than PyTorch's default so that the probabilities spread over (0, 1)
            for p in model.parameters():
                p.mul_(2.5)
        tasks = [f"cell{t % 3}|factor{t}" for t in range(units[-1])]
        save_safetensors(os.path.join(folder, name + ".model.safetensors"), model.state_dict(),
                         model_metadata(model, tasks))
        x = F.one_hot(torch.randint(0, 4, (BATCH, length)), 4).permute(0, 2, 1).float()
        x[1, :, 3] = 0  # an N
        rates = list(conv_p) + list(dense_p)
        masks = [(torch.rand(shape) >= p).double() if p > 0 else None
                 for shape, p in zip(site_shapes(model, BATCH), rates)]
        m64 = model.double().eval()
        x64 = x.double()
        with torch.no_grad():
            expected = {"inputs": x, "probabilities": m64(x64), "probabilities.masked": m64(x64, masks),
                        "probabilities.shared_mask": m64(x64, [m[:1] if m is not None else None for m in masks])}
        for i, m in enumerate(masks):
            if m is not None:
                expected[f"mask.{i}"] = m
        save_safetensors(os.path.join(folder, name + ".expected.safetensors"), expected, {"case": name})
        print(f"{name}: probabilities {expected['probabilities'].min():.4f}..{expected['probabilities'].max():.4f}")

    tasks = [f"task{t}" for t in range(919)]
    model = SeqCNN(1000, [320, 480, 960], [8, 8, 8], [4, 4, 1], [925, 919], [0.2, 0.2, 0.5], [0.0])
    counter_init(model, DEEPSEA_SEED)
    x = counter_sequences(DEEPSEA_SEQUENCE_SEED, DEEPSEA_BATCH, 1000).double()
    # Sequence s under MC sample s; the dense site has p = 0 and no mask.
    masks = [torch.cat([counter_keep(DEEPSEA_MASK_SEED, s, site, shape[1:], model.conv_dropout[site])[None]
                        for s in range(DEEPSEA_BATCH)]) for site, shape in
             enumerate(site_shapes(model, DEEPSEA_BATCH)[:3])] + [None]
    m64 = model.double().eval()
    with torch.no_grad():
        expected = {"probabilities": m64(x), "probabilities.masked": m64(x, masks)}
    save_safetensors(os.path.join(folder, "deepsea_full.expected.safetensors"), expected,
                     {"case": "deepsea_full", "model_seed": DEEPSEA_SEED, "sequence_seed": DEEPSEA_SEQUENCE_SEED,
                      "mask_seed": DEEPSEA_MASK_SEED})
    print(f"deepsea_full: probabilities {expected['probabilities'].min():.4f}..{expected['probabilities'].max():.4f}")


if __name__ == "__main__":
    torch.set_num_threads(2)
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "check-kipoi":
        check_kipoi()
    else:
        sys.exit(__doc__)
