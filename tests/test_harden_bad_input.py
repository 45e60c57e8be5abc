"""Issue 15, bad input (cases 6, 7, 8): one clear DataError, `automl run` exits 2, no traceback.

Every case here fails before the first trial, so no test needs Ray: the CLI runs are real
`automl` processes that stop at the data check.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

import automl_core as ac
from automl_core.data.check import DataError
from automl_core.data.read import read_table
from automl_core.evaluation.cv import make_folds, split_rows


def automl(*args, cwd):
    """The real command line, as a user runs it (its own process)."""
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}
    return subprocess.run(
        [sys.executable, "-m", "automl_core", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


def assert_exit_2(proc, *fragments):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    for f in fragments:
        assert f in proc.stderr, proc.stderr


def _parquet_bytes() -> bytes:
    import io

    buf = io.BytesIO()
    pd.DataFrame({"a": np.arange(500), "y": np.arange(500) % 2}).to_parquet(buf)
    return buf.getvalue()


# name, bytes, fragments of the message (besides the file name)
BAD_FILES = [
    (
        "ragged.csv",
        b"a,b,y\n1,2,0\n3,4,1,9\n5,6,0\n",
        ["line 3 has 4 fields but the header has 3"],
    ),
    # pandas read this one silently, shifting every column by one (the first one became the index)
    (
        "ragged_first_row.csv",
        b"a,b,y\n1,2,0,5\n3,4,1\n",
        ["line 2 has 4 fields but the header has 3"],
    ),
    (
        "latin1.csv",
        "a,name,y\n1,caf\xe9,0\n2,tea,1\n".encode("latin-1"),
        ["is not utf-8 text", "byte 0xe9 at offset 14 (line 2)", "iconv", "encoding="],
    ),
    ("empty.csv", b"", ["is empty (0 bytes)"]),
    ("header_only.csv", b"a,b,y\n", ["has a header (3 columns) but no rows"]),
    ("unclosed_quote.csv", b'a,b,y\n1,"2,0\n3,4,1\n', ["never closed"]),
    ("excel.csv", b"PK\x03\x04rest of a zip", ["not a CSV file", "Excel"]),
    ("truncated.parquet", _parquet_bytes()[:300], ["not a readable Parquet file", "truncated"]),
    ("not_parquet.parquet", b"a,y\n1,0\n2,1\n", ["not a readable Parquet file"]),
    ("parquet_named.csv", _parquet_bytes(), ["looks like a Parquet file", ".parquet"]),
]


@pytest.mark.parametrize("name,content,fragments", BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_unreadable_file_is_a_data_error_naming_file_and_problem(
    tmp_path, name, content, fragments
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as exc:
        read_table(path)
    text = str(exc.value)
    assert name in text, text
    for f in fragments:
        assert f in text, text
    # ac.run reads the file the same way, before anything else
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        ac.run(path, target="y", trials=1, show_progress=False)


@pytest.mark.parametrize("name,content,fragments", BAD_FILES[:4], ids=[c[0] for c in BAD_FILES[:4]])
def test_automl_run_on_an_unreadable_file_exits_2_without_traceback(
    tmp_path, name, content, fragments
):
    (tmp_path / name).write_bytes(content)
    (tmp_path / "exp.toml").write_text('target = "y"\n[budget]\ntrials = 1\n')
    proc = automl("run", "exp.toml", "--data", name, "--results", "out", cwd=tmp_path)
    assert_exit_2(proc, name, *fragments)


def test_truncated_parquet_from_the_config_exits_2(tmp_path):
    (tmp_path / "d.parquet").write_bytes(_parquet_bytes()[:300])
    (tmp_path / "exp.toml").write_text('data = "d.parquet"\ntarget = "y"\n')
    assert_exit_2(automl("run", "exp.toml", cwd=tmp_path), "d.parquet", "truncated")


def test_an_unreadable_file_or_a_missing_target_is_refused_before_ray_starts(tmp_path):
    """The file is read and the target looked for before Ray starts (a fresh process: the
    session's Ray would hide it), so a wrong path, a bad file or a misspelt target is an error
    in about a second, and no Ray is left to stop."""
    import cluster_util as cu  # tests/ is on sys.path (pytest prepends a test file's folder)

    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "ok.csv").write_text("a,y\n1,0\n2,1\n3,0\n4,1\n")
    script = (
        "import json, ray, automl_core as ac\n"
        "from automl_core.data.check import DataError\n"
        "found = {}\n"
        "for name in ('empty.csv', 'no_such_table.csv', 'ok.csv'):\n"
        "    try:\n"
        "        ac.run(name, target='Y', trials=2, show_progress=False)\n"
        "    except DataError as exc:\n"
        "        found[name] = str(exc)\n"
        "found['ray_started'] = ray.is_initialized()\n"
        "print('RESULT ' + json.dumps(found))\n"
    )
    found, _ = cu.run_fresh_script(script, tmp_path, timeout=120)
    assert "is empty (0 bytes)" in found["empty.csv"]
    assert "does not exist" in found["no_such_table.csv"]
    assert "target column 'Y' is not in the table (columns: ['a', 'y'])" in found["ok.csv"]
    assert found["ray_started"] is False


def test_a_bad_config_is_named_before_a_bad_file():
    """A run on Ray validates its config first, as before the file was read before Ray."""
    from automl_core.config import ConfigError

    with pytest.raises(ConfigError, match="no_such_model"):
        ac.run("no_such_table.csv", target="y", models=["no_such_model"], trials=2)


def test_a_file_in_another_encoding_reads_when_told_which():
    # not UTF-8 is refused, never guessed; read_table(encoding=...) is the way in
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "latin1.csv"
        path.write_bytes("a,name,y\n1,caf\xe9,0\n".encode("latin-1"))
        df = read_table(path, encoding="latin-1")
    assert df["name"].tolist() == ["café"]


# -- case 8: duplicated column names --------------------------------------------------------


def test_duplicate_column_in_a_csv_is_refused_like_in_a_dataframe(tmp_path):
    frame = pd.DataFrame([[1, 2, 0], [3, 4, 1]], columns=["a", "a", "y"])
    with pytest.raises(DataError, match=r"more than once.*\['a'\]"):
        ac.run(frame, target="y", trials=1, show_progress=False)
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a,y,b\n1,2,3,0,5\n4,5,6,1,7\n")
    with pytest.raises(DataError, match=r"more than once.*\['a', 'b'\]") as exc:
        read_table(path)
    assert "dup.csv" in str(exc.value) and "a.1" in str(exc.value)  # says what pandas would do
    with pytest.raises(DataError, match="more than once"):
        ac.run(path, target="y", trials=1, show_progress=False)


def test_a_column_really_named_like_a_pandas_rename_is_kept(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("a,a.1,y\n1,2,0\n3,4,1\n")
    assert list(read_table(path).columns) == ["a", "a.1", "y"]


def test_automl_run_on_a_csv_with_a_duplicate_column_exits_2(tmp_path):
    (tmp_path / "d.csv").write_text("x,x,y\n1,2,0\n3,4,1\n")
    (tmp_path / "exp.toml").write_text('target = "y"\n')
    assert_exit_2(automl("run", "exp.toml", "--data", "d.csv", cwd=tmp_path), "['x']")


# -- case 7: tables too small for the folds or the test split --------------------------------


@pytest.mark.parametrize("rows", [1, 2, 3, 4, 5])
def test_too_few_rows_for_regression_folds_says_what_is_needed(rows):
    y = pd.Series(np.arange(rows, dtype=float))
    with pytest.raises(DataError, match="at least 6 rows") as exc:
        make_folds(y, "regression", 3, True, None, 0)
    assert f"{rows} row" in str(exc.value) and "2 rows per validation fold" in str(exc.value)
    assert len(make_folds(pd.Series(np.arange(6.0)), "regression", 3, True, None, 0)) == 3


def test_classification_folds_need_two_classes_in_every_training_fold():
    # two rows of two classes: every training fold holds one class; no model can learn there
    with pytest.raises(DataError, match="single class") as exc:
        make_folds(pd.Series(["a", "b"]), "classification", 2, True, None, 0)
    assert "needs at least 2 rows of every class" in str(exc.value)
    # stratified folds asked for and impossible: said at once
    with pytest.raises(DataError, match="class 'b' has 2"):
        make_folds(pd.Series(list("aaabb")), "classification", 3, True, True, 0)
    # a rare class on a larger table still gets plain folds, as before
    y = pd.Series(list("a" * 60 + "b" * 30 + "c"))
    assert len(make_folds(y, "classification", 3, True, None, 0)) == 3


def test_test_size_below_the_number_of_classes_says_the_least_that_works():
    X, y = load_iris(return_X_y=True, as_frame=True)
    with pytest.raises(DataError) as exc:
        split_rows(X, y, "classification", 0, test_size=0.01)
    text = str(exc.value)
    assert "test_size=0.01 holds out 2 of 150 rows, fewer than the 3 classes" in text, text
    assert "test_size >= 0.02" in text
    with pytest.raises(DataError, match="leaves 1 of 150 rows to train on"):
        split_rows(X, y, "classification", 0, test_size=149 / 150)
    Xr = pd.DataFrame({"x": np.arange(30.0)})
    with pytest.raises(DataError, match="2 rows a regression test score needs"):
        split_rows(Xr, Xr["x"], "regression", 0, test_size=0.02)
    # a subsample (train_size) that cannot stratify is drawn without: no error
    Xs, _, ys, _ = split_rows(X, y, "classification", 0, train_size=149)
    assert len(Xs) == 149


def tiny_regression(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(rows, dtype=float), "y": np.arange(rows) * 1.5 + 0.25})


def test_run_with_a_config_refuses_a_tiny_table_before_any_trial():
    with pytest.raises(DataError, match="at least 6 rows"):
        ac.run(
            tiny_regression(2),
            target="y",
            task="regression",
            models=["linear_regression"],
            strategy="random",
            trials=2,
            show_progress=False,
        )
    iris = load_iris(as_frame=True).frame
    with pytest.raises(DataError, match="fewer than the 3 classes"):
        ac.run(iris, target="target", models=["knn"], trials=2, test_size=0.01, show_progress=False)


def test_autopilot_refuses_a_tiny_table_before_any_trial():
    # a time budget alone: the autopilot, which picks its own folds
    with pytest.raises(DataError, match="cannot make"):
        ac.run(
            tiny_regression(3), target="y", task="regression", time_budget_s=5, show_progress=False
        )


@pytest.mark.parametrize("cls", ["AutoMLRegressor", "AutoMLClassifier"])
def test_estimators_refuse_a_tiny_table(cls):
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    y = [0.5, 1.5, 2.5] if cls == "AutoMLRegressor" else ["a", "b", "b"]
    with pytest.raises(DataError):
        getattr(ac, cls)(trials=2).fit(X, y)


def test_automl_run_on_a_tiny_table_exits_2(tmp_path):
    tiny_regression(4).to_csv(tmp_path / "tiny.csv", index=False)
    (tmp_path / "exp.toml").write_text(
        'target = "y"\ntask = "regression"\nmodels = ["linear_regression"]\n[budget]\ntrials = 2\n'
    )
    proc = automl("run", "exp.toml", "--data", "tiny.csv", "--results", "out", cwd=tmp_path)
    assert_exit_2(proc, "4 rows cannot make 3 cross-validation folds", "at least 6 rows")
