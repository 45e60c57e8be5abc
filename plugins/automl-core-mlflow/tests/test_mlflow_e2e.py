"""The MLflow logger in real runs: ``ac.tune`` / ``ac.run`` with ``loggers=[...]``.

Against a real ``mlflow server`` and the default local store: nested runs show up on the
server while the search is still running; a killed and resumed run has one parent run and
exactly one nested run per trial; a tracking server that is down leaves the run complete.
The kill test runs this file as a script (the driver that is killed).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import automl_core as ac
import pandas as pd
import pytest
from automl_core.experiment.loggers import LoggerWarning
from automl_core.plugins import plugin_versions
from tracking_util import free_port, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SPACE = {"a": ac.Float(0, 1), "b": ac.Int(0, 10)}


def make_objective():
    """About a second of real work per trial, so a reader can look in while trials run.
    Made in a function: cloudpickle sends it by value (the Ray workers cannot import this
    test module)."""

    def slow_objective(params):
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 1.0:
            pass
        return params["a"] * 2 + params["b"]

    return slow_objective


def nested(client, parent: str) -> list:
    exp = client.get_run(parent).info.experiment_id
    return client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent}'", max_results=1000)


def parents(client, experiment: str) -> list:
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    return [r for r in runs if "mlflow.parentRunId" not in r.data.tags]


def trial_ids(client, parent: str) -> list[int]:
    return sorted(int(r.data.tags["automl.trial_id"]) for r in nested(client, parent))


@pytest.mark.usefixtures("ray_session")
def test_tune_shows_its_trials_on_the_server_while_it_runs(mlflow_server, tmp_path):
    from mlflow import MlflowClient

    client = MlflowClient(mlflow_server.uri)
    seen: list[tuple[str, int]] = []  # (parent status, nested runs) read during the search
    done = threading.Event()

    def watch():
        while not done.is_set():
            exp = client.get_experiment_by_name("e2e-tune")
            if exp is not None:
                for p in parents(client, "e2e-tune"):
                    seen.append((p.info.status, len(nested(client, p.info.run_id))))
            time.sleep(0.3)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        res = ac.tune(
            make_objective(),
            SPACE,
            trials=8,
            seed=0,
            results_dir=tmp_path / "run",
            show_progress=False,
            loggers=[
                {"kind": "mlflow", "tracking_uri": mlflow_server.uri, "experiment": "e2e-tune"}
            ],
        )
    finally:
        done.set()
        watcher.join()
    mid_run = [n for status, n in seen if status == "RUNNING" and 0 < n < len(res.table)]
    assert (res.table["status"] == "ok").all()
    assert mid_run, f"no nested run was seen while the search ran: {seen[-5:]}"
    (parent,) = parents(client, "e2e-tune")
    assert parent.info.status == "FINISHED"
    assert trial_ids(client, parent.info.run_id) == sorted(res.table["trial_id"])
    assert parent.data.tags["automl.kind"] == "tune"


@pytest.mark.usefixtures("ray_session")
def test_run_logs_to_a_local_store_in_its_results_folder(table_csv, tmp_path):
    from mlflow import MlflowClient
    from mlflow.models import get_model_info

    out = tmp_path / "run"
    res = ac.run(
        config={"data": str(table_csv), "target": "y"},
        models=["logistic_regression"],
        strategy="random",
        trials=3,
        seed=0,
        results_dir=out,
        show_progress=False,
        loggers=["mlflow"],
    )
    state = json.loads((out / "mlflow.json").read_text())
    assert state["tracking_uri"] == f"sqlite:///{(out / 'mlflow.db').resolve()}"
    client = MlflowClient(state["tracking_uri"])
    (parent,) = parents(client, "automl-core")
    assert parent.info.run_id == state["run_id"] and parent.info.status == "FINISHED"
    assert trial_ids(client, state["run_id"]) == sorted(res.table["trial_id"])
    names = {a.path for a in client.list_artifacts(state["run_id"], "results")}
    assert {"results/table.csv", "results/config.json", "results/info.json"} <= names
    os.environ["MLFLOW_TRACKING_URI"] = state["tracking_uri"]
    try:
        model = get_model_info(parent.data.tags["automl.model_uri"])
    finally:
        del os.environ["MLFLOW_TRACKING_URI"]
    assert model.signature is not None and model.saved_input_example_info is not None
    X = pd.read_csv(table_csv).drop(columns="y")
    assert model.signature.inputs.input_names() == list(X.columns)
    # the run's info records the plugin distributions and versions it used
    info = json.loads((out / "info.json").read_text())
    assert info["plugins"] == plugin_versions()


def _driver(results: str, uri: str) -> None:
    """The process the kill test kills: ``ac.tune`` logging to the server at ``uri``."""
    ac.tune(
        make_objective(),
        SPACE,
        trials=10,
        seed=1,
        results_dir=results,
        show_progress=False,
        loggers=[{"kind": "mlflow", "tracking_uri": uri, "experiment": "e2e-killed"}],
    )


def _finished_in_journal(results: Path) -> int:
    path = results / "journal.jsonl"
    if not path.exists():
        return 0
    finished = 0
    for line in path.read_text().splitlines():
        try:
            finished += json.loads(line)["event"] == "trial"
        except (ValueError, KeyError):  # a line being written
            continue
    return finished


def test_a_killed_and_resumed_run_has_one_parent_and_each_trial_once(mlflow_server, tmp_path):
    from mlflow import MlflowClient

    results = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    driver = subprocess.Popen(
        [sys.executable, __file__, "driver", str(results), mlflow_server.uri],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    in_time = wait_for(
        lambda: _finished_in_journal(results) >= 4 or driver.poll() is not None, 400, 0.05
    )
    if driver.poll() is not None:
        pytest.fail(f"the driver ended before the kill: {driver.stderr.read()[-3000:]}")
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and the Ray it started
    driver.wait()
    assert in_time and _finished_in_journal(results) < 10, "the kill came too late to test"
    resumed = subprocess.run(
        [str(Path(sys.executable).parent / "automl"), "resume", str(results), "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    table = pd.read_csv(results / "table.csv")
    assert len(table) == 10
    client = MlflowClient(mlflow_server.uri)
    (parent,) = parents(client, "e2e-killed")
    assert parent.info.status == "FINISHED"
    assert trial_ids(client, parent.info.run_id) == list(range(10))  # each exactly once


@pytest.mark.usefixtures("ray_session")
def test_a_tracking_server_that_is_down_leaves_the_run_complete(tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    t0 = time.perf_counter()
    with pytest.warns(LoggerWarning, match=r"'mlflow' failed in start"):
        res = ac.tune(
            make_objective(),
            SPACE,
            trials=3,
            seed=2,
            results_dir=tmp_path / "run",
            show_progress=False,
            loggers=[{"kind": "mlflow", "tracking_uri": dead, "timeout_s": 2}],
        )
    assert len(res.table) == 3 and (res.table["status"] == "ok").all()
    back = ac.Results.load(tmp_path / "run")
    assert list(back.table["trial_id"]) == [0, 1, 2]
    assert not (tmp_path / "run" / "mlflow.json").exists()
    assert time.perf_counter() - t0 < 300


if __name__ == "__main__":  # the driver process of the kill test
    if sys.argv[1] == "driver":
        _driver(sys.argv[2], sys.argv[3])
