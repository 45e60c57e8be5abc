"""Faults (issue 6): a node killed mid-run, trials past their time or memory limit, Ctrl-C.

The node and limit scenarios run on a real multi-node ``ray.cluster_utils.Cluster`` in a
subprocess (this file as a script, see ``cluster_util``); Ctrl-C is sent to ``automl run`` the
way a terminal sends it, and the run is then finished with ``ac.resume`` in this process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cluster_util as cu  # noqa: E402

pytestmark = pytest.mark.timeout(600)


def _marked_objective(params):
    """Leaves a file naming its node, so the test knows when a trial runs on the node to kill."""
    import ray

    node = ray.get_runtime_context().get_node_id()
    Path(params["dir"], f"on-{node}").touch()
    cu.barrier(Path(params["dir"], "running"), 3)  # a trial on each of the 3 nodes
    cu.burn(params["work_s"])
    return params["x"]


def _limited_objective(params):
    import numpy as np

    kind = params["kind"]
    if kind == "python_loop":  # stopped by the exception the watchdog raises
        while True:
            pass
    if kind == "native_call":  # one call the exception cannot interrupt: the worker is ended
        time.sleep(60)
    if kind == "allocate":  # 4 GiB past a 300 MiB cap
        return float(np.ones(2**29).sum())
    cu.burn(0.2)
    return 1.0


def scenarios(tmp: Path) -> dict:
    import automl_core as ac
    from automl_core.runner.cluster import node_label

    out: dict = {}
    clock = cu.Clock(out)
    cluster, nodes = cu.start_cluster({"num_cpus": 1}, {"num_cpus": 1}, {"num_cpus": 1})
    addr = cluster.address
    victim = nodes[1]
    out["victim"] = node_label(victim.node_id)
    clock.lap("cluster")

    # a worker node dies mid-run: its trial runs again elsewhere and every trial is accounted for
    marks = tmp / "marks"
    marks.mkdir()
    killed: dict = {}

    def kill_when_busy():
        if cu.wait_for(lambda: (marks / f"on-{victim.node_id}").exists(), 120, 0.05):
            time.sleep(0.5)  # well inside its trial (1.5 s of work)
            killed["t"] = time.time()
            cluster.remove_node(victim, allow_graceful=False)

    killer = threading.Thread(target=kill_when_busy, daemon=True)
    killer.start()
    res = ac.tune(
        _marked_objective,
        {"x": ac.Float(0, 1), "work_s": ac.Choice([1.5]), "dir": ac.Choice([str(marks)])},
        trials=6,
        retries=2,
        address=addr,
        results_dir=tmp / "kill",
        show_progress=False,
    )
    killer.join(5)
    out["killed"] = bool(killed)
    out["kill"] = res.table[["trial_id", "status", "node", "error"]].to_dict("list")
    events = cu.journal_events(tmp / "kill")
    out["kill_retries"] = [e for e in events if e["event"] == "retry"]
    out["kill_trial_events"] = [e["trial_id"] for e in events if e["event"] == "trial"]
    out["kill_attempts"] = {e["trial_id"]: e["attempts"] for e in events if e["event"] == "trial"}
    clock.lap("node_killed")

    # limits: each of these trials ends with its own status, and the others carry on
    kinds = ["python_loop", "native_call", "allocate", "fine", "fine_too"]
    res = ac.tune(
        _limited_objective,
        {"kind": ac.Choice(kinds)},
        strategy="grid",
        trials=5,
        trial_timeout_s=2,
        memory_mb=300,
        retries=2,
        address=addr,
        results_dir=tmp / "limits",
        show_progress=False,
    )
    out["limits"] = res.table[["param.kind", "status", "error", "finished_s", "started_s"]].to_dict(
        "list"
    )
    events = cu.journal_events(tmp / "limits")
    out["limits_retries"] = [e for e in events if e["event"] == "retry"]
    clock.lap("limits")
    import ray

    ray.shutdown()
    cluster.shutdown()
    return out


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    return cu.run_scenarios(__file__, 600, str(tmp_path_factory.mktemp("faults")))


def test_a_killed_node_s_trial_is_retried_and_every_trial_is_accounted_for(found):
    assert found["killed"], "the victim node never ran a trial"
    kill = found["kill"]
    assert kill["trial_id"] == list(range(6))
    assert kill["status"] == ["ok"] * 6, kill["error"]
    # the killed trial ran again (same trial id) on a node still alive, and finished once
    assert found["kill_retries"], "no trial was retried"
    retried = {e["trial_id"] for e in found["kill_retries"]}
    assert all(found["kill_attempts"][str(n)] >= 2 for n in retried)  # JSON keys
    assert sorted(found["kill_trial_events"]) == list(range(6))
    for n in retried:
        assert kill["node"][n] != found["victim"]


def test_timeout_and_oom_end_their_trials_and_the_run_goes_on(found):
    rows = {k: s for k, s in zip(found["limits"]["param.kind"], found["limits"]["status"])}
    errors = dict(zip(found["limits"]["param.kind"], found["limits"]["error"]))
    assert rows["python_loop"] == "timeout", errors["python_loop"]
    assert rows["native_call"] == "timeout", errors["native_call"]
    assert rows["allocate"] == "oom", errors["allocate"]
    assert "ran out of memory (limit: 300 MiB per trial)" in errors["allocate"]
    assert rows["fine"] == rows["fine_too"] == "ok"
    # a timeout is not a crash to retry
    assert found["limits_retries"] == []


EXPERIMENT = """\
target = "target"
metric = "accuracy"
cleaners = []
[budget]
trials = 6
[resources]
max_concurrent = 2
[[models]]
kind = "random_forest"
n_estimators = { type = "int", low = 150, high = 250 }
"""


@pytest.mark.slow
def test_ctrl_c_keeps_what_finished_and_says_how_to_resume(tmp_path, ray_session):
    import automl_core as ac

    cu.write_cancer_csv(tmp_path / "cancer.csv")
    (tmp_path / "exp.toml").write_text(EXPERIMENT)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [cu.AUTOML, "run", "exp.toml", "--data", "cancer.csv", "--results", "out"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cu.clean_env(),
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:

        def finished():
            return sum(e["event"] == "trial" for e in cu.journal_events(out))

        assert cu.wait_for(lambda: finished() >= 2, 240), "no trial finished"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr[-3000:]
    assert f"automl resume {out.name}" in stderr or f"automl resume {out}" in stderr, stderr
    events = cu.journal_events(out)
    done_before = {e["trial_id"]: e for e in events if e["event"] == "trial"}
    assert events[-1]["event"] == "interrupted"
    kept = pd.read_csv(out / "table.csv")  # what finished is on disk already
    assert set(kept.loc[kept["status"] == "ok", "trial_id"]) == set(done_before)
    assert 2 <= len(done_before) < 6

    res = ac.resume(out, show_progress=False)

    assert list(res.table["trial_id"]) == list(range(6))
    assert (res.table["status"] == "ok").all()
    events = cu.journal_events(out)
    finished_ids = [e["trial_id"] for e in events if e["event"] == "trial"]
    assert sorted(finished_ids) == list(range(6))  # none ran twice, none lost
    for n, e in done_before.items():
        row = res.table.set_index("trial_id").loc[n]
        assert row["score"] == pytest.approx(e["score"]) and row["started_s"] == e["started_s"]
    assert events[-1]["event"] == "end"
    assert res.best_pipeline is not None


if __name__ == "__main__":
    cu.report(scenarios(Path(sys.argv[1])))
