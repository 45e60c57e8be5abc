"""The way to a configured run's first trial (issue 14, cold start).

- Ray Tune gets no ``tune.Callback`` from us: any callback makes its usage telemetry import the
  MLflow / W&B / Comet / Aim integrations at every ``Tuner.fit`` (~1 s with MLflow installed),
  and a crashed trial's error is still read (the trial-keeping generator, runner/searcher.py;
  the dead-worker tests in test_executors_faults.py read it).
- No "Failed to fetch metrics" WARNING at the end of every run: Tune's result files are off
  on purpose (runner/search.py, ``_NoResultFilesFilter``); other failures still reach the log.
- The first run on a Ray this process started waits for the workers prestarted at its start
  (runner/warm.py, ``wait_for_prestarted``), which note themselves as they begin preloading
  (and ``ac.compare``, before its first strategy, until they have finished it).

Seconds are measured by benchmarks/bench_cold_start.py, not here.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import cluster_util as cu  # tests/ is on sys.path (pytest prepends a test file's folder)
import pytest

#: a user's own script: Ray started by the user (as in a notebook, Ray's own logging at its
#: default level, so Tune's warnings would show), then a configured run
USER_SCRIPT = r"""
import json, sys
import ray
ray.init(num_cpus=2, include_dashboard=False, address="local")
import automl_core as ac
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True, as_frame=True)
res = ac.run(X.assign(target=y), "target", models=["logistic_regression"], strategy="random",
             trials=3, folds=2, cleaners=[], show_progress=False)
print("RESULT " + json.dumps({
    "ok": int((res.table["status"] == "ok").sum()),
    "integrations": sorted(m for m in sys.modules if m.startswith("ray.air.integrations")),
}), flush=True)
"""


def _run_script(script: str, tmp_path) -> tuple[dict, str]:
    return cu.run_fresh_script(script, tmp_path, timeout=300)


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_run_imports_no_tune_integration_and_warns_of_no_missing_result_files(tmp_path):
    res, stderr = _run_script(USER_SCRIPT, tmp_path)
    assert res["ok"] == 3
    # Tune's callback telemetry did not run: it imports every integration module
    assert res["integrations"] == []
    assert "Failed to fetch metrics" not in stderr, stderr[-3000:]
    assert "result.json" not in stderr


def _record(msg: str) -> logging.LogRecord:
    return logging.LogRecord(
        "ray.tune.analysis.experiment_analysis", logging.WARNING, __file__, 1, msg, None, None
    )


def test_only_the_missing_result_files_warning_is_dropped():
    from automl_core.runner.search import _NoResultFilesFilter

    f = _NoResultFilesFilter()
    missing = (
        "FileNotFoundError('Could not fetch metrics for t1: both result.json and progress.csv "
        "were not found at /tmp/x')"
    )
    assert not f.filter(
        _record(f"Failed to fetch metrics for 2 trial(s):\n- t1: {missing}\n- t2: {missing}")
    )
    # another failure in the same record keeps it whole
    other = "JSONDecodeError('Expecting value: line 1 column 1 (char 0)')"
    assert f.filter(
        _record(f"Failed to fetch metrics for 2 trial(s):\n- t1: {missing}\n- t2: {other}")
    )
    # and every other message of that logger passes
    assert f.filter(_record("No experiment snapshot file was found"))


def test_the_first_run_waits_for_the_workers_prestarted_at_rays_start(tmp_path, monkeypatch):
    from automl_core.runner import warm

    # an earlier test's run in this process may have started Ray and stopped before its first
    # trial (a refused table), leaving its wait unclaimed: this test starts from none
    monkeypatch.setattr(warm, "_cold_prestart", None)
    assert warm.wait_for_prestarted() == 0.0  # nothing asked for: no wait
    started = tmp_path / warm.STARTED_DIR
    warm._cold_prestart = (2, str(started))

    def workers_come_up():
        time.sleep(0.3)
        started.mkdir()
        for pid in (101, 102):
            (started / str(pid)).touch()

    t = threading.Thread(target=workers_come_up)
    t.start()
    waited = warm.wait_for_prestarted(max_s=10.0)
    t.join()
    assert 0.25 <= waited < 5.0
    assert warm._cold_prestart is None  # only the first run waits
    assert warm.wait_for_prestarted() == 0.0


def test_compare_waits_for_workers_that_finished_their_preload(tmp_path):
    from automl_core.runner import warm

    started = tmp_path / warm.STARTED_DIR
    started.mkdir()
    (started / "101").touch()  # registered, still importing its stack
    warm._cold_prestart = (1, str(started))

    def preload_ends():
        time.sleep(0.3)
        (started / "101.ready").touch()

    t = threading.Thread(target=preload_ends)
    t.start()
    waited = warm.wait_for_prestarted(max_s=10.0, ready=True)
    t.join()
    assert 0.25 <= waited < 5.0


def test_the_wait_is_bounded_when_the_workers_never_come(tmp_path):
    from automl_core.runner import warm

    warm._cold_prestart = (1, str(tmp_path / warm.STARTED_DIR))
    t0 = time.monotonic()
    assert warm.wait_for_prestarted(max_s=0.3) >= 0.3
    assert time.monotonic() - t0 < 2.0
    assert warm._cold_prestart is None


@pytest.mark.usefixtures("ray_session")
def test_each_preloading_worker_notes_itself_in_the_session():
    import automl_core as ac
    from automl_core.runner.warm import STARTED_DIR, preload_path

    started = os.path.join(os.path.dirname(preload_path()), STARTED_DIR)

    def _noted(params):
        import os

        pid = str(os.getpid())
        return {
            "score": params["x"],
            "noted": os.path.exists(os.path.join(started, pid)),
            "ready": os.path.exists(os.path.join(started, pid + ".ready")),
        }

    res = ac.tune(_noted, {"x": ac.Float(0, 1)}, trials=2, seed=0, show_progress=False)
    # the trial ran on a worker that noted its start and, before taking work, its preload
    assert res.table["metric.noted"].astype(bool).all()
    assert res.table["metric.ready"].astype(bool).all()
