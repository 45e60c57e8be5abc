"""Grid search over the conditional space: every branch of the model choice gets its own grid."""

from __future__ import annotations

from typing import Any

from ..space import Dim, Float, Int, SearchSpace
from .base import Outcome, Strategy

__all__ = ["GridStrategy", "grid_values", "enumerate_grid"]


def grid_values(d: Dim) -> list[Any]:
    """The grid points of one dim; ``ValueError`` naming the dim when it has none."""
    values = d.domain.grid()
    if values is None:
        if isinstance(d.domain, Float):
            raise ValueError(
                f"{d.name}: a grid over the continuous range [{d.domain.low}, {d.domain.high}] "
                "needs grid_points (or use a choice of values)"
            )
        if isinstance(d.domain, Int):
            raise ValueError(
                f"{d.name}: the int range [{d.domain.low}, {d.domain.high}] has more than 16 "
                "values; give grid_points"
            )
    return values


def enumerate_grid(space: SearchSpace) -> list[dict[str, Any]]:
    """All grid points, depth-first over dims in order (inactive dims are skipped)."""
    points: list[dict[str, Any]] = [{}]
    for d in space.dims:
        values = None
        expanded = []
        for p in points:
            if space.is_active(d, p):
                values = values if values is not None else grid_values(d)
                expanded.extend({**p, d.name: v} for v in values)
            else:
                expanded.append(p)
        points = expanded
    return points


class GridStrategy(Strategy):
    """Hands out the grid in order; ``ask`` returns None once every point was handed out."""

    def __init__(self, space: SearchSpace, mode="max", seed: int = 0):
        super().__init__(space, mode, seed)
        self._points = enumerate_grid(space)
        self._next = 0

    def __len__(self) -> int:
        return len(self._points)

    def ask(self, trial_id: str) -> dict[str, Any] | None:
        if self._next >= len(self._points):
            return None
        point = self._points[self._next]
        self._next += 1
        return dict(point)

    def tell(self, trial_id: str, outcome: Outcome) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "next": self._next}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._next = state["next"]
