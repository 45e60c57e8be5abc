"""Random search: every active dim sampled independently (log dims log-uniformly)."""

from __future__ import annotations

import math
from typing import Any

from ..space import Choice, Dim, Float, SearchSpace
from .base import Outcome, Strategy

__all__ = ["RandomStrategy", "sample_point"]


def _sample_dim(d: Dim, rng) -> Any:
    dom = d.domain
    if isinstance(dom, Choice):
        return dom.values[int(rng.integers(len(dom.values)))]
    if isinstance(dom, Float):
        if dom.log:
            return float(math.exp(rng.uniform(math.log(dom.low), math.log(dom.high))))
        return float(rng.uniform(dom.low, dom.high))
    if dom.log:
        # log-uniform over the integers: sample in log space over [low-0.5, high+0.5)
        lo, hi = math.log(max(dom.low - 0.5, 1e-12)), math.log(dom.high + 0.5)
        return int(min(dom.high, max(dom.low, round(math.exp(rng.uniform(lo, hi))))))
    return int(rng.integers(dom.low, dom.high + 1))


def sample_point(space: SearchSpace, rng) -> dict[str, Any]:
    """One random point of ``space`` (active dims only), drawn from ``rng``."""
    point: dict[str, Any] = {}
    for d in space.dims:
        if space.is_active(d, point):
            point[d.name] = _sample_dim(d, rng)
    return point


class RandomStrategy(Strategy):
    """Independent random sampling; ignores outcomes."""

    def ask(self, trial_id: str) -> dict[str, Any] | None:
        return sample_point(self.space, self.rng)

    def tell(self, trial_id: str, outcome: Outcome) -> None:
        pass
