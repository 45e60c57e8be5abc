"""Speed and memory of the automatic cleaning chain vs the hand-written scikit-learn pipeline.

The table: ``--rows`` x 20 mixed columns (an integer id, a unix timestamp, 5 text categories of
3 to 300 levels, 13 numeric columns with 5% gaps) plus a binary target, with 1% duplicated rows.

Timed, for each side, median over ``--repeats`` runs in this process (sides alternate):

- ours: ``default_cleaners`` (reading the column types), the dataset stage (drop duplicates),
  then ``fit`` and ``transform`` of the pipeline-stage chain;
- scikit-learn: the same ``drop_duplicates`` call, then ``fit`` and ``transform`` of a
  ``ColumnTransformer``: ``SimpleImputer(median)`` + ``StandardScaler`` on the numbers, the same
  on date features computed by hand (year, month, day, weekday, hour, elapsed days) from the
  timestamp, ``OneHotEncoder`` (rare < 1% and beyond 20 levels grouped, dense output like ours)
  on the categories, the id dropped.

Memory, for each side in a fresh subprocess: peak resident memory during dedup + fit + transform
(``VmHWM``, reset just before), minus the resident memory before the table was built, against
the table's in-memory size (``DataFrame.memory_usage(deep=True)``).

    .venv/bin/python benchmarks/bench_cleaning.py                 # 1,000,000 rows
    .venv/bin/python benchmarks/bench_cleaning.py --rows 100000   # smaller
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CARDINALITIES = (3, 8, 15, 40, 300)
N_NUMERIC = 13
TIME_COL, ID_COL = "event_time", "record_id"


def make_table(n_rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """The benchmark table (20 feature columns) and its binary target."""
    rng = np.random.default_rng(seed)
    n = n_rows - n_rows // 100
    data: dict[str, object] = {ID_COL: rng.permutation(n).astype(np.int64) + 10_000_000}
    data[TIME_COL] = rng.integers(1_600_000_000, 1_700_000_000, size=n, dtype=np.int64)
    for i, k in enumerate(CARDINALITIES):
        levels = np.array([f"c{i}_{j}" for j in range(k)])
        weights = 1.0 / np.arange(1, k + 1)  # Zipf-like: a few common, a long tail
        data[f"cat_{i}"] = levels[rng.choice(k, size=n, p=weights / weights.sum())]
    for j in range(N_NUMERIC):
        x = rng.normal(j, 1 + j, size=n)
        x[rng.random(n) < 0.05] = np.nan
        data[f"num_{j}"] = x
    X = pd.DataFrame(data)
    y = pd.Series((rng.random(n) < 0.3).astype(np.int64), name="target")
    dup = rng.choice(n, size=n_rows - n, replace=False)
    X = pd.concat([X, X.iloc[dup]], ignore_index=True)
    y = pd.concat([y, y.iloc[dup]], ignore_index=True)
    return X, y


def table_bytes(X: pd.DataFrame, y: pd.Series) -> int:
    return int(X.memory_usage(deep=True).sum() + y.memory_usage(deep=True))


# -- the two sides -------------------------------------------------------------------------


def run_ours(X, y):
    from sklearn.pipeline import Pipeline

    from automl_core.data.autoclean import apply_dataset_stage, default_cleaners

    t0 = time.perf_counter()
    chain = default_cleaners(X, y, "classification")
    t1 = time.perf_counter()
    Xd, yd, _ = apply_dataset_stage(chain, X, y, "classification")
    steps = [(s.kind, s.build("classification")) for s in chain if s.stage == "pipeline"]
    pipe = Pipeline(steps)
    t2 = time.perf_counter()
    pipe.fit(Xd, yd)
    out = pipe.transform(Xd)
    t3 = time.perf_counter()
    return out, {"infer_s": t1 - t0, "dedup_s": t2 - t1, "fit_transform_s": t3 - t2}


def _date_features(frame: pd.DataFrame, reference: float) -> np.ndarray:
    secs = frame.iloc[:, 0].to_numpy(dtype=np.float64)
    t = pd.to_datetime(secs, unit="s")
    return np.column_stack(
        [t.year, t.month, t.day, t.day_of_week, t.hour, (reference - secs) / 86400.0]
    ).astype(np.float64)


def sklearn_pipeline(X: pd.DataFrame, sparse: bool = False):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    num_cols = [c for c in X.columns if c.startswith("num_")]
    cat_cols = [c for c in X.columns if c.startswith("cat_")]
    reference = float(X[TIME_COL].max())  # by hand: a stateless function cannot learn it
    scaled = [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    return ColumnTransformer(
        [
            ("num", Pipeline(scaled), num_cols),
            (
                "date",
                Pipeline(
                    [
                        (
                            "features",
                            FunctionTransformer(_date_features, kw_args={"reference": reference}),
                        )
                    ]
                    + [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
                ),
                [TIME_COL],
            ),
            (
                "cat",
                OneHotEncoder(
                    handle_unknown="infrequent_if_exist",
                    min_frequency=0.01,
                    max_categories=21,  # 20 levels + the infrequent group, as ours
                    sparse_output=sparse,
                ),
                cat_cols,
            ),
        ],
        remainder="drop",  # the id
    )


def run_sklearn(X, y, sparse: bool = False):
    t1 = time.perf_counter()
    keep = ~X.assign(__target__=y.to_numpy()).duplicated().to_numpy()
    Xd, yd = X[keep], y[keep]
    ct = sklearn_pipeline(Xd, sparse)
    t2 = time.perf_counter()
    ct.fit(Xd, yd)
    out = ct.transform(Xd)
    t3 = time.perf_counter()
    return out, {"infer_s": 0.0, "dedup_s": t2 - t1, "fit_transform_s": t3 - t2}


SIDES = {
    "ours": run_ours,
    "sklearn": run_sklearn,
    "sklearn_sparse": lambda X, y: run_sklearn(X, y, sparse=True),
}


def _output_shape(out) -> tuple[int, int]:
    return tuple(int(s) for s in out.shape)


# -- memory: one side per fresh process ----------------------------------------------------


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _release_free_memory() -> None:
    """Give freed heap memory back to the OS (glibc malloc and Arrow's pool keep it)."""
    import ctypes

    import pyarrow as pa

    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc: the figures are then a little pessimistic for both sides
        pass
    pa.default_memory_pool().release_unused()


def memory_child(side: str, n_rows: int) -> dict:
    import sklearn  # noqa: F401 - libraries loaded before the baseline is taken

    from automl_core.plugins import get_registry

    get_registry()  # plugins (some import heavy libraries) load before the baseline
    gc.collect()
    _release_free_memory()
    base_kb = _status_kb("VmRSS")
    X, y = make_table(n_rows)
    size = table_bytes(X, y)
    # what generating the table freed must not sit in the heap, where the cleaning run would
    # reuse it without the peak showing it
    _release_free_memory()
    table_kb = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM: the peak starts from here
    out, _ = SIDES[side](X, y)
    peak_kb = _status_kb("VmHWM")
    del out
    return {
        "side": side,
        "table_mb": size / 2**20,
        "table_rss_mb": (table_kb - base_kb) / 1024,
        "peak_above_base_mb": (peak_kb - base_kb) / 1024,
        "peak_above_table_mb": (peak_kb - table_kb) / 1024,
        "ratio_peak_to_table": (peak_kb - base_kb) * 1024 / size,
    }


def measure_memory(side: str, n_rows: int) -> dict:
    cmd = [sys.executable, __file__, "--child", side, "--rows", str(n_rows)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


# -- main ----------------------------------------------------------------------------------


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--child", choices=list(SIDES), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(memory_child(args.child, args.rows)))
        return

    from automl_core.plugins import get_registry

    get_registry()  # load the plugins once, as a long-running process would have
    X, y = make_table(args.rows)
    print(
        f"table: {len(X):,} rows x {X.shape[1]} columns, {table_bytes(X, y) / 2**20:.0f} MiB "
        f"in memory; {os.cpu_count()} CPUs; python {platform.python_version()}, "
        f"pandas {pd.__version__}"
    )
    times: dict[str, list[dict]] = {s: [] for s in SIDES}
    shapes = {}
    for r in range(args.repeats):
        for side in SIDES if r % 2 == 0 else reversed(SIDES):
            gc.collect()
            cpu0 = time.process_time()
            out, t = SIDES[side](X, y)
            cpu = time.process_time() - cpu0
            shapes[side] = _output_shape(out)
            del out
            total = sum(t.values())
            times[side].append({**t, "total_s": total, "cpu_s": cpu})
            print(f"  repeat {r + 1} {side:15s} {total:6.2f} s (cpu {cpu:6.2f} s)  {t}")
    summary = {}
    for side, runs in times.items():
        keys = ("infer_s", "dedup_s", "fit_transform_s", "total_s", "cpu_s")
        summary[side] = {k: statistics.median(run[k] for run in runs) for k in keys}
        summary[side]["output_shape"] = shapes[side]
    ratio = summary["ours"]["total_s"] / summary["sklearn"]["total_s"]
    cpu_ratio = summary["ours"]["cpu_s"] / summary["sklearn"]["cpu_s"]
    print("\nmedian seconds (infer + dedup + fit + transform):")
    for side, s in summary.items():
        print(
            f"  {side:15s} total {s['total_s']:6.2f}  cpu {s['cpu_s']:6.2f}  "
            f"fit+transform {s['fit_transform_s']:6.2f}  infer {s['infer_s']:5.2f}  "
            f"dedup {s['dedup_s']:5.2f}  output {s['output_shape']}"
        )
    print(f"  ours / sklearn (dense): {ratio:.2f}x wall, {cpu_ratio:.2f}x cpu (target <= 1.5x)")
    result = {
        "date": dt.date.today().isoformat(),
        "rows": args.rows,
        "repeats": args.repeats,
        "time": summary,
        "ratio_ours_to_sklearn": ratio,
        "cpu_ratio_ours_to_sklearn": cpu_ratio,
    }
    if not args.no_memory:
        result["memory"] = {side: measure_memory(side, args.rows) for side in ("ours", "sklearn")}
        print("\npeak memory during dedup + fit + transform (fresh process each):")
        for side, m in result["memory"].items():
            print(
                f"  {side:15s} table {m['table_mb']:.0f} MiB, peak above baseline "
                f"{m['peak_above_base_mb']:.0f} MiB = {m['ratio_peak_to_table']:.2f}x the table "
                f"(of which {m['peak_above_table_mb']:.0f} MiB above the loaded table)"
            )
        print("  target: ours <= 4x the table")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
