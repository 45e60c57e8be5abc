"""Nothing lost, no work repeated (issue 15, cases 1, 2, 5 and 10): a live results folder is
locked against a second run and against ``resume``; a crashed run leaves no stuck lock; a
damaged journal line is named; a run with a time budget always returns a model."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_iris

import automl_core as ac
from automl_core.trials.journal import Journal, JournalError
from automl_core.trials.lock import FolderInUse, FolderLock

AUTOML = [sys.executable, "-m", "automl_core.interfaces.cli"]

EXPERIMENT = """\
target = "target"
metric = "accuracy"
cleaners = []
[budget]
trials = 12
[resources]
max_concurrent = 1
[[models]]
kind = "random_forest"
n_estimators = { type = "int", low = 20, high = 40 }
"""


def _events(d: Path) -> list[dict]:
    path = d / "journal.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*AUTOML, *args], capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )


@pytest.fixture
def experiment(tmp_path):
    X, y = load_iris(return_X_y=True, as_frame=True)
    data = tmp_path / "iris.csv"
    X.assign(target=y).to_csv(data, index=False)
    exp = tmp_path / "exp.toml"
    exp.write_text(f'data = "{data}"\n' + EXPERIMENT)
    return exp


@pytest.mark.slow
def test_a_live_folder_refuses_a_second_run_and_a_resume(tmp_path, experiment):
    results = tmp_path / "results"
    first = subprocess.Popen(
        [*AUTOML, "run", str(experiment), "--results", str(results)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not any(e["event"] == "trial" for e in _events(results)):
            assert first.poll() is None, first.stderr.read()
            time.sleep(0.05)
        # freeze the first run (its whole process group, Ray's processes included): it stays
        # alive and holds its folder for as long as the checks take, however fast its trials
        os.killpg(first.pid, signal.SIGSTOP)
        start = _events(results)[0]
        # case 1: a second run on the same folder is refused, and touches nothing
        second = _cli("run", str(experiment), "--results", str(results))
        assert second.returncode == 2, second.stderr
        assert "in use by a run that is still alive" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert "Traceback" not in second.stderr
        # case 2: resume beside the live run is refused the same way
        again = _cli("resume", str(results))
        assert again.returncode == 2, again.stderr
        assert "in use by a run that is still alive" in again.stderr
        events = _events(results)
        assert events[0] == start  # the first run's journal is the same journal
        assert sum(e["event"] == "start" for e in events) == 1
        assert sum(e["event"] == "resume" for e in events) == 0
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # a crash: the kernel drops its lock
        first.wait(30)
    # a crashed run leaves no stuck lock: the folder resumes
    FolderLock(results).acquire().release()
    trials_before = {e["trial_id"] for e in _events(results) if e["event"] == "trial"}
    done = _cli("resume", str(results), timeout=600)
    assert done.returncode == 0, done.stderr
    events = _events(results)
    finished = [e["trial_id"] for e in events if e["event"] == "trial"]
    assert len(finished) == len(set(finished)) == 12  # no trial ran twice
    assert trials_before <= set(finished)


def test_a_busy_folder_is_refused_before_ray_starts_or_the_table_is_read(tmp_path):
    """The probe runs first: neither the missing table nor the unreachable cluster is reached
    (either would be the error otherwise), and the folder is left as it was."""
    held = FolderLock(tmp_path / "busy").acquire()
    try:
        with pytest.raises(FolderInUse, match=f"pid {os.getpid()}"):
            ac.run(
                tmp_path / "no_such_table.csv",
                target="y",
                trials=2,
                address="127.0.0.1:1",  # nothing listens there
                results_dir=tmp_path / "busy",
                show_progress=False,
            )
        assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == [".automl.lock"]
    finally:
        held.release()
    # a folder nobody holds, or none at all: the probe creates nothing
    FolderLock(tmp_path / "new").refuse_if_held()
    assert not (tmp_path / "new").exists()
    FolderLock(tmp_path / "busy").refuse_if_held()


def test_the_lock_is_per_folder_and_released(tmp_path):
    lock = FolderLock(tmp_path).acquire()
    with pytest.raises(FolderInUse, match=f"pid {os.getpid()}"):
        FolderLock(tmp_path).acquire()
    FolderLock(tmp_path / "other").acquire().release()  # another folder is free
    lock.release()
    lock.release()  # idempotent
    FolderLock(tmp_path).acquire().release()


def test_a_damaged_journal_line_is_named_with_what_to_do(tmp_path):
    j = Journal.create(tmp_path, n_trials=3)
    j.append("ask", trial_id=0, point={"a": 1}, params={"a": 1}, seed=1)
    j.append("launch", trial_id=0, attempt=1)
    j.close()
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    lines[1] = lines[1][:20] + "#garbled#"
    (tmp_path / "journal.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(JournalError, match=r"line 2, is damaged") as info:
        Journal.open(tmp_path)
    assert "delete line 2 and every line after it" in str(info.value)
    out = _cli("resume", str(tmp_path))
    assert out.returncode == 2 and "line 2, is damaged" in out.stderr
    assert "Traceback" not in out.stderr


def test_a_torn_last_line_is_still_cut_off_quietly(tmp_path):
    j = Journal.create(tmp_path, n_trials=3)
    j.close()
    with open(tmp_path / "journal.jsonl", "a") as f:
        f.write('{"event":"ask","trial_')  # a SIGKILL in the middle of a write
    assert Journal.open(tmp_path).count == 1


def test_a_budget_too_short_for_any_trial_still_returns_a_fitted_model(ray_session):
    X, y = load_iris(return_X_y=True, as_frame=True)
    res = ac.run(
        X.assign(target=y),
        "target",
        models=["random_forest", "logistic_regression"],
        strategy="random",
        time_budget_s=0.01,
        show_progress=False,
    )
    assert res.best_pipeline is not None
    assert res.info["fallback"]["reason"] == "no trial finished within the time budget"
    assert res.info["fallback"]["model"] == "logistic_regression"
    pred = res.best_pipeline.predict(X.head())
    assert len(pred) == 5
    assert isinstance(res.table, pd.DataFrame)


def test_an_estimator_with_a_budget_too_short_for_any_trial_still_fits(ray_session):
    X, y = load_iris(return_X_y=True, as_frame=True)
    clf = ac.AutoMLClassifier(time_budget_s=0.01, show_progress=False).fit(X, y)
    assert clf.results_.info["fallback"]["reason"] == "no trial finished within the time budget"
    assert clf.best_params_["model"] == clf.results_.info["fallback"]["model"]
    assert len(clf.predict(X.head(3))) == 3


def test_the_autopilot_with_no_trial_in_time_falls_back_through_the_one_fallback():
    """The autopilot's fallback is the lifecycle's (issue 14): its cheapest portfolio start, a
    linear model, fitted on the searched rows and reported in ``info["fallback"]``."""
    X, y = load_iris(return_X_y=True, as_frame=True)
    res = ac.run(X.assign(target=y), "target", time_budget_s=0.01, show_progress=False)
    assert res.info["autopilot"]["fallback"] is True
    assert res.info["fallback"]["reason"] == "no trial finished within the time budget"
    assert res.info["fallback"]["model"] == "logistic_regression"
    assert (res.best_pipeline.predict(X) == y).mean() > 0.8  # a fitted, sensible model
