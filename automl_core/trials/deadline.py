"""The one deadline of a run: made once at the call, passed down unchanged.

A time budget becomes a :class:`Deadline` where the user's call begins (``ac.run``, ``ac.tune``,
an estimator's ``fit``) or, on resume, from the journal (the budget less what earlier processes
used). Everything below reads it; nothing turns it back into a duration and rebuilds it.
"""

from __future__ import annotations

import math
import time

__all__ = ["Deadline"]


class Deadline:
    """A point on ``time.perf_counter()``'s clock, or none (no time budget).

    ``budget_s`` is the whole budget, ``spent_s`` what earlier processes of the same experiment
    used before this one started (resume), ``started`` the ``perf_counter()`` at the call.
    """

    def __init__(
        self, budget_s: float | None, started: float | None = None, spent_s: float = 0.0
    ) -> None:
        self.budget_s = budget_s
        self.started = time.perf_counter() if started is None else started
        self.spent_s = spent_s
        self.at = None if budget_s is None else self.started + max(0.0, budget_s - spent_s)

    def __repr__(self) -> str:
        return f"Deadline(budget_s={self.budget_s}, spent_s={self.spent_s:.2f}, left={self.left():.2f})"

    @property
    def bounded(self) -> bool:
        return self.at is not None

    def left(self, now: float | None = None) -> float:
        """Seconds left (``inf`` without a budget; never negative)."""
        if self.at is None:
            return math.inf
        return max(0.0, self.at - (time.perf_counter() if now is None else now))

    def expired(self) -> bool:
        return self.at is not None and time.perf_counter() >= self.at

    def elapsed_s(self) -> float:
        """Seconds of the budget used so far, earlier processes included."""
        return self.spent_s + time.perf_counter() - self.started
