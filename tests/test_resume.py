"""Resume after the driver dies (issue 6): the journal, the strategy snapshots, ``automl resume``.

The kill test runs on a real multi-node ``ray.cluster_utils.Cluster`` in a subprocess (this
file as a script): a driver process runs ``ac.tune`` against it and is killed with SIGKILL
mid-run; ``automl resume`` then finishes the experiment on the same cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cluster_util as cu  # noqa: E402

import automl_core as ac  # noqa: E402
from automl_core.seeds import derive_seed  # noqa: E402
from automl_core.trials.journal import Journal  # noqa: E402
from automl_core.trials.replay import restore  # noqa: E402

SPACE = {"a": ac.Float(0, 1), "b": ac.Int(0, 10)}
N_TRIALS = 12


def _objective(params):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.6:  # real work, not sleep
        pass
    return params["a"] * 2 + params["b"]


def _driver(address: str, results: str) -> None:
    """The process the test kills: a plain ``ac.tune`` run on the cluster."""
    ac.tune(
        _objective,
        SPACE,
        strategy="random",
        trials=N_TRIALS,
        address=address,
        results_dir=results,
        show_progress=False,
    )


def _kill_once_finished(
    proc: subprocess.Popen, results: Path, n: int, timeout: float, every: float
) -> bool:
    """SIGKILL ``proc``'s process group (the driver, and a local pool's workers) once its
    journal holds ``n`` finished trials, or it ended, or ``timeout`` passed; whether it did
    in time."""
    in_time = cu.wait_for(
        lambda: (
            sum(e["event"] == "trial" for e in cu.journal_events(results)) >= n
            or proc.poll() is not None
        ),
        timeout,
        every,
    )
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return in_time


def _automl_resume(results: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [cu.AUTOML, "resume", str(results), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env=cu.clean_env(),
    )


def scenarios(tmp: Path) -> dict:
    out: dict = {}
    clock = cu.Clock(out)
    cluster, nodes = cu.start_cluster({"num_cpus": 1}, {"num_cpus": 1})
    out["workers"] = [n.node_id[:8] for n in nodes]
    clock.lap("cluster")
    results = tmp / "run"
    driver = subprocess.Popen(
        [cu.PYTHON, __file__, "driver", cluster.address, str(results)],
        env=cu.clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )

    if not _kill_once_finished(driver, results, 3, 300, 0.05):
        out["error"] = "no trial finished in time"
    out["before"] = cu.journal_events(results)
    clock.lap("run_until_killed")

    t0 = time.time()
    proc = _automl_resume(results)
    out["resume"] = {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr[-3000:]}
    out["resume_started"] = t0
    out["after"] = cu.journal_events(results)
    if (results / "table.csv").exists():
        out["table"] = pd.read_csv(results / "table.csv").to_dict("list")
    clock.lap("resume")

    # the default run (the autopilot) killed mid-search on the cluster, then resumed there
    csv = cu.write_cancer_csv(tmp / "cancer.csv")
    cmd = [cu.PYTHON, __file__, "autopilot", cluster.address, str(tmp / "auto"), str(csv)]
    out["autopilot"] = _autopilot_kill_and_resume(cmd, tmp, tmp / "auto")
    clock.lap("autopilot")
    cluster.shutdown()
    return out


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    return cu.run_scenarios(__file__, 600, "scenarios", str(tmp_path_factory.mktemp("resume")))


def _expected_points(n: int) -> list[dict]:
    """What an uninterrupted random search with seed 0 asks for (it ignores outcomes)."""
    space = ac.SearchSpace.from_dict(SPACE)
    strategy = (
        ac.get_registry()
        .get("strategy", "random")()
        .build(space, "max", derive_seed(0, "strategy"))
    )
    return [strategy.ask(str(i)) for i in range(n)]


@pytest.mark.timeout(600)
def test_driver_killed_then_automl_resume_finishes_the_experiment(found):
    before, after = found["before"], found["after"]
    assert found["resume"]["rc"] == 0, found["resume"]["stderr"]
    done_before = {e["trial_id"]: e for e in before if e["event"] == "trial"}
    assert len(done_before) >= 3 and not any(e["event"] == "end" for e in before)

    # exactly the requested trials, each finished once: none lost, none run again
    table = pd.DataFrame(found["table"])
    assert list(table["trial_id"]) == list(range(N_TRIALS))
    assert (table["status"] == "ok").all()
    finished = [e["trial_id"] for e in after if e["event"] == "trial"]
    assert sorted(finished) == list(range(N_TRIALS))
    resumed_at = next(i for i, e in enumerate(after) if e["event"] == "resume")
    relaunched = {e["trial_id"] for e in after[resumed_at:] if e["event"] == "launch"}
    assert not relaunched & set(done_before)
    for n, e in done_before.items():  # the rows kept are the rows written before the kill
        assert table.loc[n, "score"] == pytest.approx(e["score"])
        assert table.loc[n, "started_s"] == pytest.approx(e["started_s"])

    # the trials running at the kill ran again with the same id, params and seed
    rerun = after[resumed_at]["rerun"]
    asked = {e["trial_id"]: e for e in after if e["event"] == "ask"}
    assert rerun and all(n not in done_before for n in rerun)
    assert len([e for e in after if e["event"] == "ask"]) == N_TRIALS  # no trial asked twice

    # the strategy went on from its saved state: the points are those of an unbroken run
    expected = _expected_points(N_TRIALS)
    for n in range(N_TRIALS):
        assert asked[n]["point"] == pytest.approx(expected[n])
        assert asked[n]["seed"] == derive_seed(0, "trial", n)
    assert {n.split("@")[0] for n in table["node"]} <= set(found["workers"])
    assert after[-1]["event"] == "end"


# -- the journal and the strategy restore, without Ray ---------------------------------------


def test_a_torn_last_line_is_cut_off_and_the_journal_goes_on(tmp_path):
    j = Journal.create(tmp_path, n_trials=3)
    j.append("ask", trial_id=0, point={"a": 1.5}, params={"a": 1.5}, seed=1)
    j.close()
    with open(tmp_path / "journal.jsonl", "a") as f:
        f.write('{"event":"trial","trial_id":0,"sta')  # SIGKILL in the middle of a write
    j = Journal.open(tmp_path)
    assert [e["event"] for e in j.events] == ["start", "ask"]
    j.append("launch", trial_id=0, attempt=1)
    j.close()
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert [json.loads(x)["event"] for x in lines] == ["start", "ask", "launch"]


def test_elapsed_time_counts_each_process_from_its_start_to_its_last_event(tmp_path):
    events = [
        {"event": "start", "t": 100.0},
        {"event": "trial", "t": 130.0},
        {"event": "resume", "t": 500.0},  # the machine was down in between
        {"event": "trial", "t": 510.0},
    ]
    assert Journal(tmp_path, events).elapsed_s() == pytest.approx(40.0)


def _searcher(strategy_kind: str, tmp: Path, journal: Journal, **spec):
    from automl_core.runner.searcher import EngineSearcher
    from automl_core.trials.engine import TrialEngine

    space = ac.SearchSpace.from_dict({"a": ac.Float(0, 1), "b": ac.Int(0, 10)})
    strategy = ac.get_registry().get("strategy", strategy_kind)(**spec).build(space, "max", seed=7)
    engine = TrialEngine(strategy, space, seed=0, mode="max", n_trials=12, journal=journal)
    return EngineSearcher(engine)


@pytest.mark.parametrize("kind,spec", [("random", {}), ("gp", {"n_initial": 3})])
def test_a_restored_strategy_asks_what_the_lost_one_would_have(tmp_path, kind, spec):
    """Snapshot + replay of the events after it == the strategy of the process that died."""
    live = _searcher(kind, tmp_path, Journal.create(tmp_path, n_trials=12), **spec)
    snap = tmp_path / "resume" / "strategy.pkl"

    def finish(tune_id: str, n: int) -> None:
        score = float(n % 5) / 5 + 0.1 * n
        live.on_trial_complete(tune_id, {"final": True, "status": "ok", "score": score})

    for i in range(4):
        live.suggest(f"t{i}")
    finish("t1", 1)
    finish("t0", 0)
    live.suggest("t4")
    stale = snap.read_bytes()  # the process dies after the next journal line, before its snapshot
    finish("t3", 3)
    snap.write_bytes(stale)
    # what the live strategy asks next, had the process lived
    expected = live.engine.strategy.ask("5")

    journal = Journal.open(tmp_path)
    fresh = _searcher(kind, tmp_path, journal, **spec).engine.strategy
    state = restore(journal, fresh)
    assert sorted(state.finished) == [0, 1, 3]
    assert [n for n, _, _ in state.rerun] == [2, 4]  # handed out, never finished
    assert state.next_id == 5
    assert fresh.ask("5") == pytest.approx(expected)


@pytest.mark.slow
def test_resuming_a_finished_run_runs_nothing_and_rebuilds_its_results(tmp_path, ray_session):
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    first = ac.run(
        df,
        target="target",
        models=[{"kind": "logistic_regression", "C": {"type": "float", "low": 0.1, "high": 10}}],
        cleaners=["scale"],
        trials=3,
        results_dir=tmp_path / "r",
        show_progress=False,
    )
    n_events = len(cu.journal_events(tmp_path / "r"))
    again = ac.resume(tmp_path / "r", show_progress=False)
    assert len(cu.journal_events(tmp_path / "r")) == n_events  # nothing ran, nothing logged
    cols = ["trial_id", "status", "score", "config_hash", "seed"]
    pd.testing.assert_frame_equal(again.table[cols], first.table[cols])
    assert again.best.trial_id == first.best.trial_id
    # a moved results folder resumes from where it is now
    shutil.move(tmp_path / "r", tmp_path / "moved")
    moved = ac.resume(tmp_path / "moved", show_progress=False)
    assert moved.results_dir == tmp_path / "moved" and len(moved.table) == 3


def test_resume_of_a_folder_without_journal_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no journal.jsonl"):
        ac.resume(tmp_path)
    proc = subprocess.run(
        [cu.AUTOML, "resume", str(tmp_path)], capture_output=True, text=True, env=cu.clean_env()
    )
    assert proc.returncode == 2 and "journal.jsonl" in proc.stderr


#: the default run's budget on the cluster, where the first 4 trials wait for the nodes' workers
#: (about 7 s measured); on one machine they take about 2 s and a shorter budget tests the same
AUTOPILOT_BUDGET_S = 30
LOCAL_AUTOPILOT_BUDGET_S = 20
AUTOPILOT_TOML = f"""\
data = "cancer.csv"
target = "target"
strategy = "auto"
test_size = 0.25
[budget]
time_s = {LOCAL_AUTOPILOT_BUDGET_S}
"""


def _autopilot_driver(address: str, results: str, csv: str) -> None:
    """The process the cluster scenario kills: the default run, on the cluster."""
    ac.run(
        csv,
        target="target",
        time_budget_s=AUTOPILOT_BUDGET_S,
        test_size=0.25,
        address=address,
        results_dir=results,
        show_progress=False,
    )


def _autopilot_kill_and_resume(cmd: list[str], cwd: Path, results: Path) -> dict:
    """Start an autopilot run (``cmd``), SIGKILL it once 4 trials finished, then run
    ``automl resume``; what the folder held before and after."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cu.clean_env(),
        start_new_session=True,
    )

    _kill_once_finished(proc, results, 4, 180, 0.02)
    out = {
        "before": cu.journal_events(results),
        "aside": sorted(int(p.stem) for p in (results / "resume" / "aside").glob("*.txt")),
    }
    t0 = time.perf_counter()
    cli = _automl_resume(results)
    out["resume"] = {"rc": cli.returncode, "stderr": cli.stderr[-3000:]}
    out["resume_s"] = time.perf_counter() - t0
    out["after"] = cu.journal_events(results)
    if (results / "info.json").exists():
        out["info"] = json.loads((results / "info.json").read_text())
        out["table"] = pd.read_csv(results / "table.csv")[["trial_id", "node"]].to_dict("list")
    return out


def _check_autopilot_resume(r: dict, budget_s: float, start_slack_s: float) -> None:
    before, after = r["before"], r["after"]
    assert before[0]["kind"] == "autopilot"
    assert not any(e["event"] == "end" for e in before), "killed too late: the search ended"
    done_before = {e["trial_id"]: e for e in before if e["event"] == "trial"}
    assert len(done_before) >= 4
    spent = before[-1]["t"] - before[0]["t"]
    assert spent < budget_s / 2, f"the first 4 trials took {spent:.1f} s"
    # the out-of-fold predictions are kept aside, not in the journal's lines (a kill may fall
    # between a trial's file and its line: at most one per running trial)
    assert r["aside"] and len(set(r["aside"]) - set(done_before)) <= 2
    assert all("oof" not in e["metrics"] for e in done_before.values())

    assert r["resume"]["rc"] == 0, r["resume"]["stderr"]
    resumed = next(e for e in after if e["event"] == "resume")
    assert resumed["done"] == len(done_before)
    # nothing finished was run again, the kept rows are those written before the kill, and
    # the search went on
    finished = [e["trial_id"] for e in after if e["event"] == "trial"]
    assert len(finished) == len(set(finished)) > len(done_before)
    assert [e for e in after if e["event"] == "trial"][: len(done_before)] == list(
        done_before.values()
    )
    assert after[-1]["event"] == "end"
    # the results: every finished trial in the table, a refit pipeline with a test score
    assert set(finished) <= set(r["table"]["trial_id"])
    assert r["info"]["autopilot"]["resumed_after_s"] >= spent
    assert 0.5 < r["info"]["test_score"] <= 1.0
    # the budget counts the whole experiment: the resumed process had what was left (plus its
    # start: Python, the experiment's pickle, the pool or Ray; and the refit the budget allows)
    assert r["resume_s"] < budget_s - spent + start_slack_s, (r["resume_s"], spent)


def test_a_killed_autopilot_run_resumes_with_what_is_left_of_its_budget(tmp_path):
    """The default run (strategy "auto") on one machine (trials on threads), killed mid-search."""
    cu.write_cancer_csv(tmp_path / "cancer.csv")
    (tmp_path / "exp.toml").write_text(AUTOPILOT_TOML)
    cmd = [cu.AUTOML, "run", "exp.toml", "--quiet", "--results", "out"]
    _check_autopilot_resume(
        _autopilot_kill_and_resume(cmd, tmp_path, tmp_path / "out"), LOCAL_AUTOPILOT_BUDGET_S, 15
    )


@pytest.mark.timeout(600)
def test_a_killed_autopilot_run_on_the_cluster_resumes_there(found):
    """The same on the cluster: the autopilot's trials go through the runner."""
    _check_autopilot_resume(found["autopilot"], AUTOPILOT_BUDGET_S, 20)
    # the node of each trial that ran (a trial cancelled at the budget's end has none)
    nodes = {n.split("@")[0] for n in found["autopilot"]["table"]["node"] if isinstance(n, str)}
    assert nodes and nodes <= set(found["workers"])


if __name__ == "__main__":
    if sys.argv[1] == "driver":
        _driver(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "autopilot":
        _autopilot_driver(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        cu.report(scenarios(Path(sys.argv[2])))
