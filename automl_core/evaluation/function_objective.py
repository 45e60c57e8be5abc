"""A user's function as the runner's objective (``ac.tune``).

A module of its own, importing nothing heavy: every Ray worker unpickles this class before its
first trial, and pulling pandas or scikit-learn in for a plain function costs about a second.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["FunctionObjective"]


class FunctionObjective:
    """Adapts a user function ``f(params)`` or ``f(params, report)`` to the runner's protocol."""

    #: what new Ray workers import before the first trial (runner/worker_preload.py)
    worker_preload = "core"

    def __init__(self, fn: Callable, metric: str):
        self.fn = fn
        self.metric = metric
        try:
            n = len(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            n = 1
        self.takes_report = n >= 2

    def __call__(self, params: dict[str, Any], ctx) -> dict[str, Any]:
        metric = self.metric

        def report(epoch: int | None = None, last: bool = False, **metrics: float) -> None:
            if metric in metrics:
                metrics["score"] = metrics[metric]
            ctx.report(epoch, last=last, **metrics)

        out = self.fn(params, report) if self.takes_report else self.fn(params)
        if isinstance(out, Mapping):
            if metric not in out:
                raise KeyError(f"the objective returned {sorted(out)} without {metric!r}")
            res = {f"metric.{k}": v for k, v in out.items() if k != metric}
            res["score"] = out[metric]
            return res
        # a NaN or infinite score is sorted (and named) by the engine's worker side
        return {"score": float(out)}
