"""The ask/tell strategy interface. A strategy never sees Ray.

The runner calls ``ask(trial_id)`` when a worker is free and ``tell(trial_id, outcome)`` when
that trial ends, in any order and with several trials pending at once. Strategies are tested
directly (see :mod:`automl_core.testing`), and one adapter in the runner maps them onto Ray Tune.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..space import SearchSpace

__all__ = ["Strategy", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """What a trial gave back: its score (None when it failed) and its status."""

    value: float | None
    status: str = "ok"  # ok | failed | timeout | stopped early | ...
    metrics: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.value is not None and math.isfinite(self.value)


class Strategy(ABC):
    """Base class of every search strategy.

    Subclasses implement :meth:`ask` and :meth:`tell`, and :meth:`state_dict` /
    :meth:`load_state_dict` for resume. ``self.mode`` is the user's direction; use
    :meth:`loss` to work on a quantity to minimise. Randomness must come from ``self.rng``
    (seeded), so the same seed gives the same suggestions.
    """

    def __init__(self, space: SearchSpace, mode: Literal["min", "max"] = "max", seed: int = 0):
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.space = space
        self.mode = mode
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    @abstractmethod
    def ask(self, trial_id: str) -> dict[str, Any] | None:
        """Return the next point (active dims only), or None when the space is exhausted."""

    @abstractmethod
    def tell(self, trial_id: str, outcome: Outcome) -> None:
        """Record the outcome of a trial handed out by :meth:`ask`."""

    def loss(self, value: float) -> float:
        """``value`` turned into a quantity to minimise."""
        return -value if self.mode == "max" else value

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue after a restart (picklable)."""
        return {"rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.rng.bit_generator.state = state["rng"]
