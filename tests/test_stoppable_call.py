"""A long library call that can stop itself is asked to stop at a trial's limit, not interrupted
(:func:`automl_core.trials.limits.stoppable_call`, used by the boosting plugin for CatBoost)."""

from __future__ import annotations

import threading
import time

from automl_core.trials.limits import TrialTimeout, stoppable_call
from automl_core.trials.worker import TrialContext, run_objective


def _library_loop(seen: dict, max_s: float = 10.0):
    """An objective whose one call loops over steps, as a C++ training loop calling back would;
    it records whether the limit's exception landed inside the loop (which would abort it)."""

    def objective(params, ctx):
        with stoppable_call() as should_stop:
            t0 = time.monotonic()
            steps, interrupted = 0, False
            while time.monotonic() - t0 < max_s:
                try:
                    time.sleep(0.01)  # one step of the library's loop
                except TrialTimeout:
                    interrupted = True
                    break
                steps += 1
                if should_stop():
                    break
            seen.update(steps=steps, interrupted=interrupted, asked=should_stop(),
                        took=time.monotonic() - t0)  # fmt: skip
        seen["after_the_block"] = True  # not reached: leaving the block raises
        return {"score": 1.0}

    return objective


def test_a_stoppable_call_is_asked_to_stop_at_the_time_limit_and_the_trial_reads_timeout():
    seen: dict = {}
    _, _, status, error = run_objective(
        _library_loop(seen), {}, TrialContext(0, 0, 1, 0.0), timeout_s=0.3, exit_when_stuck=False
    )
    assert status == "timeout" and "time limit of 0.3 s" in error, error
    assert seen["asked"] and not seen["interrupted"], seen  # asked, never interrupted
    assert 0.3 <= seen["took"] < 2.0 and seen["steps"] > 5, seen
    assert "after_the_block" not in seen


def test_a_stoppable_call_is_asked_to_stop_when_the_run_ends_and_the_trial_reads_cancelled():
    seen: dict = {}
    ended = threading.Event()
    threading.Timer(0.3, ended.set).start()
    _, _, status, error = run_objective(
        _library_loop(seen), {}, TrialContext(0, 0, 1, 0.0), timeout_s=30.0,
        stop_check=ended.is_set, exit_when_stuck=False,
    )  # fmt: skip
    assert status == "cancelled", error
    assert seen["asked"] and not seen["interrupted"] and seen["took"] < 3.0, seen


def test_outside_a_trial_a_stoppable_call_never_stops_and_raises_nothing():
    seen: dict = {}
    out = _library_loop(seen, max_s=0.2)({}, None)
    assert out == {"score": 1.0} and seen["after_the_block"]
    assert not seen["asked"] and not seen["interrupted"] and seen["took"] >= 0.2


def test_a_trial_that_finishes_inside_its_limit_is_untouched():
    seen: dict = {}
    _, score, status, _ = run_objective(
        _library_loop(seen, max_s=0.1), {}, TrialContext(0, 0, 1, 0.0), timeout_s=5.0,
        exit_when_stuck=False,
    )  # fmt: skip
    assert (status, score) == ("ok", 1.0) and not seen["asked"]
