"""Runs on an existing multi-node Ray cluster (issue 6): placement, resources, plugin checks.

The scenarios run once, in a subprocess (this file as a script, see ``cluster_util``), on a
real ``ray.cluster_utils.Cluster``: a head without CPUs (the driver's node) and 1-CPU workers.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cluster_util as cu  # noqa: E402

pytestmark = pytest.mark.timeout(600)

EXPERIMENT = """\
data = "cancer.csv"
target = "target"
metric = "accuracy"
cleaners = [{ kind = "scale" }]
[budget]
trials = 4
[[models]]
kind = "logistic_regression"
C = { type = "float", low = 0.01, high = 10, log = true }
"""


def _objective(params):
    cu.barrier(params["dir"], 2)  # both 1-CPU workers busy at once
    cu.burn(params["work_s"])
    return params["x"]


def _gpu_objective(params):
    import ray

    cu.burn(0.3)
    return {"score": params["x"], "gpus": len(ray.get_gpu_ids())}


def _label(node) -> str:
    from automl_core.runner.cluster import node_label

    return node_label(node.node_id, socket.gethostname())


def scenarios(tmp: Path) -> dict:
    import automl_core as ac
    from automl_core.plugins import PluginError
    from automl_core.runner.cluster import ResourceError

    out: dict = {}
    clock = cu.Clock(out)
    cluster, (a, b) = cu.start_cluster({"num_cpus": 1}, {"num_cpus": 1})
    clock.lap("cluster")
    addr = cluster.address
    out["workers"] = [_label(a), _label(b)]
    space = {"x": ac.Float(0, 1), "work_s": ac.Choice([0.5]), "dir": ac.Choice([str(tmp / "b")])}

    # asking for more than any node has: an error before any trial, not a hang
    for name, kw in {"gpu": {"gpu": 1}, "cpu": {"cpu": 8}}.items():
        t0 = time.perf_counter()
        try:
            ac.tune(_objective, space, trials=2, address=addr, show_progress=False, **kw)
            out[f"{name}_error"] = None
        except ResourceError as exc:
            out[f"{name}_error"] = str(exc)
        out[f"{name}_error_s"] = time.perf_counter() - t0

    # trials spread over both workers; the node column says which ran each
    res = ac.tune(_objective, space, trials=6, address=addr, show_progress=False)
    out["spread"] = res.table[["trial_id", "status", "node"]].to_dict("list")
    clock.lap("errors+spread")

    # GPU trials (half a GPU each) go only to the node that declares a GPU
    g = cluster.add_node(num_cpus=1, num_gpus=1)
    cluster.wait_for_nodes()
    out["gpu_node"] = _label(g)
    res = ac.tune(
        _gpu_objective,
        {"x": ac.Float(0, 1)},
        trials=4,
        cpu=0.5,
        gpu=0.5,
        address=addr,
        show_progress=False,
    )
    out["gpu"] = res.table[["status", "node", "metric.gpus"]].to_dict("list")
    clock.lap("gpu")

    # a table experiment (config address): the plugin check passes on every node
    cu.write_cancer_csv(tmp / "cancer.csv")
    res = ac.run(
        tmp / "cancer.csv",
        target="target",
        models=[{"kind": "logistic_regression", "C": {"type": "float", "low": 0.1, "high": 10}}],
        cleaners=["scale"],  # not the automatic chain: faster, and the kinds are known
        trials=4,
        address=addr,
        show_progress=False,
    )
    out["table_run"] = res.table[["status", "node"]].to_dict("list")
    clock.lap("table_run")

    # the default run (the autopilot) on the cluster: its trials go through the runner, which
    # keeps its journal; resuming the finished run reads its results back
    auto = tmp / "autopilot"
    res = ac.run(
        tmp / "cancer.csv",
        target="target",
        time_budget_s=16,  # counts from the call: the nodes' check before the first trial included
        address=addr,
        results_dir=auto,
        show_progress=False,
    )
    events = cu.journal_events(auto)
    out["autopilot"] = {
        "ok": int((res.table["status"] == "ok").sum()),
        "trials": len(res.table),
        "nodes": sorted(set(res.table["node"].dropna())),
        "kind": events[0]["kind"],
        "ended": events[-1]["event"],
        "aside": len(list((auto / "resume" / "aside").glob("*.txt"))),
        "best": res.best.trial_id,
    }
    again = ac.resume(auto, show_progress=False)
    out["autopilot_again"] = {"trials": len(again.table), "best": again.best.trial_id}
    clock.lap("autopilot")

    # an objective whose module only the driver can import: one error at start, not 4 failures
    (tmp / "driver_only").mkdir()
    (tmp / "driver_only" / "driver_only_objective.py").write_text(
        "def objective(params):\n    return params['x']\n"
    )
    sys.path.insert(0, str(tmp / "driver_only"))
    from driver_only_objective import objective as driver_only

    try:
        ac.tune(driver_only, {"x": ac.Float(0, 1)}, trials=4, address=addr, show_progress=False)
        out["objective_error"] = None
    except PluginError as exc:
        out["objective_error"] = str(exc)
    clock.lap("objective_error")

    # a node whose Python lacks the builtin plugin: a clear error at start (RAY_ADDRESS path)
    m = cluster.add_node(num_cpus=1, env_vars={"AUTOML_CORE_DISABLE_PLUGINS": "builtin"})
    cluster.wait_for_nodes()
    out["bad_node"] = _label(m)
    (tmp / "exp.toml").write_text(EXPERIMENT)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [cu.AUTOML, "run", "exp.toml", "--quiet", "--results", "bad"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=300,
        env=cu.clean_env(RAY_ADDRESS=addr),
    )
    out["cli_missing"] = {
        "rc": proc.returncode,
        "stderr": proc.stderr[-3000:],
        "s": time.perf_counter() - t0,
        "journal_trials": sum(e["event"] == "trial" for e in cu.journal_events(tmp / "bad")),
    }
    clock.lap("cli_missing")
    import ray

    ray.shutdown()
    cluster.shutdown()
    return out


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    return cu.run_scenarios(__file__, 600, str(tmp_path_factory.mktemp("cluster")))


def test_too_many_resources_is_an_error_before_the_run(found):
    assert found["gpu_error"] and "resources.gpu" in found["gpu_error"]
    assert "no node of the cluster has a GPU" in found["gpu_error"]
    assert found["cpu_error"] and "resources.cpu" in found["cpu_error"]
    assert "asks for 8 CPU but the largest node has 1" in found["cpu_error"]
    # nothing was scheduled: no waiting for a node that will never come
    assert found["gpu_error_s"] < 30 and found["cpu_error_s"] < 10


def test_trials_spread_over_nodes_and_the_node_column_says_where(found):
    spread = found["spread"]
    assert spread["trial_id"] == list(range(6))
    assert set(spread["status"]) == {"ok"}
    assert set(spread["node"]) == set(found["workers"])  # both workers, readable labels


def test_gpu_trials_run_only_on_the_node_with_a_gpu(found):
    gpu = found["gpu"]
    assert set(gpu["status"]) == {"ok"}
    assert set(gpu["node"]) == {found["gpu_node"]}
    assert set(gpu["metric.gpus"]) == {1}  # Ray handed each trial the GPU (shared, 0.5 each)


def test_a_table_experiment_runs_on_the_cluster(found):
    table = found["table_run"]
    assert table["status"] == ["ok"] * 4
    assert set(table["node"]) <= set(found["workers"]) | {found["gpu_node"]}


def test_the_autopilot_runs_on_the_cluster_with_a_journal(found):
    auto = found["autopilot"]
    assert auto["ok"] >= 2 and auto["kind"] == "autopilot" and auto["ended"] == "end"
    assert set(auto["nodes"]) <= set(found["workers"]) | {found["gpu_node"]}
    assert 1 <= auto["aside"] <= 12  # out-of-fold predictions of the ensemble's candidates
    # resuming the finished run: the same table and best trial, no trial run again
    assert found["autopilot_again"] == {"trials": auto["trials"], "best": auto["best"]}


def test_an_objective_the_workers_cannot_load_is_one_clear_error_at_start(found):
    err = found["objective_error"]
    assert err and "cannot load the objective" in err
    assert "No module named 'driver_only_objective'" in err
    assert all(w in err for w in found["workers"])  # each node is named


def test_a_plugin_missing_on_a_node_is_one_clear_error_at_start(found):
    bad = found["cli_missing"]
    assert bad["rc"] == 2, bad["stderr"]
    assert found["bad_node"] in bad["stderr"]
    assert "model 'logistic_regression'" in bad["stderr"]
    assert "automl-core==0.1.0" in bad["stderr"]  # which distribution it needs
    assert "runtime_env" in bad["stderr"]  # says how to fix it
    assert bad["journal_trials"] == 0  # no trial ran


if __name__ == "__main__":
    cu.report(scenarios(Path(sys.argv[1])))
