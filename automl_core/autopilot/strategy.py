"""The autopilot's ask/tell strategy: the portfolio first, then a search around the best.

After the known-good configurations, most asks perturb one of the best configurations found so
far (a few dims moved in the unit cube, steps shrinking as trials accumulate: the cheap local
search FLAML's CFO showed works on tables, with no model to fit per ask), and the rest sample the
space at random, weighted towards the models that did best, so a model the portfolio ranked low
still gets a chance. Every suggestion costs well under a millisecond, so the driver never keeps a
worker waiting.
"""

from __future__ import annotations

import math
from typing import Any

from ..search.space import Choice, SearchSpace
from ..search.strategies.base import Outcome, Strategy
from ..search.strategies.random_search import sample_point

__all__ = ["PortfolioStrategy", "portfolio_point"]

#: share of asks after the portfolio that sample at random (the rest refine the best)
EXPLORE_SHARE = 0.3
#: how many of the best configurations the local search starts from
TOP_K = 3


def portfolio_point(space: SearchSpace, label: str, values: dict[str, Any]) -> dict[str, Any]:
    """The point of ``space`` for model ``label`` with ``values``; fields left out take the
    middle of their range; values outside a range are clipped into it."""
    point: dict[str, Any] = {}
    if "model" in space.names:
        point["model"] = label
    for d in space.dims:
        if d.name == "model" or not space.is_active(d, point):
            continue
        prefix = f"{label}."
        if d.name.startswith(prefix):
            field = d.name[len(prefix) :]
            if field in values:
                v = values[field]
                if not isinstance(d.domain, Choice):
                    v = space.from_unit(d, space.to_unit(d, v))
                point[d.name] = v
                continue
        point[d.name] = space.from_unit(d, 0.5)
    space.check_point(point)
    return point


class PortfolioStrategy(Strategy):
    """Ask the ``starts`` points in order, then search around the best of what came back."""

    def __init__(self, space: SearchSpace, mode="max", seed: int = 0, starts=()):
        super().__init__(space, mode, seed)
        self.starts = [dict(p) for p in starts]
        self.asked: dict[str, dict[str, Any]] = {}
        self.results: list[tuple[float, dict[str, Any]]] = []  # (loss, point) of ok trials
        self.failed_models: dict[str, int] = {}
        self._seen: set[tuple] = set()
        self._next_start = 0

    def _key(self, point: dict[str, Any]) -> tuple:
        return tuple(
            sorted((k, round(v, 6) if isinstance(v, float) else v) for k, v in point.items())
        )

    def ask(self, trial_id: str) -> dict[str, Any] | None:
        point = None
        while self._next_start < len(self.starts) and point is None:
            cand = self.starts[self._next_start]
            self._next_start += 1
            if self._key(cand) not in self._seen:
                point = cand
        for _ in range(20):  # a few draws to avoid repeating a point already asked
            if point is not None and self._key(point) not in self._seen:
                break
            point = self._search_point()
        self._seen.add(self._key(point))
        self.asked[trial_id] = point
        return dict(point)

    def tell(self, trial_id: str, outcome: Outcome) -> None:
        point = self.asked.get(trial_id)
        if point is None:
            return
        if outcome.ok:
            self.results.append((self.loss(float(outcome.value)), point))
            self.results.sort(key=lambda r: r[0])
        elif outcome.status != "cancelled":  # stopped by the run's end: says nothing of it
            model = point.get("model", "")
            self.failed_models[model] = self.failed_models.get(model, 0) + 1

    # -- after the portfolio -----------------------------------------------------------------

    def _search_point(self) -> dict[str, Any]:
        if not self.results or self.rng.random() < EXPLORE_SHARE:
            return self._explore()
        k = min(TOP_K, len(self.results))
        # the best configuration gets half the local steps, the next ones share the rest
        weights = [0.5] + [0.5 / (k - 1)] * (k - 1) if k > 1 else [1.0]
        base = self.results[int(self.rng.choice(k, p=weights))][1]
        return self._perturb(base)

    def _model_weights(self) -> tuple[list[Any], list[float]] | None:
        if "model" not in self.space.names:
            return None
        labels = list(self.space.dim("model").domain.values)
        best: dict[Any, int] = {}
        for rank, (_, p) in enumerate(self.results):
            best.setdefault(p.get("model"), rank)
        # rank-based: the best model twice as likely as the next; unseen models stay possible
        w = [
            0.5 ** best.get(m, 3) / (1 + 2 * self.failed_models.get(m, 0) * (m not in best))
            for m in labels
        ]
        total = sum(w)
        return labels, [x / total for x in w]

    def _explore(self) -> dict[str, Any]:
        mw = self._model_weights()
        if mw is None:
            return sample_point(self.space, self.rng)
        labels, probs = mw
        model = labels[int(self.rng.choice(len(labels), p=probs))]
        point = {"model": model}
        for d in self.space.dims:
            if d.name != "model" and self.space.is_active(d, point):
                # uniform in the unit cube: log-uniform on log dims, uniform over choices
                point[d.name] = self.space.from_unit(d, float(self.rng.random()))
        return point

    def _perturb(self, base: dict[str, Any]) -> dict[str, Any]:
        point = dict(base)
        dims = [d for d in self.space.active(base) if d.name != "model"]
        if not dims:
            return self._explore()
        # steps shrink as the number of finished trials grows (coarse first, then fine)
        step = max(0.05, 0.25 / math.sqrt(1 + len(self.results) / 10))
        n_move = max(1, int(self.rng.integers(1, min(3, len(dims)) + 1)))
        for i in self.rng.choice(len(dims), size=n_move, replace=False):
            d = dims[int(i)]
            if isinstance(d.domain, Choice):
                vals = d.domain.values
                point[d.name] = vals[int(self.rng.integers(len(vals)))]
            else:
                u = self.space.to_unit(d, base[d.name]) + float(self.rng.normal(0, step))
                point[d.name] = self.space.from_unit(d, min(1.0, max(0.0, u)))
        return point

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "asked": self.asked,
            "results": self.results,
            "failed_models": self.failed_models,
            "seen": self._seen,
            "next_start": self._next_start,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.asked = state["asked"]
        self.results = state["results"]
        self.failed_models = state["failed_models"]
        self._seen = state["seen"]
        self._next_start = state["next_start"]
