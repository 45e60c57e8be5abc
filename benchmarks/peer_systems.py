"""The three systems of ``bench_vs_peers.py``, each run in a child process of its own.

``python peer_systems.py '<json spec>'`` reads the split's train and test Parquet files, runs one
system (``ours``, ``flaml`` or ``autogluon``) with the budget and seed, and prints one JSON line:
the test score in points, the wall time of the call, what the system chose, and the process's
own peak RSS. It imports only numpy and pandas before the system, so it runs in the project's
venv (ours) as in the peers' (FLAML, AutoGluon).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback

import numpy as np
import pandas as pd

__all__ = ["RUNNERS", "points", "run_child"]


def points(y_true, y_pred, task: str) -> float:
    from sklearn.metrics import r2_score

    if task == "classification":
        a = pd.Series(np.asarray(y_true)).astype(str).to_numpy()
        b = pd.Series(np.asarray(y_pred)).astype(str).to_numpy()
        return 100.0 * float(np.mean(a == b))
    return 100.0 * float(r2_score(np.asarray(y_true, float), np.asarray(y_pred, float)))


def _plain(v):
    """A JSON-friendly value (numpy scalars to Python)."""
    return v.item() if hasattr(v, "item") else v


# -- the three systems (each runs in a child process: see run_child) -----------------------------


def run_ours(train, test, target, task, budget, seed, executor=None):
    """Our default run; ``executor`` (system ``ours:EXECUTOR``) picks where its trials run."""
    import automl_core as ac

    config = {"resources": {"executor": executor}} if executor else None
    t0 = time.perf_counter()
    res = ac.run(
        train, target=target, config=config, time_budget_s=budget, seed=seed, show_progress=False
    )
    wall = time.perf_counter() - t0
    pred = res.best_pipeline.predict(test.drop(columns=[target]))
    auto = res.info.get("autopilot", {})
    # the leaderboard came with issue 16: an ``ours@NAME`` run may use a core from before it
    board = res.leaderboard() if hasattr(res, "leaderboard") else pd.DataFrame({"model": []})
    detail = {
        "trials": auto.get("trials"),
        "best": str(board["model"].iloc[0]) if len(board) else None,
        "ensemble": len(auto.get("ensemble", {})) or None,
        "search_done_s": auto.get("search_done_s"),
        "refit_done_s": auto.get("refit_done_s"),
        "models_tried": sorted(str(m) for m in board["model"] if m != "ensemble"),
        "best_config": {k: _plain(v) for k, v in (res.best.params if res.best else {}).items()},
        "core": ac.__file__,  # which checkout ran (ours@NAME puts another first on sys.path)
    }
    return points(test[target], pred, task), wall, detail


def _object_strings(X: pd.DataFrame) -> pd.DataFrame:
    # FLAML reads object/category columns as categorical; pandas' string dtype is neither
    X = X.copy()
    for c in X.columns:
        if isinstance(X[c].dtype, pd.StringDtype):
            X[c] = X[c].astype(object)
    return X


def run_flaml(train, test, target, task, budget, seed):
    from flaml import AutoML

    automl = AutoML()
    X, y = _object_strings(train.drop(columns=[target])), train[target]
    t0 = time.perf_counter()
    automl.fit(X, y, task=task, time_budget=budget, n_jobs=2, seed=seed, verbose=0)
    wall = time.perf_counter() - t0
    pred = automl.predict(_object_strings(test.drop(columns=[target])))
    detail = {
        "best": automl.best_estimator,
        "best_config": {k: _plain(v) for k, v in (automl.best_config or {}).items()},
    }
    return points(test[target], pred, task), wall, detail


def run_autogluon(train, test, target, task, budget, seed):
    from autogluon.tabular import TabularPredictor

    if task == "classification":
        kind = "binary" if train[target].nunique() == 2 else "multiclass"
        metric = "accuracy"
    else:
        kind, metric = "regression", "r2"
    with tempfile.TemporaryDirectory(prefix="ag_") as path:
        predictor = TabularPredictor(
            label=target, problem_type=kind, eval_metric=metric, path=path, verbosity=0
        )
        np.random.seed(seed)  # AutoGluon seeds its models itself; its data split from numpy
        t0 = time.perf_counter()
        predictor.fit(train, time_limit=budget, num_cpus=2)
        wall = time.perf_counter() - t0
        pred = predictor.predict(test.drop(columns=[target]))
        board = predictor.leaderboard(silent=True)
        detail = {"best": predictor.model_best, "models": int(len(board))}
    return points(test[target], pred, task), wall, detail


RUNNERS = {"ours": run_ours, "flaml": run_flaml, "autogluon": run_autogluon}


def run_child(spec: dict) -> None:
    """In the child: run one system on one split, print one JSON line (the last line)."""
    import resource

    train, test = pd.read_parquet(spec["train"]), pd.read_parquet(spec["test"])
    row: dict = {}
    # ours@NAME: ours with another checkout's code; ours:EXECUTOR: ours on that executor
    name, _, executor = spec["system"].split("@")[0].partition(":")
    extra = {"executor": executor} if executor else {}
    try:
        score, wall, detail = RUNNERS[name](
            train, test, spec["target"], spec["task"], spec["budget"], spec["seed"], **extra
        )
        row.update(score=round(score, 2), wall_s=round(wall, 2), **detail)
    except Exception as exc:  # a crash is a row, the benchmark goes on
        traceback.print_exc()
        row.update(score=None, wall_s=None, error=f"{type(exc).__name__}: {exc}")
    row["self_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print("\n" + json.dumps(row), flush=True)


if __name__ == "__main__":
    run_child(json.loads(sys.argv[1]))
