"""The automl command line, run as a user runs it (a subprocess with its own embedded Ray)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
from sklearn.datasets import load_wine


def automl(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "automl_core.interfaces.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_run_prints_progress_and_best_rows_and_writes_results(tmp_path):
    data = load_wine(as_frame=True).frame
    data.to_csv(tmp_path / "wine.csv", index=False)
    (tmp_path / "exp.toml").write_text(
        'target = "target"\nmetric = "accuracy"\ntest_size = 0.25\n'
        "[budget]\ntrials = 4\n"
        '[strategy]\nkind = "random"\n'
        '[[models]]\nkind = "logistic_regression"\n'
        'C = { type = "float", low = 0.01, high = 100, log = true }\n'
    )
    proc = automl("run", "exp.toml", "--data", "wine.csv", "--results", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "[4/4] best accuracy" in proc.stderr  # the progress display
    assert "trial_id" in proc.stdout and "logistic_regression.C" in proc.stdout
    assert "test accuracy of the refit best pipeline" in proc.stdout
    # Ray's own tables and logs do not reach the console
    assert "Trial status" not in proc.stdout + proc.stderr
    table = pd.read_csv(tmp_path / "out" / "table.csv")
    assert len(table) == 4 and (table["status"] == "ok").all()
    assert (tmp_path / "out" / "best_pipeline.joblib").exists()


def test_bad_data_exits_2_naming_the_column(tmp_path):
    pd.DataFrame({"a": [1, 2, 3], "y": [1, 1, 1]}).to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "exp.toml").write_text('target = "y"\ntask = "classification"\n')
    proc = automl("run", "exp.toml", "--data", "d.csv", cwd=tmp_path)
    assert proc.returncode == 2
    assert "'y'" in proc.stderr and "single class" in proc.stderr


def test_plugins_lists_distributions_versions_and_kinds():
    proc = automl("plugins")
    assert proc.returncode == 0
    assert "automl-core 0.1.0" in proc.stdout
    assert "svc" in proc.stdout and "random" in proc.stdout and "impute" in proc.stdout
