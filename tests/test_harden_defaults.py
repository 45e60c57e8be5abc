"""Smaller defaults that surprised (issue 15, case 16): a run leaves nothing in the system
temp directory, and what a user's objective prints has a documented place."""

from __future__ import annotations

import tempfile
from pathlib import Path

import automl_core as ac


def _leftovers() -> set[Path]:
    tmp = Path(tempfile.gettempdir())
    return set(tmp.glob("automl_ray_*")) | set(tmp.glob("automl_pool_*"))


def test_runs_leave_no_folder_in_the_temp_directory(ray_session):
    before = _leftovers()
    for executor in ("ray", "local"):
        res = ac.tune(
            lambda p: p["x"],
            {"x": ac.Float(0, 1)},
            trials=2,
            executor=executor,
            show_progress=False,
        )
        assert res.table["status"].tolist() == ["ok", "ok"]
    assert _leftovers() - before == set()


def test_an_objective_s_print_lands_in_the_ray_worker_logs_the_readme_names(ray_session):
    import time
    import uuid

    from automl_core.runner.ray_private import session_dir

    token = f"printed-{uuid.uuid4().hex}"

    def noisy(p):
        print(token, flush=True)
        return p["x"]

    ac.tune(noisy, {"x": ac.Float(0, 1)}, trials=1, show_progress=False)
    logs = Path(session_dir()) / "logs"
    deadline = time.time() + 30
    found = []
    while time.time() < deadline and not found:
        found = [f for f in logs.glob("worker-*.out") if token in f.read_text(errors="replace")]
        time.sleep(0.5)
    assert found, f"{token} in none of {logs}/worker-*.out"
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "session_latest/logs/worker-*.out" in readme
