"""Trials cut at random points: a check that a time limit never lands where it must not.

A plugin whose library calls C through ``ctypes`` or trains in one long C++ call must fit
inside :func:`automl_core.trials.limits.stoppable_call` (README, plugin author's guide). This
runs many tiny trials whose limit falls at every point of the plugin's fit: each should read
"timeout", and the process should live on::

    from automl_core.testing import cut_at_random_points
    statuses, errors = cut_at_random_points(lambda: est.fit(X, y).predict(X), trials=300)
    assert statuses == {"timeout": 300}, errors

Run it in a child process: a limit that lands inside a library's C code can kill the process.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from ..trials.worker import TrialContext, run_objective

__all__ = ["cut_at_random_points"]


def cut_at_random_points(
    step: Callable[[], object],
    trials: int,
    steps_at_most: int = 50,
    limit_s: tuple[float, float] = (0.001, 0.01),
    seed: int = 0,
) -> tuple[Counter, Counter]:
    """Run ``trials`` trials in this thread, each calling ``step()`` over and over (at most
    ``steps_at_most`` times, far more than fit in its limit) until its time limit, drawn
    uniformly from ``limit_s`` (seeded), ends it. Returns the trials' statuses and the first
    line of each error of a trial that did not read "timeout".

    A trial whose exception got lost (printed as ignored inside a library) finishes its steps
    and reads "ok"; one whose library state it broke reads "failed". With steps of a few
    milliseconds an "ok" can also mean that the watchdog thread had not run yet: keep each
    trial's steps well above the largest limit.
    """

    def objective(params, ctx):
        for _ in range(steps_at_most):
            step()
        return {"score": 0.0}

    draw, statuses, errors = random.Random(seed), Counter(), Counter()
    for _ in range(trials):
        _, _, status, error = run_objective(
            objective, {}, TrialContext(0, 0, 1, 0.0), timeout_s=draw.uniform(*limit_s),
            exit_when_stuck=False,
        )  # fmt: skip
        statuses[status] += 1
        if error and status != "timeout":
            errors[error.splitlines()[0][:200]] += 1
    return statuses, errors
