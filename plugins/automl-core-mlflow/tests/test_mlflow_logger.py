"""The MLflow logger against a real MLflow: a local SQLite store and a real ``mlflow server``.

The rows are those of real small runs (``ac.run`` on a table, ``ac.tune`` with per-epoch
reports), fed through the driver's :class:`~automl_core.experiment.loggers.LoggerHub` one by one, and
everything is read back through ``MlflowClient``: nested runs must appear while the run is
still going on, before the next trial is handed over.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import automl_core as ac
import pandas as pd
import pytest
from automl_core.config import ConfigError, parse_config
from automl_core.experiment.loggers import LoggerHub, LoggerWarning, rows_from_results
from automl_core.plugins import plugin_versions
from automl_core.results import config_hash
from automl_core.testing import check_logger
from mlflow import MlflowClient
from mlflow.entities import ViewType
from tracking_util import free_port, wait_for

from automl_core_mlflow import MlflowSpec
from automl_core_mlflow.store import STATE_FILE

pytestmark = pytest.mark.timeout(900)


# -- real runs, made once ----------------------------------------------------------------


@pytest.fixture(scope="module")
def table_run(ray_session, table_csv, tmp_path_factory) -> Path:
    """A finished ``ac.run`` (a logistic regression searched 4 times, a test split), no logger;
    its config names the CSV it read."""
    out = tmp_path_factory.mktemp("table-run") / "run"
    ac.run(
        config={"data": str(table_csv), "target": "y"},
        models=["logistic_regression"],
        strategy="random",
        trials=4,
        seed=0,
        test_size=0.2,
        results_dir=out,
        show_progress=False,
    )
    return out


@pytest.fixture(scope="module")
def tune_run(ray_session, tmp_path_factory) -> Path:
    """A finished ``ac.tune`` with per-epoch reports, and a trial that raises."""

    def epochs_objective(params, report):  # local: pickled by value for the Ray workers
        if params["lr"] > 0.03:
            raise ValueError("diverged")
        loss = 1.0
        for epoch in range(1, 4):
            loss *= 1 - params["lr"] * params["layers"]
            report(epoch=epoch, val_loss=loss)
        return {"score": -loss, "val_loss": loss}

    out = tmp_path_factory.mktemp("tune-run") / "run"
    ac.tune(
        epochs_objective,
        {"lr": ac.Float(0.001, 0.1, log=True), "layers": ac.Int(1, 4)},
        trials=6,
        seed=1,
        results_dir=out,
        show_progress=False,
    )
    return out


def copy_of(folder: Path, tmp_path: Path) -> Path:
    """A copy of a run's folder to log from (the logger writes its state file there)."""
    return Path(shutil.copytree(folder, tmp_path / folder.parent.name))


def nested(client: MlflowClient, parent: str, view=ViewType.ACTIVE_ONLY) -> list:
    exp = client.get_run(parent).info.experiment_id
    return client.search_runs(
        [exp], f"tags.mlflow.parentRunId = '{parent}'", run_view_type=view, max_results=1000
    )


def parents(client: MlflowClient, experiment: str) -> list:
    exp = client.get_experiment_by_name(experiment)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    return [r for r in runs if "mlflow.parentRunId" not in r.data.tags]


def start_kwargs(res, folder, **over):
    kw = dict(
        kind="tune" if res.config is None else "run",
        config={"metric": res.metric}
        if res.config is None
        else res.config.model_dump(mode="json", exclude_none=True),
        info={**res.info, "plugins": plugin_versions()},
        seed=0 if res.config is None else res.config.seed,
        results_dir=str(folder),
        resumed=False,
        finished_rows=[],
    )
    return {**kw, **over}


def history_of(history, tid):
    return [h for h in history if h["trial_id"] == tid]


# -- tests ---------------------------------------------------------------------------------


def test_the_conformance_kit_on_a_local_store(tmp_path):
    check_logger(MlflowSpec(), tmp_path)
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert state["tracking_uri"] == f"sqlite:///{(tmp_path / 'mlflow.db').resolve()}"
    client = MlflowClient(state["tracking_uri"])
    (parent,) = parents(client, "automl-core")
    # the kit's second pass resumed the same run: still one nested run per trial
    assert sorted(
        int(r.data.tags["automl.trial_id"]) for r in nested(client, parent.info.run_id)
    ) == [
        0,
        1,
        2,
        3,
    ]
    assert (tmp_path / "mlartifacts").is_dir()  # artifacts beside the store, not in ./mlruns


def test_nested_runs_appear_as_trials_finish_and_the_end_logs_model_and_folder(
    mlflow_server, table_run, table_csv, tmp_path, monkeypatch
):
    import mlflow.models
    import mlflow.sklearn

    folder = copy_of(table_run, tmp_path)
    res = ac.Results.load(folder)
    rows, history = rows_from_results(res)
    spec = {"kind": "mlflow", "tracking_uri": mlflow_server.uri, "experiment": "live"}
    hub = LoggerHub.from_specs([spec])
    hub.start(**start_kwargs(res, folder))
    client = MlflowClient(mlflow_server.uri)
    state = wait_for(lambda: (folder / STATE_FILE).exists(), 120) and json.loads(
        (folder / STATE_FILE).read_text()
    )
    parent = state["run_id"]
    for i, row in enumerate(rows):
        hub.trial(row, history_of(history, row["trial_id"]))
        # read the server while the run goes on: this trial's nested run is there already
        seen = wait_for(lambda n=i + 1: len(nested(client, parent)) == n, 60)
        assert seen, f"trial {row['trial_id']} did not reach the server"
        assert client.get_run(parent).info.status == "RUNNING"
    X = pd.read_csv(table_csv).drop(columns="y")
    hub.end(res, str(folder), example=X.head(8))

    run = client.get_run(parent)
    assert run.info.status == "FINISHED" and run.info.run_name == folder.name
    tags = run.data.tags
    assert tags["automl.strategy"] == "random" and tags["automl.seed"] == "0"
    assert tags["automl.kind"] == "run"
    config = start_kwargs(res, folder)["config"]
    assert config["results_dir"]  # left out of the hash: where a run is saved is not what it is
    assert tags["automl.config_hash"] == config_hash(
        {k: v for k, v in config.items() if k not in ("results_dir", "address", "loggers")}
    )
    versions = plugin_versions()
    assert json.loads(tags["automl.plugins"]) == versions
    assert tags["automl.plugin.automl-core-mlflow"] == versions["automl-core-mlflow"]
    assert run.data.params["config.target"] == "y" and run.data.params["config.seed"] == "0"
    assert run.data.metrics["best_score"] == pytest.approx(res.best.score)
    assert run.data.metrics["test_score"] == pytest.approx(res.info["test_score"])
    assert tags["automl.best_trial_id"] == str(res.best.trial_id)

    table = res.table.set_index("trial_id")
    for r in nested(client, parent):
        tid = int(r.data.tags["automl.trial_id"])
        assert r.info.status == "FINISHED" and r.data.tags["automl.status"] == "ok"
        assert r.data.metrics["score"] == pytest.approx(table.loc[tid, "score"])
        assert r.data.metrics["score_std"] == pytest.approx(table.loc[tid, "score_std"])
        assert r.data.tags["automl.node"] == table.loc[tid, "node"]
        for col in (c for c in table.columns if c.startswith("param.")):
            value = table.loc[tid, col]
            if pd.notna(value):  # a real value, as text: never a choice index
                assert r.data.params[col[6:]] == str(value)

    names = {a.path for a in client.list_artifacts(parent, "results")}
    for f in ("table.csv", "table.parquet", "config.json", "cleaners.toml", "info.json"):
        assert f"results/{f}" in names
    assert not {f"results/{STATE_FILE}", "results/journal.jsonl"} & names

    model_uri = tags["automl.model_uri"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    info = mlflow.models.get_model_info(model_uri)
    assert info.signature is not None
    assert info.signature.inputs.input_names() == list(X.columns)
    assert info.saved_input_example_info is not None
    model = mlflow.sklearn.load_model(model_uri)
    assert list(model.predict(X)) == list(res.best_pipeline.predict(X))


def test_per_epoch_history_becomes_steps_and_a_failed_trial_says_why(tune_run, tmp_path):
    folder = copy_of(tune_run, tmp_path)
    res = ac.Results.load(folder)
    rows, history = rows_from_results(res)
    hub = LoggerHub.from_specs(["mlflow"])  # the default: a local store in the results folder
    hub.start(**start_kwargs(res, folder))
    for row in rows:
        hub.trial(row, history_of(history, row["trial_id"]))
    hub.end(res, str(folder))
    state = json.loads((folder / STATE_FILE).read_text())
    assert state["tracking_uri"] == f"sqlite:///{(folder / 'mlflow.db').resolve()}"
    client = MlflowClient(state["tracking_uri"])
    by_id = {int(r.data.tags["automl.trial_id"]): r for r in nested(client, state["run_id"])}
    assert sorted(by_id) == sorted(res.table["trial_id"])
    for row in rows:
        run = by_id[row["trial_id"]]
        if row["status"] == "ok":
            steps = client.get_metric_history(run.info.run_id, "val_loss")
            expected = {h["epoch"]: h["value"] for h in history_of(history, row["trial_id"])}
            assert {m.step: m.value for m in steps} == pytest.approx(expected)
            assert run.data.params["lr"] == str(row["params"]["lr"])
            assert run.data.params["layers"] == str(row["params"]["layers"])
        else:
            assert run.info.status == "FAILED" and "diverged" in run.data.tags["automl.error"]
            assert "score" not in run.data.metrics
    assert any(r["status"] == "failed" for r in rows), "the fixture should hold a failed trial"
    parent = client.get_run(state["run_id"])
    assert parent.data.tags["automl.kind"] == "tune" and "automl.model_uri" not in parent.data.tags


def test_a_resumed_run_continues_its_parent_and_logs_no_trial_twice(tune_run, tmp_path):
    folder = copy_of(tune_run, tmp_path)
    res = ac.Results.load(folder)
    rows, history = rows_from_results(res)
    first = LoggerHub.from_specs(["mlflow"])
    first.start(**start_kwargs(res, folder))
    first.trial(rows[0], history_of(history, 0))
    first.trial(rows[1], history_of(history, 1))
    assert wait_for(lambda: (folder / STATE_FILE).exists(), 60)
    state = json.loads((folder / STATE_FILE).read_text())
    client = MlflowClient(state["tracking_uri"])
    assert wait_for(lambda: len(nested(client, state["run_id"])) == 2, 60)
    # the driver dies while it logs trial 2: a nested run created, never finished
    client.create_run(
        state["experiment_id"],
        tags={"mlflow.parentRunId": state["run_id"], "automl.trial_id": "2"},
    )
    # ... and trial 3 finished (in the journal) but never reached MLflow. A new process:
    second = LoggerHub.from_specs(["mlflow"])
    # the journal's rows carry their own per-epoch history
    journal_rows = [{**r, "history": history_of(history, r["trial_id"])} for r in rows[:4]]
    second.start(**start_kwargs(res, folder, resumed=True, finished_rows=journal_rows))
    second.trial(rows[1], history_of(history, 1))  # a trial handed over twice is logged once
    for row in rows[4:]:
        second.trial(row, history_of(history, row["trial_id"]))
    second.end(res, str(folder))

    assert json.loads((folder / STATE_FILE).read_text())["run_id"] == state["run_id"]
    (parent,) = parents(client, "automl-core")
    assert parent.info.run_id == state["run_id"] and parent.info.status == "FINISHED"
    ids = [int(r.data.tags["automl.trial_id"]) for r in nested(client, state["run_id"])]
    assert sorted(ids) == sorted(res.table["trial_id"])  # each exactly once
    deleted = nested(client, state["run_id"], ViewType.DELETED_ONLY)
    assert [r.data.tags["automl.trial_id"] for r in deleted] == ["2"]  # the half-logged one
    # the backfilled trial 3 kept its per-epoch history
    (three,) = [r for r in nested(client, state["run_id"]) if r.data.tags["automl.trial_id"] == "3"]
    if rows[3]["status"] == "ok":
        assert len(client.get_metric_history(three.info.run_id, "val_loss")) == 3


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _drive(hub, res, folder, rows, history) -> tuple[float, float]:
    """The hub through a whole run; (the longest trial() call, the end() call) in seconds."""
    hub.start(**start_kwargs(res, folder))
    longest = 0.0
    for row in rows:
        t0 = time.perf_counter()
        hub.trial(row, history_of(history, row["trial_id"]))
        longest = max(longest, time.perf_counter() - t0)
    t0 = time.perf_counter()
    hub.end(res, str(folder))
    return longest, time.perf_counter() - t0


def test_a_tracking_server_that_is_down_is_a_warning_and_the_folder_stays_whole(tune_run, tmp_path):
    folder = copy_of(tune_run, tmp_path)
    res = ac.Results.load(folder)
    rows, history = rows_from_results(res)
    before = _snapshot(folder)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    hub = LoggerHub.from_specs([{"kind": "mlflow", "tracking_uri": dead, "timeout_s": 2}])
    t0 = time.perf_counter()
    with pytest.warns(LoggerWarning, match=r"'mlflow' failed in start: .*off for the rest"):
        longest, end_s = _drive(hub, res, folder, rows, history)
    assert longest < 0.5 and time.perf_counter() - t0 < 30, (longest, end_s)
    assert _snapshot(folder) == before  # nothing written, nothing lost


def test_a_server_that_never_answers_times_out_in_seconds(tune_run, tmp_path):
    """A host that accepts connections and never replies (a hung server): MLflow's default
    would wait 120 s per request and retry for minutes; the logger's timeout_s holds."""
    folder = copy_of(tune_run, tmp_path)
    res = ac.Results.load(folder)
    rows, history = rows_from_results(res)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    uri = f"http://127.0.0.1:{listener.getsockname()[1]}"
    hub = LoggerHub.from_specs(
        [{"kind": "mlflow", "tracking_uri": uri, "timeout_s": 1, "retries": 0}]
    )
    t0 = time.perf_counter()
    try:
        with pytest.warns(LoggerWarning, match=r"failed in start"):
            longest, end_s = _drive(hub, res, folder, rows, history)
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        listener.close()
    assert held, "the logger never connected"
    assert longest < 0.5 and time.perf_counter() - t0 < 20, (longest, end_s)


def test_automl_report_logs_a_finished_folder_once(mlflow_server, table_run, tmp_path, monkeypatch):
    folder = copy_of(table_run, tmp_path)
    cmd = [
        sys.executable,
        "-m",
        "automl_core.interfaces.cli",
        "report",
        str(folder),
        "--mlflow",
        mlflow_server.uri,
    ]
    outs = [subprocess.run(cmd, capture_output=True, text=True, timeout=600) for _ in range(2)]
    for out in outs:
        assert out.returncode == 0, out.stderr[-3000:]
    run_id = json.loads((folder / STATE_FILE).read_text())["run_id"]
    assert f"mlflow: run {run_id} in {mlflow_server.uri}" in outs[0].stdout
    assert (folder / "report.html").exists()
    client = MlflowClient(mlflow_server.uri)
    assert [p.info.run_id for p in parents(client, "automl-core")] == [run_id]  # twice: once
    res = ac.Results.load(folder)
    ids = sorted(int(r.data.tags["automl.trial_id"]) for r in nested(client, run_id))
    assert ids == sorted(res.table["trial_id"])
    parent = client.get_run(run_id)
    assert len(parent.outputs.model_outputs) == 1  # the model logged once
    import mlflow.models

    # the example rows came from the data file the run's config names
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    info = mlflow.models.get_model_info(parent.data.tags["automl.model_uri"])
    assert info.signature is not None and info.saved_input_example_info is not None
    assert info.signature.inputs.input_names() == ["a", "b", "plan"]
    names = {a.path for a in client.list_artifacts(run_id, "results")}
    assert "results/report.html" in names  # the report written by the same command


def test_the_registry_loads_the_plugin_without_importing_mlflow():
    probe = (
        "import sys, json\n"
        "from automl_core.plugins import get_registry\n"
        "reg = get_registry()\n"
        "print(json.dumps([reg.kinds('logger'), 'mlflow' in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    kinds, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert "mlflow" in kinds and imported is False


def test_the_spec_validates_in_configs():
    cfg = parse_config(
        {"target": "y", "loggers": [{"kind": "mlflow", "tracking_uri": "http://h:5000"}]}
    )
    assert cfg.loggers[0] == MlflowSpec(tracking_uri="http://h:5000")
    assert parse_config({"target": "y", "loggers": ["mlflow"]}).loggers == [MlflowSpec()]
    with pytest.raises(ConfigError, match=r"loggers\.0\.timeout_s"):
        parse_config({"target": "y", "loggers": [{"kind": "mlflow", "timeout_s": 0}]})
    with pytest.raises(ConfigError, match=r"loggers\.0\.experimentt"):
        parse_config({"target": "y", "loggers": [{"kind": "mlflow", "experimentt": "x"}]})
