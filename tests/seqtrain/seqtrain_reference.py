#!/usr/bin/python3
"""PyTorch reference for causeway train-seq's gradients and Adam steps (tests/seqtrain/test_seqtrain.cpp runs
it with Debian's /usr/bin/python3 and python3-torch; the test skips when torch is absent).

    seqtrain_reference.py gradients MODEL BATCH OUT
        BATCH: one_hot [B, 4, L], labels [B, T], and keep.{site} [B, size] (0/1) for the dropout sites that
        have a mask. OUT: loss [1] and grad.{name} per parameter: BCEWithLogitsLoss (mean) of the module's
        logits, its gradient by autograd, in float64 from the float32 parameters.
    seqtrain_reference.py adam MODEL BATCH STEPS LR OUT
        STEPS torch.optim.Adam steps (float32, as causeway) on the same batch and masks; OUT: the parameters.
    seqtrain_reference.py jobs FILE
        Each line of FILE is one of the above without the script name (torch is imported once).

The module is tests/seqcnn/seqcnn_reference.py's SeqCNN, whose forward ends in a sigmoid; the logits are
taken here by running it without that last sigmoid.
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "seqcnn"))
from seqcnn_reference import load_seqcnn  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pecnn"))
from pecnn_reference import load_safetensors, save_safetensors  # noqa: E402


def logits(model, x, masks):
    """SeqCNN.forward without its final sigmoid: torch.logit would lose precision where p saturates."""
    sites = iter(masks)

    def dropout(h, p):
        keep = next(sites)
        return h if keep is None else h * keep / (1 - p)

    h = x
    for conv, pool, p in zip(model.conv, model.pools, model.conv_dropout):
        h = model.act(conv(h))
        if pool > 1:
            h = F.max_pool1d(h, pool)
        h = dropout(h, p)
    h = h.flatten(1)
    for j, dense in enumerate(model.dense):
        h = dense(h)
        if j + 1 < len(model.dense):
            h = dropout(model.act(h), model.dense_dropout[j])
    return h


def site_masks(model, batch, dtype):
    """keep.{site} [B, size] -> one [B, C, L'] or [B, units] keep tensor per site (None where absent)."""
    x = batch["one_hot"]
    shapes = []
    h = x
    with torch.no_grad():
        for conv, pool in zip(model.conv, model.pools):
            h = conv(h.to(conv.weight.dtype))
            if pool > 1:
                h = F.max_pool1d(h, pool)
            shapes.append(tuple(h.shape[1:]))
    shapes += [(d.out_features,) for d in model.dense[:-1]]
    masks = []
    for site, shape in enumerate(shapes):
        keep = batch.get(f"keep.{site}")
        masks.append(None if keep is None else keep.reshape((keep.shape[0],) + shape).to(dtype))
    return masks


def gradients(model_path, batch_path, out_path):
    model, _ = load_seqcnn(model_path)
    model = model.double()
    batch, _ = load_safetensors(batch_path)
    x, y = batch["one_hot"].double(), batch["labels"].double()
    masks = site_masks(model, batch, torch.float64)
    loss = F.binary_cross_entropy_with_logits(logits(model, x, masks), y)
    loss.backward()
    out = {"loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad
    save_safetensors(out_path, out, {})


def adam(model_path, batch_path, steps, lr, out_path):
    model, _ = load_seqcnn(model_path)
    batch, _ = load_safetensors(batch_path)
    x, y = batch["one_hot"], batch["labels"]
    masks = site_masks(model, batch, torch.float32)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        F.binary_cross_entropy_with_logits(logits(model, x, masks), y).backward()
        optimizer.step()
    save_safetensors(out_path, dict(model.state_dict()), {})


def run(args):
    if args[0] == "gradients" and len(args) == 4:
        gradients(*args[1:4])
    elif args[0] == "adam" and len(args) == 6:
        adam(args[1], args[2], int(args[3]), float(args[4]), args[5])
    elif args[0] == "jobs" and len(args) == 2:
        with open(args[1]) as f:
            for line in f:
                if line.strip():
                    run(line.split())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    torch.set_num_threads(1)
    run(sys.argv[1:])
