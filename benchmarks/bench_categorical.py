"""Native categorical handling against one-hot, for the three boosting libraries (issue 16).

The boosting plugin gets categories one-hot encoded (the experiment's cleaning chain, shared
by every model of a run). LightGBM, XGBoost and CatBoost can also split on categories natively.
This measures which scores higher on the tables of ``bench_vs_peers.py`` that have categorical
columns, with the same library settings on both sides, so only the encoding differs:

- ``onehot``: each categorical column one-hot (every level seen in the training rows; a level
  only the test rows have is all zeros), as float columns;
- ``native``: the columns as pandas categories of the training rows' levels (LightGBM's
  ``categorical_feature="auto"``, XGBoost ``enable_categorical=True``), CatBoost
  ``cat_features`` (strings; a gap is its own level).

Both sides: numbers keep their gaps (the three libraries take NaN), a date column (or a text
column of dates) becomes year, month and day of year, 300 rounds at learning rate 0.05, the
library's defaults otherwise, one thread, the split's seed. Scored on the split's test rows (accuracy, or R2, x100)
of the 75/25 splits 0..K-1 of ``bench_vs_peers.py``; the fit's time beside it.

    nice -n 10 .venv/bin/python benchmarks/bench_categorical.py --splits 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from automl_core.data.cleaning.columns import datetime_unit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_vs_peers import TABLES, _load, split  # noqa: E402

LIBRARIES = ("lightgbm", "xgboost", "catboost")
ENCODINGS = ("onehot", "native")
ROUNDS, RATE = 300, 0.05


def _features(train: pd.DataFrame, test: pd.DataFrame, target: str):
    """(X_train, X_test, categorical column names): dates as numbers, the rest as given."""
    Xtr, Xte = train.drop(columns=[target]), test.drop(columns=[target])
    for col in list(Xtr.columns):
        if datetime_unit(Xtr[col], col) == "string":  # dates as text, as our cleaner reads them
            Xtr[col], Xte[col] = pd.to_datetime(Xtr[col]), pd.to_datetime(Xte[col])
        if pd.api.types.is_datetime64_any_dtype(Xtr[col]):
            for X in (Xtr, Xte):
                d = X.pop(col)
                X[f"{col}_year"], X[f"{col}_month"] = d.dt.year, d.dt.month
                X[f"{col}_doy"] = d.dt.dayofyear
    cats = [c for c in Xtr.columns if not pd.api.types.is_numeric_dtype(Xtr[c])]
    cats += [c for c in Xtr.columns if pd.api.types.is_bool_dtype(Xtr[c]) and c not in cats]
    return Xtr, Xte, cats


def _encode(Xtr, Xte, cats: list[str], encoding: str, library: str):
    Xtr, Xte = Xtr.copy(), Xte.copy()
    for c in Xtr.columns:
        if c not in cats:
            Xtr[c], Xte[c] = Xtr[c].astype(float), Xte[c].astype(float)
    if encoding == "onehot":
        levels = {c: sorted(Xtr[c].dropna().astype(str).unique()) for c in cats}
        parts_tr, parts_te = [Xtr.drop(columns=cats)], [Xte.drop(columns=cats)]
        for c in cats:
            for X, parts in ((Xtr, parts_tr), (Xte, parts_te)):
                v = X[c].astype(str).where(X[c].notna())
                parts.append(
                    pd.DataFrame(
                        {f"{c}={lv}": (v == lv).astype(float) for lv in levels[c]}, index=X.index
                    )
                )
        return pd.concat(parts_tr, axis=1), pd.concat(parts_te, axis=1)
    for c in cats:
        if library == "catboost":
            for X in (Xtr, Xte):  # strings, a gap its own level "nan"
                X[c] = X[c].astype(object).where(X[c].notna(), "nan").map(str).astype(object)
        else:
            dtype = pd.CategoricalDtype(sorted(Xtr[c].dropna().astype(str).unique()))
            Xtr[c] = Xtr[c].astype(str).where(Xtr[c].notna()).astype(dtype)
            Xte[c] = Xte[c].astype(str).where(Xte[c].notna()).astype(dtype)  # unseen: NaN
    return Xtr, Xte


def _model(library: str, task: str, encoding: str, cats: list[str], seed: int):
    clf = task == "classification"
    if library == "lightgbm":
        import lightgbm as lgb

        cls = lgb.LGBMClassifier if clf else lgb.LGBMRegressor
        return cls(n_estimators=ROUNDS, learning_rate=RATE, n_jobs=1, random_state=seed, verbose=-1)
    if library == "xgboost":
        import xgboost as xgb

        cls = xgb.XGBClassifier if clf else xgb.XGBRegressor
        return cls(
            n_estimators=ROUNDS,
            learning_rate=RATE,
            n_jobs=1,
            random_state=seed,
            tree_method="hist",
            enable_categorical=encoding == "native",
        )
    import catboost as cb

    cls = cb.CatBoostClassifier if clf else cb.CatBoostRegressor
    return cls(
        iterations=ROUNDS,
        learning_rate=RATE,
        thread_count=1,
        random_seed=seed,
        verbose=False,
        allow_writing_files=False,
        cat_features=cats if encoding == "native" else None,
    )


def one_run(name: str, seed: int, library: str, encoding: str, df: pd.DataFrame) -> dict:
    from sklearn.metrics import accuracy_score, r2_score

    train, test, target, task = split(name, seed, df)
    Xtr, Xte, cats = _features(train, test, target)
    Xtr, Xte = _encode(Xtr, Xte, cats, encoding, library)
    ytr, yte = train[target], test[target]
    if task == "classification":
        codes = {v: i for i, v in enumerate(sorted(ytr.astype(str).unique()))}
        ytr = ytr.astype(str).map(codes).to_numpy()
        yte = yte.astype(str).map(codes).fillna(-1).to_numpy()
    model = _model(library, task, encoding, cats, seed)
    t0 = time.perf_counter()
    model.fit(Xtr, ytr)
    fit_s = time.perf_counter() - t0
    pred = np.asarray(model.predict(Xte)).ravel()
    score = accuracy_score(yte, pred) if task == "classification" else r2_score(yte, pred)
    return {"score": 100 * score, "fit_s": fit_s, "columns": Xtr.shape[1], "cats": len(cats)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--splits", type=int, default=3)
    p.add_argument("--tables", default=",".join(TABLES))
    args = p.parse_args(argv)
    rows = []
    for name in [t for t in args.tables.split(",") if t]:
        df = _load(*TABLES[name][0])
        _, _, cats = _features(*split(name, 0, df)[:2], TABLES[name][1])
        if not cats:
            continue
        for library in LIBRARIES:
            for encoding in ENCODINGS:
                runs = [one_run(name, s, library, encoding, df) for s in range(args.splits)]
                rows.append(
                    {
                        "table": name,
                        "library": library,
                        "encoding": encoding,
                        "score": float(np.mean([r["score"] for r in runs])),
                        "fit_s": float(np.median([r["fit_s"] for r in runs])),
                        "columns": runs[0]["columns"],
                        "cats": runs[0]["cats"],
                    }
                )
                print(rows[-1], file=sys.stderr, flush=True)
    print(report(pd.DataFrame(rows), args.splits))
    return 0


def report(t: pd.DataFrame, splits: int) -> str:
    out = [
        f"Mean test score over {splits} splits (x100); fit: median seconds. "
        "native - onehot > 0: native handling scored higher.",
        "",
        "| table | categorical columns | library | one-hot (columns) | native | native - onehot "
        "| fit s one-hot / native |",
        "|---|---:|---|---:|---:|---:|---|",
    ]
    wins = {lib: [0, 0] for lib in LIBRARIES}
    for (table, library), g in t.groupby(["table", "library"], sort=False):
        oh, nat = (g[g["encoding"] == e].iloc[0] for e in ENCODINGS)
        d = nat["score"] - oh["score"]
        wins[library][0] += d > 0
        wins[library][1] += 1
        out.append(
            f"| {table} | {oh['cats']} | {library} | {oh['score']:.2f} ({oh['columns']}) "
            f"| {nat['score']:.2f} | {d:+.2f} | {oh['fit_s']:.2f} / {nat['fit_s']:.2f} |"
        )
    out.append("")
    for lib, (w, n) in wins.items():
        mean = t[t.library == lib].pivot(index="table", columns="encoding", values="score")
        diff = (mean["native"] - mean["onehot"]).mean()
        out.append(f"{lib}: native higher on {w} of {n} tables, mean difference {diff:+.2f}.")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
