#!/usr/bin/python3
"""Fixtures for tests/study: torch.optim.Adam and a few PyTorch training steps of the PECNN, which
causeway's compiled Adam and training step must reproduce. Nothing here runs at test time; remake them with
Debian's python3-torch:

    /usr/bin/python3 tests/study/make_fixtures.py tests/study/fixtures
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pecnn"))
import pecnn_reference as ref  # noqa: E402


def make_adam(folder):
    """A flat parameter vector through five Adam steps with PyTorch's defaults, the learning rate changed
    between steps as a schedule would; gradients of every magnitude, exact zeros and sign flips."""
    n = 1000
    p = torch.randn(n) * torch.logspace(-3, 1, n)
    start = p.clone()
    param = torch.nn.Parameter(p)
    opt = torch.optim.Adam([param], lr=1e-2)
    lrs = [1e-2, 1e-2, 1e-2, 5e-3, 2.5e-3]
    grads, after = [], []
    for step, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        g = torch.randn(n) * torch.logspace(-6, 2, n)[torch.randperm(n)]
        g[::17] = 0.0
        if step == 2:
            g = -g
        param.grad = g.clone()
        opt.step()
        grads.append(g)
        after.append(param.detach().clone())
    state = opt.state[param]
    ref.save_safetensors(os.path.join(folder, "adam.safetensors"), {
        "start": start, "gradients": torch.stack(grads), "lrs": torch.tensor(lrs),
        "parameters": torch.stack(after), "exp_avg": state["exp_avg"], "exp_avg_sq": state["exp_avg_sq"]},
        {"torch": torch.__version__, "steps": len(lrs)})


def make_training(folder):
    """A tiny PECNN trained for eight full-batch steps of Adam (lr 3e-3) on a fixed batch with unknown
    targets: the loss before each step and the parameters after the last."""
    marks, bins, hidden, depth, kernel, dilations, pooling = 3, 24, 8, 2, 5, (1, 2), "mean"
    model = ref.PECNN(marks, bins, hidden, depth, kernel, dilations, pooling)
    names = ["H3K27ac", "H3K4me3", "H3K27me3"]
    ref.save_safetensors(os.path.join(folder, "training.model.safetensors"), model.state_dict(),
                         ref.model_metadata(names, bins, hidden, depth, kernel, dilations, pooling))
    genes, cells = 6, 4
    x = torch.log1p(torch.distributions.Exponential(0.5).sample((genes, cells, marks, bins)))
    x = x * (torch.rand(genes, cells, marks, bins) < 0.6)
    y = torch.randn(genes, cells) * 0.5 + 1.5
    y[0, 1] = float("nan")
    y[3, 0] = float("nan")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(8):
        opt.zero_grad()
        loss = ref.masked_mse(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    expected = {"inputs": x, "targets": y, "losses": torch.tensor(losses)}
    for name, t in model.state_dict().items():
        expected["final." + name] = t
    ref.save_safetensors(os.path.join(folder, "training.expected.safetensors"), expected,
                         {"torch": torch.__version__, "steps": 8, "lr": 3e-3})
    print("training losses", " ".join(f"{v:.6f}" for v in losses))


if __name__ == "__main__":
    torch.set_num_threads(1)
    torch.manual_seed(20261122)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
    os.makedirs(out, exist_ok=True)
    make_adam(out)
    make_training(out)
