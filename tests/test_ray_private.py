"""Ray's private API behind one fence (automl_core/runner/ray_private.py, issue 14 item 4).

The real experiment on the public path needs a Ray started with the private path off, so it
runs in a fresh Python (this file as a script, see ``cluster_util``): the pytest process holds
the session's embedded Ray, started on the private path.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import cluster_util as cu  # noqa: E402

from automl_core.runner import ray_private  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize(
    "version, ok",
    [
        ("2.60.0", True),
        ("2.60.3", True),
        ("2.61.0", False),
        ("2.59.2", False),
        ("2.61.0.dev0", False),  # a nightly of the next version
        ("2.60.0rc1", False),  # pre-releases were not tested
        ("3.0.0.dev0", False),  # master's nightly
        ("not a version", False),
    ],
)
def test_the_tested_range(version, ok):
    assert ray_private.in_tested_range(version) is ok


def test_the_installed_ray_is_the_tested_one():
    """pyproject.toml pins the range; a Ray outside it would take the public path."""
    import ray

    assert ray_private.in_tested_range(ray.__version__), ray.__version__


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_untested_ray_takes_the_public_path_with_exactly_one_warning(monkeypatch, caplog):
    from automl_core.runner import warm

    # the process's fence, judging a made-up version (our object, not Ray's)
    monkeypatch.setattr(ray_private, "FENCE", ray_private.Fence(version="2.59.0"))
    with caplog.at_level(logging.INFO, logger=ray_private.__name__):
        assert not ray_private.FENCE.enabled()
        # every private use takes the public path
        assert ray_private.embedded_system_config("automl_core.runner.worker_preload") == {}
        assert ray_private.prestart_workers(2, 60) is False
        assert ray_private.session_dir() is None
        assert warm.preload_path() is None
        assert warm.set_worker_preload("core") is False
        assert ray_private.gcs_accepts("127.0.0.1:1") is None
        assert warm.prestart_when_free(2, wait_s=0.1).join(5) is None
        # a later failure report does not warn again
        ray_private.FENCE.fail("prestarting 2 Ray workers", RuntimeError("boom"))
    warnings = _warnings(caplog)
    assert len(warnings) == 1, warnings
    (text,) = warnings
    assert "Ray 2.59.0 is outside the range automl-core was tested with (>=2.60,<2.61)" in text
    assert "Skipped: warm workers" in text and "preload_python_modules" in text
    assert "AUTOML_RAY_PRIVATE=0" in text  # how to choose the public path on purpose


def test_a_failure_on_the_private_path_warns_once_and_turns_it_off(caplog):
    fence = ray_private.Fence(version="2.60.0")
    with caplog.at_level(logging.INFO, logger=ray_private.__name__):
        assert fence.enabled()
        fence.fail("prestarting 2 Ray workers", ConnectionError("socket closed"))
        fence.fail("reading the Ray session directory", OSError("gone"))
        assert not fence.enabled()
    warnings = _warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "prestarting 2 Ray workers failed (ConnectionError: socket closed)" in warnings[0]


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_the_switch_turns_the_private_path_off_without_a_warning(monkeypatch, caplog, value):
    monkeypatch.setenv(ray_private.SWITCH, value)
    fence = ray_private.Fence(version="2.60.0")
    with caplog.at_level(logging.INFO, logger=ray_private.__name__):
        assert not fence.enabled()
    assert fence.off_reason == f"AUTOML_RAY_PRIVATE={value}"
    assert _warnings(caplog) == []  # the user chose it
    assert any("private API is off" in r.getMessage() for r in caplog.records)


def _trial(params):
    """Where the trial ran: its process, its niceness, whether it preloaded our stack."""
    import os
    import sys

    return {
        "score": params["x"] ** 2,
        "pid": os.getpid(),
        "niceness": os.nice(0),
        "preloaded": "automl_core.runner.worker_preload" in sys.modules,
    }


def public_path_run() -> dict:
    """In a fresh Python with AUTOML_RAY_PRIVATE=0: a small real ``ac.tune`` on 2 CPUs."""
    import automl_core as ac
    from automl_core.runner import warm
    from automl_core.runner.session import ensure_ray

    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("automl_core").addHandler(handler)
    logging.getLogger("automl_core").setLevel(logging.INFO)

    ensure_ray(num_cpus=2)
    res = ac.tune(_trial, {"x": ac.Float(0, 1)}, trials=6, seed=3, show_progress=False)
    table = res.table
    return {
        "status": list(table["status"]),
        "score_ok": bool((table["score"] - table["param.x"] ** 2).abs().max() < 1e-12),
        "n": len(table),
        "preloaded": [bool(v) for v in table["metric.preloaded"]],
        "worker_niceness": sorted(set(int(v) for v in table["metric.niceness"])),
        "driver_niceness": os.nice(0),
        "off_reason": ray_private.FENCE.off_reason,
        "set_worker_preload": warm.set_worker_preload("core"),
        "warnings": [r.getMessage() for r in records if r.levelno >= logging.WARNING],
    }


@pytest.mark.slow
def test_a_real_experiment_runs_with_the_private_path_off():
    env = cu.clean_env(AUTOML_RAY_PRIVATE="0")
    proc = subprocess.run(
        [cu.PYTHON, __file__],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=str(cu.ROOT),
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(cu.MARK)]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    found = json.loads(lines[-1][len(cu.MARK) :])
    assert found["n"] == 6 and found["status"] == ["ok"] * 6
    assert found["score_ok"]  # each trial's score is its own objective's value
    assert found["off_reason"] == "AUTOML_RAY_PRIVATE=0"
    assert found["warnings"] == []  # the user's choice: no warning
    # the public path: no preload module, no prestart, no profile file, Ray's own niceness
    assert not any(found["preloaded"])
    assert found["set_worker_preload"] is False
    assert min(found["worker_niceness"]) > found["driver_niceness"], found


if __name__ == "__main__":
    cu.report(public_path_run())
