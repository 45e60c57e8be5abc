"""The pieces of the training loop: optimizer, one epoch, early-stopping bookkeeping.

Kept lean on purpose: a trial's training must run within 10% of a hand-written torch loop
(``benchmarks/bench_torch.py``), so there is no DataLoader (its per-batch overhead dominates
small networks on CPU), no per-batch host sync (losses add up on the device and are read once
per epoch), and mini-batches are slices of one tensor already on the device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .device import autocast

__all__ = ["penalized", "make_optimizer", "criterion", "train_epoch", "EarlyStopper"]

OPTIMIZERS = ("adam", "adamw", "sgd")


def penalized(module: nn.Module) -> list[nn.Parameter]:
    """The weights that L1/L2 act on: matrices and kernels, not biases or norm scales."""
    return [p for p in module.parameters() if p.ndim > 1]


def make_optimizer(
    module: nn.Module, name: str, lr: float, weight_decay: float, momentum: float
) -> torch.optim.Optimizer:
    """``weight_decay`` (the l2 regularizer) goes on the weights only (see :func:`penalized`)."""
    if weight_decay == 0:
        groups = [{"params": list(module.parameters())}]  # one group: half the kernel launches
        return _optimizer(name, groups, lr, momentum)
    weights = {id(p) for p in penalized(module)}
    groups = [
        {
            "params": [p for p in module.parameters() if id(p) in weights],
            "weight_decay": weight_decay,
        },
        {"params": [p for p in module.parameters() if id(p) not in weights], "weight_decay": 0.0},
    ]
    return _optimizer(name, [g for g in groups if g["params"]], lr, momentum)


def _optimizer(name: str, groups: list[dict], lr: float, momentum: float):
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=momentum)
    raise ValueError(f"unknown optimizer {name!r} (known: {', '.join(OPTIMIZERS)})")


def criterion(classification: bool):
    """``loss(out, y, reduction="mean")``: cross-entropy for classes, squared error for a
    (standardized) target."""
    if classification:
        return lambda out, yb, reduction="mean": F.cross_entropy(
            out.float(), yb, reduction=reduction
        )
    return lambda out, yb, reduction="mean": F.mse_loss(
        out.squeeze(-1).float(), yb, reduction=reduction
    )


def train_epoch(
    module: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    opt: torch.optim.Optimizer,
    loss_fn,
    *,
    batch_size: int,
    generator: torch.Generator,
    weights: torch.Tensor | None = None,
    l1: float = 0.0,
    amp_dtype: torch.dtype | None = None,
    scaler=None,
    classification: bool = True,
) -> dict[str, float]:
    """One pass over ``X`` in shuffled mini-batches; the mean batch loss (and accuracy).

    ``weights`` (per row, mean 1) weight each row's loss, e.g. class weights.

    The statistics are running means over the epoch's batches, taken in training mode (dropout
    on), the Keras convention: free to compute, and what "train loss" curves usually show.
    """
    module.train()
    n = len(X)
    perm = torch.randperm(n, generator=generator)
    if X.device.type != "cpu":
        perm = perm.to(X.device, non_blocking=True)
    batches = perm.split(batch_size)
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches = batches[:-1]  # batch norm cannot train on a single row
    l1_weights = penalized(module) if l1 > 0 else []
    # per-batch results stay on the device, uncombined: every extra op per batch is a kernel
    # launch, which is what a small network on a GPU is bound by
    losses, preds = [], []
    for idx in batches:
        xb, yb = X[idx], y[idx]
        with autocast(X.device, amp_dtype):
            out = module(xb)
            if weights is None:
                loss = loss_fn(out, yb)
            else:
                loss = (loss_fn(out, yb, "none") * weights[idx]).mean()
        total = loss + l1 * sum(w.abs().sum() for w in l1_weights) if l1_weights else loss
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(total).backward()
            scaler.step(opt)
            scaler.update()
        else:
            total.backward()
            opt.step()
        losses.append(loss.detach())
        if classification:
            preds.append(out.detach().argmax(1))
    seen = sum(len(b) for b in batches)
    sizes = torch.tensor([len(b) for b in batches], dtype=torch.float32, device=X.device)
    stats = {"train_loss": float((torch.stack(losses).float() * sizes).sum()) / max(seen, 1)}
    if classification:
        hits = torch.cat(preds) == y[perm[:seen]]
        stats["train_accuracy"] = float(hits.sum()) / max(seen, 1)
    return stats


@dataclass
class EarlyStopper:
    """Stop when the monitored loss has not improved by more than ``min_delta`` for
    ``patience`` epochs in a row; keep a copy of the best weights."""

    patience: int
    min_delta: float = 0.0
    best: float = math.inf
    best_epoch: int = 0
    waited: int = 0
    best_state: dict | None = field(default=None, repr=False)

    def update(self, epoch: int, loss: float, module: nn.Module) -> bool:
        """Record an epoch's loss; True when training should stop."""
        if loss < self.best - self.min_delta:
            self.best, self.best_epoch, self.waited = loss, epoch, 0
            self.best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
            return False
        self.waited += 1
        return self.waited >= self.patience
