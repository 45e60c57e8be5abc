"""Helpers for the multi-node tests (issue 6): a real Ray cluster of several nodes on this machine.

Each cluster test file runs *itself* as a script in a subprocess (``run_scenarios``): the
pytest process holds the session's embedded Ray (``ray_session``), and one process can be
connected to one Ray only. The script starts a ``ray.cluster_utils.Cluster``, plays its
scenarios in order, and prints one JSON line of findings that the test functions check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
AUTOML = str(Path(PYTHON).with_name("automl"))
MARK = "SCENARIOS-JSON "

#: detect a killed node in ~1.5 s instead of Ray's default ~30 s
FAST_FAILURE_DETECTION = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 500,
    "health_check_failure_threshold": 3,
}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: no inherited Ray address, no disabled plugins."""
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS",)}
    env.pop("AUTOML_CORE_DISABLE_PLUGINS", None)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "tests")])
    env.update(extra)
    return env


#: the line a fresh-process script prints its findings on (see :func:`run_fresh_script`)
RESULT = "RESULT "


def run_fresh_script(script: str, cwd: str | Path, timeout: float) -> tuple[dict, str]:
    """Run ``script`` with ``python -c`` in a fresh process (no inherited Ray address, so it
    starts its own embedded Ray) in ``cwd``; the JSON of its last ``RESULT `` line, and its
    stderr. Fails the test, with the child's output, when it exits non-zero or prints none."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    out = subprocess.run(
        [PYTHON, "-c", script], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )
    lines = [x for x in out.stdout.splitlines() if x.startswith(RESULT)]
    assert out.returncode == 0 and lines, out.stdout[-2000:] + out.stderr[-4000:]
    return json.loads(lines[-1][len(RESULT) :]), out.stderr


def run_scenarios(script: str | Path, timeout: float = 600, *args: str) -> dict:
    """Run ``script`` (a test file's ``__main__``) and return the JSON it printed last."""
    proc = subprocess.run(
        [PYTHON, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        cwd=str(ROOT),
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise AssertionError(
        f"{script} printed no findings (exit {proc.returncode}):\n"
        f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-6000:]}"
    )


def report(findings: dict) -> None:
    print(MARK + json.dumps(findings, default=str), flush=True)


class Clock:
    """Seconds per scenario, reported with the findings (the suite must stay fast)."""

    def __init__(self, out: dict):
        self.out = out.setdefault("timings", {})
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.out[name] = round(now - self.t, 2)
        self.t = now


def start_cluster(
    *nodes: dict, head_cpus: int = 0, system_config: dict | None = FAST_FAILURE_DETECTION
):
    """A head node (no CPUs by default: the driver's node runs no trials) plus ``nodes``.

    ``system_config``: the cluster's Ray settings (default: fast failure detection; None:
    Ray's own defaults, as a real cluster has them)."""
    from ray.cluster_utils import Cluster

    head_args: dict = {"num_cpus": head_cpus, "include_dashboard": False}
    if system_config:
        head_args["_system_config"] = system_config
    cluster = Cluster(initialize_head=True, connect=False, head_node_args=head_args)
    handles = [cluster.add_node(**n) for n in nodes]
    cluster.wait_for_nodes()
    return cluster, handles


def burn(seconds: float) -> int:
    """Real CPU work (not sleep) for ``seconds``."""
    t0 = time.perf_counter()
    n = 0
    while time.perf_counter() - t0 < seconds:
        n += 1
    return n


def barrier(directory: str | Path, n: int, timeout: float = 120) -> None:
    """Mark this trial as running, then wait until ``n`` trials are (or ``timeout``).

    With 1-CPU nodes, ``n`` trials running at once are on ``n`` different nodes. Without it a
    warm worker can run every short trial while a cold node is still starting its worker.
    """
    import uuid

    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    (d / uuid.uuid4().hex).touch()
    wait_for(lambda: len(list(d.iterdir())) >= n, timeout, 0.05)


def write_cancer_csv(path: Path) -> Path:
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    df.to_csv(path, index=False)
    return path


def journal_events(results_dir: Path) -> list[dict]:
    path = Path(results_dir) / "journal.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:  # a line being written
            pass
    return out


def wait_for(predicate, timeout: float, every: float = 0.2) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return True
        time.sleep(every)
    return False
