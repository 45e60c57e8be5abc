"""What the MLflow logger costs a search, per trial, on a local store.

Three figures, one process, one machine:

1. the search's critical path: a ``LoggerHub.trial()`` call with the MLflow logger behind it
   (the hub queues the event; the logger's thread does the MLflow calls), median over N rows;
2. MLflow's own cost of one trial (a nested run: create, log params/metrics/epochs, finish),
   the logger called directly, on the default store (SQLite, write-ahead log) and on a store
   in SQLite's default rollback-journal mode, alternating;
3. ``ac.tune`` of N trivial trials with ``loggers=["mlflow"]`` against none, alternating: ms
   per trial, and the time from the last trial's end to the call's return (where the hub
   waits for the logger's queue);
4. (``--end``) ``end()`` on a real ``ac.run`` folder: the model and the folder logged.

    .venv/bin/python plugins/automl-core-mlflow/benchmarks/bench_overhead.py [--trials 200]
        [--reps 3] [--no-tune] [--end]

Prints one JSON object; figures in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def rows(n: int) -> list[tuple[dict, list[dict]]]:
    """Trial rows as the engine hands them over: 3 params, 3 metrics, 3 epochs of history."""
    out = []
    for i in range(n):
        row = {
            "trial_id": i,
            "status": "ok" if i % 10 else "failed",
            "score": 0.5 + (i % 7) / 100 if i % 10 else None,
            "score_std": 0.01,
            "params": {"model.C": 10 ** (i % 5 - 2), "model.kernel": "rbf", "layers": i % 4},
            "metrics": {"score_std": 0.01, "fit_time_s": 0.02, "f1": 0.4},
            "error": None if i % 10 else "ValueError: boom",
            "node": "abc123@host",
            "started_s": i * 0.1,
            "finished_s": i * 0.1 + 0.05,
            "attempts": 1,
            "seed": 1000 + i,
        }
        history = [
            {"trial_id": i, "epoch": e, "metric": "val_loss", "value": 1 / e} for e in (1, 2, 3)
        ]
        out.append((row, history))
    return out


def start_kwargs(folder: str) -> dict:
    return dict(
        kind="tune",
        config={"strategy": {"kind": "random"}, "metric": "score", "mode": "max"},
        info={},
        seed=0,
        results_dir=folder,
        resumed=False,
        finished_rows=[],
    )


def critical_path(n: int) -> dict:
    from automl_core.experiment.loggers import LoggerHub

    folder = tempfile.mkdtemp(prefix="bench-hub-")
    hub = LoggerHub.from_specs(["mlflow"])
    hub.start(**start_kwargs(folder))
    calls = []
    for row, history in rows(n):
        t0 = time.perf_counter()
        hub.trial(row, history)
        calls.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    hub.close(timeout_s=600)  # waits for the queue (the end of a run would, too)
    return {
        "hub_trial_ms_median": round(statistics.median(calls) * 1000, 3),
        "hub_trial_ms_p90": round(statistics.quantiles(calls, n=10)[-1] * 1000, 3),
        "drain_after_last_trial_s": round(time.perf_counter() - t0, 2),
    }


def own_cost(n: int, reps: int = 2) -> dict:
    """The logger's trial() called directly (what its thread spends), WAL store vs not."""
    import sqlite3

    from automl_core_mlflow import MlflowSpec

    wall: dict[str, list[float]] = {"wal": [], "rollback_journal": []}
    cpu: dict[str, list[float]] = {"wal": [], "rollback_journal": []}
    for _ in range(reps):
        for mode in wall:
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{mode}-"))
            if mode == "rollback_journal":  # a store made before the logger saw it
                sqlite3.connect(folder / "mlflow.db").close()
            logger = MlflowSpec().build()
            logger.start(**start_kwargs(str(folder)))
            for row, history in rows(n):
                t0, c0 = time.perf_counter(), time.thread_time()
                logger.trial(row, history)
                wall[mode].append(time.perf_counter() - t0)
                cpu[mode].append(time.thread_time() - c0)
    out = {}
    for mode in wall:
        out[f"mlflow_trial_ms_median_{mode}"] = round(statistics.median(wall[mode]) * 1000, 1)
        out[f"mlflow_trial_cpu_ms_median_{mode}"] = round(statistics.median(cpu[mode]) * 1000, 1)
    return out


def tune_against_off(n: int, reps: int) -> dict:
    import automl_core as ac

    def trivial(params):
        return params["x"]

    out: dict[str, list] = {"off": [], "mlflow": []}
    for _ in range(reps):
        for label in out:
            folder = tempfile.mkdtemp(prefix=f"bench-tune-{label}-")
            t0 = time.perf_counter()
            res = ac.tune(
                trivial,
                {"x": ac.Float(0, 1)},
                trials=n,
                seed=0,
                results_dir=folder,
                show_progress=False,
                loggers=["mlflow"] if label == "mlflow" else None,
            )
            wall = time.perf_counter() - t0
            # started_s/finished_s count from the search's start: the tail is save + loggers
            last = float(res.table["finished_s"].max())
            out[label].append({"ms_per_trial": wall / n * 1000, "tail_s": wall - last})
    return {
        label: {
            "ms_per_trial_median": round(statistics.median(r["ms_per_trial"] for r in runs), 1),
            "tail_after_last_trial_s_median": round(
                statistics.median(r["tail_s"] for r in runs), 2
            ),
        }
        for label, runs in out.items()
    }


def end_cost(reps: int = 3) -> dict:
    """``end()`` on a real ``ac.run`` folder (the model with its signature and input example,
    the folder as artifacts), each time on a fresh copy and store; the first in the process
    pays for loading MLflow's model code."""
    import shutil

    import automl_core as ac
    from automl_core.experiment.loggers import LoggerHub, rows_from_results
    from sklearn.datasets import load_breast_cancer

    df = load_breast_cancer(as_frame=True).frame
    src = Path(tempfile.mkdtemp(prefix="bench-end-")) / "run"
    res = ac.run(df, "target", models=["logistic_regression"], strategy="random", trials=3)
    res.save(src)
    X = df.drop(columns="target")
    times = []
    for i in range(reps):
        folder = shutil.copytree(src, src.parent / f"copy{i}")
        hub = LoggerHub.from_specs(["mlflow"])
        hub.start(**start_kwargs(str(folder)))
        for row in rows_from_results(res)[0]:
            hub.trial(row, [])
        hub._workers[0].wait(600)  # the queue drained: time end() alone
        t0 = time.perf_counter()
        hub.end(res, str(folder), example=X.head(5))
        times.append(round(time.perf_counter() - t0, 2))
    return {"end_s": times}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--no-tune", action="store_true", help="skip the ac.tune comparison")
    ap.add_argument("--end", action="store_true", help="also time end() on a real run's folder")
    args = ap.parse_args()
    import automl_core as ac

    if not args.no_tune:  # the embedded Ray starts before any clock
        ac.tune(lambda p: p["x"], {"x": ac.Float(0, 1)}, trials=2, show_progress=False)
    result = {"trials": args.trials, "load_before": open("/proc/loadavg").read().split()[:3]}
    result["critical_path"] = critical_path(args.trials)
    result["mlflow_own"] = own_cost(args.trials)
    if not args.no_tune:
        result["tune"] = tune_against_off(args.trials, args.reps)
    if args.end:
        result["end"] = end_cost()
    result["load_after"] = open("/proc/loadavg").read().split()[:3]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
