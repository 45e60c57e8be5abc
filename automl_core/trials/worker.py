"""What runs on a worker around the user's objective, the same on every executor.

:func:`run_objective` calls the objective under the trial's limits (:mod:`.limits`) and sorts
every way it can end into ``(metrics, score, status, error)``, so a failing trial is a row and
the worker goes on to the next. The executors (Ray Tune, the local pool) only add how the
objective reaches the worker and how the result travels back.
"""

from __future__ import annotations

import math
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from .limits import TrialLimits, TrialTimeout

__all__ = ["TrialContext", "pin_threads", "run_objective"]


class TrialContext:
    """What an objective receives besides its params: seed, resources, per-epoch reporting.

    ``report(epoch=..., **metrics)`` sends one epoch's metrics; ``score`` (the searched metric)
    lets a scheduler stop the trial early. On an executor without a scheduler (the local pool)
    reports are kept by nobody and cost nothing.
    """

    def __init__(
        self, trial_id: int, seed: int, cpus: int, gpus: float, report: Callable | None = None
    ):
        self.trial_id = trial_id
        self.seed = seed
        self.cpus = cpus
        self.gpus = gpus
        self._report = report
        self.epoch = 0

    def report(self, epoch: int | None = None, last: bool = False, **metrics: float) -> None:
        """Report metrics of one epoch; ``score`` (the searched metric) lets schedulers stop early.

        ``last=True``: training is over with this epoch (the last one, or every fold stopped
        early). A scheduler that stops the trial at this report (a rung at the last epoch)
        then ends it "ok" with this score, not "stopped early": it trained all it would.
        """
        self.epoch = self.epoch + 1 if epoch is None else int(epoch)
        if self._report is not None:
            self._report({**metrics, "epoch": self.epoch, "final": False, "last": bool(last)})


def pin_threads(cpus: int) -> Any:
    """Limit BLAS/OpenMP (and torch, if loaded) threads to the trial's CPUs.

    Measured here: an oversubscribed gradient-boosting fit ran 30x slower.
    """
    from threadpoolctl import threadpool_limits

    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(cpus)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(cpus)
    return threadpool_limits(cpus)


def _score_error(score: float) -> str:
    if math.isnan(score):
        return "the score is NaN"
    return f"the score is {'+' if score > 0 else '-'}infinite (the objective returned {score})"


def run_objective(
    objective: Callable[[dict[str, Any], TrialContext], dict[str, Any]],
    params: dict[str, Any],
    ctx: TrialContext,
    timeout_s: float | None = None,
    memory_mb: float | None = None,
    stop_check: Callable[[], bool] | None = None,
    exit_when_stuck: bool = True,
) -> tuple[dict[str, Any], float, str, str | None]:
    """Call ``objective(params, ctx)`` under the trial's limits; return ``(metrics, score,
    status, error)`` with status ``ok``, ``failed``, ``timeout``, ``oom`` or ``cancelled``
    (``stop_check`` said the run is over first). Never raises an ``Exception``.
    ``exit_when_stuck=False`` where this process is the user's (see :class:`.limits.TrialLimits`)."""
    limits = TrialLimits(
        timeout_s, memory_mb, stop_check=stop_check, exit_when_stuck=exit_when_stuck
    )
    try:
        limits.arm()
        try:
            out = objective(params, ctx)
        finally:
            limits.disarm()
        score = float(out.pop("score"))
        if math.isfinite(score):
            return out, score, "ok", None
        return out, float("nan"), "failed", _score_error(score)
    except TrialTimeout:
        limits.disarm()  # idempotent; the exception may have landed inside the first disarm
        if limits.stopped:
            return {}, float("nan"), "cancelled", "the run ended (time budget) before it did"
        return {}, float("nan"), "timeout", f"ran past its time limit of {timeout_s:g} s"
    except MemoryError:
        limits.disarm()
        cap = f" (limit: {memory_mb:g} MiB per trial)" if memory_mb else ""
        return {}, float("nan"), "oom", f"ran out of memory{cap}\n{traceback.format_exc(limit=-3)}"
    except Exception as exc:  # a failing trial is a failed row; the run goes on
        limits.disarm()
        tb = traceback.format_exc(limit=-3)
        return {}, float("nan"), "failed", f"{type(exc).__name__}: {exc}\n{tb}"
