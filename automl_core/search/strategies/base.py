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
    """What a trial gave back: its score (None when it failed), its status, and how far it got.

    ``value`` is the searched metric at the end of the trial. For a trial the scheduler stopped
    (status ``"stopped early"``) it is the last score the trial reported, at epoch ``fidelity``:
    information about the configuration at a lower budget, not a failure.

    ``fidelity`` is the epoch (or rung) the trial reached when it ended, its last reported
    epoch; None when the objective reports no epochs. ``curve`` maps every epoch the trial
    reported to the searched metric there (empty when none), so a trial that ran to the end
    also gives its scores at the intermediate rungs. Both default to "none", so a strategy (or
    a test) that builds ``Outcome(score)`` or ``Outcome(None, "failed")`` works as before.

    - :attr:`ok`: finished normally with a finite score (unchanged meaning);
    - :attr:`usable`: has a finite score worth learning from, either ``ok`` or stopped early;
    - :meth:`scores`: every (epoch, score) the trial gave, for fidelity-aware strategies.
    """

    value: float | None
    status: str = "ok"  # ok | failed | timeout | oom | stopped early | ...
    metrics: Mapping[str, Any] = field(default_factory=dict)
    fidelity: float | None = None
    curve: Mapping[float, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and _finite(self.value)

    @property
    def stopped_early(self) -> bool:
        return self.status == "stopped early"

    @property
    def usable(self) -> bool:
        """A finite score to learn from: finished ``ok``, or stopped early at ``fidelity``."""
        return self.status in ("ok", "stopped early") and _finite(self.value)

    def scores(self) -> dict[float, float]:
        """Finite scores by epoch: ``curve`` plus ``value`` at ``fidelity`` when usable.

        Empty when the trial reported no epochs (``fidelity`` None and no curve): such a trial
        is one full-budget result, which strategies read from ``value``.
        """
        out = {float(k): float(v) for k, v in self.curve.items() if _finite(v)}
        if self.usable and self.fidelity is not None:
            out[float(self.fidelity)] = float(self.value)
        return dict(sorted(out.items()))


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float, np.number)) and math.isfinite(v)


class Strategy(ABC):
    """Base class of every search strategy.

    Subclasses implement :meth:`ask` and :meth:`tell`, and :meth:`state_dict` /
    :meth:`load_state_dict` for resume. ``self.mode`` is the user's direction; use
    :meth:`loss` to work on a quantity to minimise. Randomness must come from ``self.rng``
    (seeded), so the same seed gives the same suggestions.

    With a scheduler (ASHA, HyperBand) most outcomes are ``"stopped early"`` with a score at a
    lower ``fidelity``: a strategy that reads only ``outcome.ok`` treats them as failures; a
    model-based one can learn from them with :mod:`automl_core.search.strategies.fidelity`.
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
