"""What model-based strategies learn from trials that reported epochs (fidelities).

With a scheduler (ASHA, HyperBand) most trials end ``"stopped early"`` at a low epoch (a
*rung*): their score there is information about the configuration, not a failure. This module
turns :class:`~.base.Outcome` objects into :class:`Seen` records of losses by epoch, and gives
the two views the builtin strategies use:

- :func:`choose_level` / :func:`losses_at`, BOHB-style (Falkner et al., 2018): a model is fitted
  on the scores at one fidelity, the highest one that enough trials reached. ``gp`` and ``tpe``
  (the hyperopt plugin) do this.
- :func:`ranking`: one order over all trials, by how far each got and then by its loss there
  (the order ASHA itself applies; Optuna's TPE ranks pruned trials the same way). ``tpe`` used
  it before it moved to the rule above (the hyperopt plugin's docs say why).

A plugin strategy can use either, or keep reading ``outcome.ok``/``outcome.value`` (a trial
stopped early then counts as failed, as it did before fidelities existed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .base import Outcome

__all__ = ["Seen", "seen", "choose_level", "losses_at", "ranking", "FULL"]

#: the level of a trial that ran to its end ("ok"): above every epoch
FULL = math.inf


@dataclass(frozen=True)
class Seen:
    """One finished trial as a fidelity-aware strategy keeps it; losses: lower is better.

    ``reached``: :data:`FULL` for a trial that finished, the epoch it was stopped at for one
    stopped early (0.0 when it reported no epoch), ``-inf`` for a trial with no usable score
    (failed, timed out, NaN). ``losses``: ``(epoch, loss)`` pairs by ascending epoch; a finished
    trial ends with ``(FULL, final loss)``.
    """

    reached: float
    losses: tuple[tuple[float, float], ...]

    @property
    def failed(self) -> bool:
        return self.reached == -math.inf

    @property
    def has_epochs(self) -> bool:
        """Whether the trial reported any epoch (else it is one full-budget result or a failure)."""
        return any(e != FULL for e, _ in self.losses) or (0.0 <= self.reached < FULL)

    def loss_at(self, level: float) -> float | None:
        """The loss at ``level`` if the trial reached it: the last one reported at an epoch <=
        ``level`` (the first one when it reported none that early); None if it did not get there.
        """
        if self.reached < level or not self.losses:
            return None
        before = [v for e, v in self.losses if e <= level]
        return before[-1] if before else self.losses[0][1]

    @property
    def last_loss(self) -> float | None:
        """The loss where the trial ended (its final loss when it finished)."""
        return self.losses[-1][1] if self.losses and not self.failed else None


def seen(outcome: Outcome, to_loss: Callable[[float], float]) -> Seen:
    """``outcome`` as a :class:`Seen`; ``to_loss`` turns a score into a loss (the strategy's
    :meth:`~.base.Strategy.loss`)."""
    if not outcome.usable:
        return Seen(-math.inf, ())
    curve = {e: to_loss(v) for e, v in outcome.scores().items()}
    if outcome.ok:
        curve[FULL] = to_loss(float(outcome.value))
        return Seen(FULL, tuple(sorted(curve.items())))
    reached = float(outcome.fidelity) if outcome.fidelity is not None else 0.0
    curve.setdefault(reached, to_loss(float(outcome.value)))
    return Seen(reached, tuple(sorted(curve.items())))


def levels(records: Sequence[Seen]) -> list[float]:
    """Candidate fidelities, ascending: every epoch a trial was stopped at, and :data:`FULL`."""
    return sorted({r.reached for r in records if not r.failed} | {FULL})


def choose_level(records: Sequence[Seen], min_points: int) -> float:
    """The fidelity to model: the highest one that at least ``min_points`` trials reached.

    When none has that many, the one most trials reached (the higher one on a tie), so a
    strategy can still start modelling from few trials as it would without fidelities. With
    no trial stopped early (no scheduler), this is always :data:`FULL`.
    """
    counts = [(level, sum(r.reached >= level for r in records)) for level in levels(records)]
    enough = [level for level, n in counts if n >= min_points]
    if enough:
        return max(enough)
    most = max(n for _, n in counts)
    return max(level for level, n in counts if n == most)


def losses_at(records: Sequence[Seen], level: float) -> list[float | None]:
    """Each trial's loss at ``level``, the trials stopped below it included; None for failures.

    A trial that reached ``level`` gives its own loss there. One stopped at an epoch ``r``
    below gives its loss at ``r`` moved by the median gap between ``r`` and ``level`` over the
    trials that reached both: the low rung ranks configurations (the premise of ASHA), and the
    gap puts that rank on the modelled rung's scale. Leaving those trials out (BOHB's choice)
    lost to telling them as failures in our ASHA simulation: the model then only knew the
    promising region and sent the search back into regions already stopped. With no trial
    to measure the gap on, a trial stopped below counts as failed (None).
    """
    out: list[float | None] = []
    gaps: dict[float, float | None] = {}
    for r in records:
        v = r.loss_at(level)
        if v is None and not r.failed:
            if r.reached not in gaps:
                diffs = [
                    q.loss_at(level) - q.loss_at(r.reached)  # type: ignore[operator]
                    for q in records
                    if q.reached >= level and q.loss_at(r.reached) is not None
                ]
                gaps[r.reached] = float(np.median(diffs)) if diffs else None
            gap = gaps[r.reached]
            v = None if gap is None else r.last_loss + gap  # type: ignore[operator]
        out.append(v)
    return out


def ranking(records: Sequence[Seen]) -> list[float | None]:
    """Each usable trial's rank (0 = best) in one order over all of them; None for failures.

    Trials that got further come first; among those that ended at the same level, the lower
    loss there comes first. Finished trials are compared by their final loss.
    """
    order = sorted(
        (i for i, r in enumerate(records) if not r.failed),
        key=lambda i: (-records[i].reached, records[i].last_loss, i),
    )
    ranks: list[float | None] = [None] * len(records)
    for k, i in enumerate(order):
        ranks[i] = float(k)
    return ranks
