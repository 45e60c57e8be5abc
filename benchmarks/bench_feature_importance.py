"""Seconds to measure the importance of each input column of a fitted pipeline, against
scikit-learn's ``sklearn.inspection.permutation_importance`` on the same pipeline and rows.

Every finished run measures it after its search (``lifecycle.column_importance``), so its time
is time the user waits. Three pipelines as a run builds them (the automatic cleaning chain, then
the model), fitted on 75% of a bundled table and measured on the other 25%, 5 shuffles per
column, one process::

    PYTHONPATH=<checkout> .venv/bin/python benchmarks/bench_feature_importance.py --repeats 5

Run it once per checkout, alternating, for a before/after comparison: it imports
``automl_core`` from ``PYTHONPATH``. Prints one JSON line per case: the median seconds of ours
and of scikit-learn's (``n_jobs=None``, its default), and the largest difference between the
two importance columns (they shuffle with different random draws, so it is not zero; it says
both measure the same thing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def _case(name: str):
    """``(pipeline fitted on the training rows, X_test, y_test, metric)``."""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    from automl_core.data.autoclean import default_cleaners
    from automl_core.evaluation.pipeline import build_pipeline
    from automl_core.plugins import get_registry
    from automl_core.search.config_space import Resolved

    load, kind, params, task, metric = {
        # a forest as the autopilot's portfolio builds one, predicting with 2 threads
        "cancer-random_forest": (
            datasets.load_breast_cancer,
            "random_forest",
            {"n_estimators": 250},
            "classification",
            "accuracy",
        ),
        "digits-svc": (datasets.load_digits, "svc", {"C": 10.0}, "classification", "accuracy"),
        "diabetes-ridge": (
            datasets.load_diabetes,
            "linear_regression",
            {},
            "regression",
            "r2",
        ),
    }[name]
    df = load(as_frame=True).frame
    X, y = df.drop(columns="target"), df["target"]
    split = dict(test_size=0.25, random_state=0)
    if task == "classification":
        split["stratify"] = y
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, **split)
    cleaners = [c for c in default_cleaners(X_tr, y_tr, task) if c.stage == "pipeline"]
    model = get_registry().get("model", kind)(**params)
    resolved = Resolved(cleaners, model, [], kind)
    pipe = build_pipeline(resolved, task, seed=0, n_jobs=2).fit(X_tr, y_tr)
    return pipe, X_te, y_te, metric


def _median_s(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def _measure(name: str, repeats: int) -> dict:
    from sklearn.inspection import permutation_importance as sk_importance
    from sklearn.metrics import get_scorer

    from automl_core.evaluation.metrics import METRICS
    from automl_core.report import permutation_importance

    pipe, X, y, metric = _case(name)
    ours_s, ours = _median_s(
        lambda: permutation_importance(pipe, X, y, metric, n_repeats=5, seed=0), repeats
    )
    scorer = get_scorer(METRICS[metric].scorer)
    sk_s, sk = _median_s(
        lambda: sk_importance(pipe, X, y, scoring=scorer, n_repeats=5, random_state=0), repeats
    )
    by = ours.set_index("feature")["importance"]
    gap = max(abs(by[str(c)] - m) for c, m in zip(X.columns, sk.importances_mean))
    return {
        "case": name,
        "rows": len(X),
        "columns": X.shape[1],
        "ours_s": round(ours_s, 3),
        "sklearn_s": round(sk_s, 3),
        "ours/sklearn": round(ours_s / sk_s, 3),
        "max_gap": round(float(gap), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cases", default="cancer-random_forest,digits-svc,diabetes-ridge")
    args = ap.parse_args()
    import automl_core

    for name in args.cases.split(","):
        found = _measure(name, args.repeats)
        print(json.dumps({**found, "core": automl_core.__file__}), flush=True)


if __name__ == "__main__":
    main()
