"""Real runs: each kind through the runner on Ray, and through the autopilot's local pool; the
``automl plugins`` listing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import automl_core as ac
import pytest

pytestmark = pytest.mark.slow

KINDS = ["lightgbm", "xgboost", "catboost"]


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_runs_through_the_runner_on_ray(ray_session, mixed_table, kind):
    X, y = mixed_table
    res = ac.run(
        X.assign(y=y),
        target="y",
        strategy="random",
        trials=3,
        folds=2,
        seed=0,
        models=[{"kind": kind, "n_estimators": {"type": "int", "low": 10, "high": 40}}],
        show_progress=False,
    )
    t = res.table
    assert len(t) == 3 and (t["status"] == "ok").all(), t["error"].tolist()
    assert t[f"param.{kind}.n_estimators"].between(10, 40).all()
    assert t["score"].gt(0.6).all()  # the category and the numbers are learned
    model = res.best_pipeline.steps[-1][1]
    assert model.library == kind
    assert set(res.best_pipeline.predict(X.head(5))) <= {"no", "yes"}


def test_the_autopilot_runs_each_kind_on_its_local_pool(mixed_table):
    X, y = mixed_table
    # the portfolio's first 11 entries (by rank) hold one of each boosting kind; the run ends
    # after them (the budget is only a bound: a loaded machine must not cut it short)
    res = ac.run(
        X.assign(y=y),
        target="y",
        strategy="auto",
        time_budget_s=300,
        trials=11,
        seed=0,
        show_progress=False,
    )
    t = res.table
    ran = t.loc[t["status"] == "ok", "param.model"]
    assert set(KINDS) <= set(ran), t[["param.model", "status", "error"]]
    assert res.config.autopilot and res.info["autopilot"]["trials"] == 11


def test_automl_plugins_lists_the_plugin_and_its_kinds():
    automl = Path(sys.executable).with_name("automl")
    proc = subprocess.run([str(automl), "plugins"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("automl-core-boosting"))
    assert "(plugin 'boosting')" in lines[at]
    assert lines[at + 1].split() == ["models", "lightgbm,", "xgboost,", "catboost"]
