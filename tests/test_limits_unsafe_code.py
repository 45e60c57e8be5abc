"""A trial's time limit never raises its exception inside the import system, a finalizer, or
lock and pool code (:data:`automl_core.trials.limits.UNSAFE_MODULES`): the watchdog waits until
the trial's thread has left such code. Raised there, the exception left process-wide state
half-changed: a module half-imported stays broken for the process (asyncio's
``NameError: base_events``, scikit-learn's ``KeyError: '__reduce_cython__'``, a segmentation
fault importing torch again), and joblib's thread pool left the next fit waiting forever."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
import time

from automl_core.trials.worker import TrialContext, run_objective

CTX = TrialContext(0, 0, 1, 0.0)


def _trial(objective, timeout_s: float):
    _, _, status, error = run_objective(objective, {}, CTX, timeout_s=timeout_s,
                                        exit_when_stuck=False)  # fmt: skip
    return status, error


def _until_the_exception_lands(at_most_s: float = 3.0) -> dict:
    """Python steps where the limit's exception can land; "ok" if it never does (it was lost)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < at_most_s:
        time.sleep(0.005)
    return {"score": 1.0}


def test_the_limit_waits_for_an_import_to_finish(tmp_path, monkeypatch):
    # a module whose import takes 0.4 s of Python (as a large package's does) and says when done
    (tmp_path / "slow_to_import.py").write_text(
        textwrap.dedent(
            """
            import time
            t0 = time.monotonic()
            while time.monotonic() - t0 < 0.4:
                time.sleep(0.005)
            IMPORTED = True
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: dict = {}

    def objective(params, ctx):
        import slow_to_import

        seen["imported"] = slow_to_import.IMPORTED
        return _until_the_exception_lands()

    t0 = time.monotonic()
    try:
        status, error = _trial(objective, timeout_s=0.05)
        assert status == "timeout", error
        assert seen == {"imported": True}  # the import ran to its end, and then the trial ended
        assert 0.4 <= time.monotonic() - t0 < 1.0
        assert sys.modules["slow_to_import"].IMPORTED
    finally:
        sys.modules.pop("slow_to_import", None)


def test_the_limit_waits_for_a_finalizer_to_finish():
    done: list[bool] = []

    class Handle:
        def __del__(self):  # frees a library's handle: must not be cut in two
            t0 = time.monotonic()
            while time.monotonic() - t0 < 0.3:
                time.sleep(0.005)
            done.append(True)

    def objective(params, ctx):
        handle = Handle()
        time.sleep(0.02)
        del handle  # the finalizer runs past the limit
        return _until_the_exception_lands()

    gc.collect()
    status, error = _trial(objective, timeout_s=0.05)
    assert status == "timeout", error
    assert done == [True]


def test_a_limit_outside_unsafe_code_still_lands_at_once():
    def objective(params, ctx):
        return _until_the_exception_lands()

    t0 = time.monotonic()
    status, _ = _trial(objective, timeout_s=0.1)
    assert status == "timeout" and time.monotonic() - t0 < 0.5


#: 200 trials whose limit (1-10 ms) falls at every point of building and fitting a small
#: HistGradientBoosting model, imports included (its first trials import scikit-learn's
#: ensemble, joblib and asyncio); each trial fits over and over until its limit ends it
_STRESS = """
import json
import numpy as np
from automl_core.plugins import get_registry
from automl_core.testing import cut_at_random_points

spec = get_registry().get("model", "hist_gradient_boosting")(max_iter=5)
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 8))
y = (X[:, 0] > 0).astype(int)
statuses, errors = cut_at_random_points(
    lambda: spec.build("classification", [], seed=0).fit(X, y).predict(X), 200)
print(json.dumps({"statuses": statuses, "errors": errors}))
"""


def test_small_trials_cut_at_random_points_all_read_timeout_and_the_process_lives_on():
    """Before the watchdog looked where the trial's thread was, this run's trials read "failed"
    (``NameError: name 'base_events' is not defined``: asyncio half-imported by the first
    trials) and then a fit waited forever inside joblib's thread-pool start."""
    out = subprocess.run([sys.executable, "-c", _STRESS], capture_output=True, text=True,
                         timeout=90)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"statuses": {"timeout": 200}, "errors": {}}, result
