"""A long library call that can stop itself is asked to stop at a trial's limit, not interrupted
(:func:`automl_core.trials.limits.stoppable_call`, used by the boosting plugin for every fit and
prediction, and by the core around building a trial's pipeline, where plugins import their
libraries)."""

from __future__ import annotations

import threading
import time
from typing import Literal

from sklearn.dummy import DummyClassifier

from automl_core.evaluation.pipeline import build_pipeline
from automl_core.search.config_space import Resolved
from automl_core.specs import ModelSpec
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


#: what ``_SlowImportModelSpec.build`` did, in order
BUILDS: list[str] = []


class _SlowImportModelSpec(ModelSpec):
    """A plugin's model whose ``build()`` imports its library: 0.5 s of Python (as a large
    package's import is), which records whether it ran to its end."""

    kind: Literal["slow_import"] = "slow_import"
    tasks = ("classification",)

    def build(self, task, regularizers=(), seed=0, n_jobs=1):
        BUILDS.append("started")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.5:
            time.sleep(0.01)
        BUILDS.append("imported")
        return DummyClassifier()


def test_a_time_limit_waits_for_the_pipeline_build_where_plugins_import_their_libraries():
    """An exception landing inside a first import leaves a compiled module half-initialised for
    the rest of the process (``KeyError: '__reduce_cython__'`` on every later import): the
    limit passes during ``build()``, which still runs to its end, and the trial then reads
    "timeout" at once."""
    BUILDS.clear()
    resolved = Resolved([], _SlowImportModelSpec(), [], "slow_import")
    seen: dict = {}

    def objective(params, ctx):
        seen["pipeline"] = build_pipeline(resolved, "classification", seed=0)
        return {"score": 1.0}  # not reached: the limit passed during the build

    t0 = time.monotonic()
    _, _, status, error = run_objective(
        objective, {}, TrialContext(0, 0, 1, 0.0), timeout_s=0.1, exit_when_stuck=False
    )
    assert status == "timeout" and "time limit of 0.1 s" in error, error
    assert BUILDS == ["started", "imported"]  # the build was not cut short
    assert "pipeline" not in seen and 0.5 <= time.monotonic() - t0 < 1.5


def test_outside_a_trial_the_pipeline_build_is_untouched():
    BUILDS.clear()
    pipe = build_pipeline(
        Resolved([], _SlowImportModelSpec(), [], "slow_import"), "classification", 0
    )
    assert BUILDS == ["started", "imported"] and isinstance(pipe.steps[-1][1], DummyClassifier)
