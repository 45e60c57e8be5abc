"""Fit and predict time of the boosting plugin's estimators, for before/after comparisons.

Each round of a fit calls the plugin's stop callback (``stoppable_call``, issue 16's time
limits), and every fit and prediction enters and leaves one ``stoppable_call`` block: this
measures what that costs. Run it once per checkout, alternating, on a quiet machine::

    PYTHONPATH=<checkout> .venv/bin/python benchmarks/bench_boosting_fit.py --repeats 15

The plugin is imported from ``<checkout>/plugins/automl-core-boosting`` when that folder exists
(else the installed one). Prints one JSON line per library: median and quartiles of the seconds
per fit + predict, outside a trial (as a refit) and inside one (a trial's limits armed, as a
search runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time


def _plugin_path() -> None:
    for root in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        path = os.path.join(root, "plugins", "automl-core-boosting")
        if root and os.path.isdir(path):
            sys.path.insert(0, path)
            return


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--rows", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    _plugin_path()
    import automl_core_boosting
    from automl_core_boosting import BOOSTING_MODELS
    from sklearn.datasets import make_classification

    from automl_core.trials.worker import TrialContext, run_objective

    X, y = make_classification(args.rows, 20, n_informative=10, random_state=0)
    for cls in BOOSTING_MODELS:
        kind = cls.model_fields["kind"].default
        spec = cls(n_estimators=args.rounds, early_stopping_rounds=0)
        est = spec.build("classification", [], seed=0, n_jobs=1)
        est.fit(X[:200], y[:200])  # imports and first-call costs out of the timing
        times: dict[str, list[float]] = {"refit": [], "trial": []}

        def once(est=est) -> dict:
            est.fit(X, y).predict(X)
            return {"score": 0.0}

        for _ in range(args.repeats):
            t0 = time.perf_counter()
            once()
            times["refit"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _, _, status, error = run_objective(
                lambda p, c: once(), {}, TrialContext(0, 0, 1, 0.0), timeout_s=600.0,
                exit_when_stuck=False,
            )  # fmt: skip
            times["trial"].append(time.perf_counter() - t0)
            assert status == "ok", error
        row = {"library": kind, "plugin": os.path.dirname(automl_core_boosting.__file__)}
        for where, ts in times.items():
            q = statistics.quantiles(ts, n=4)
            row[where] = {"median_s": round(statistics.median(ts), 4),
                          "q1_s": round(q[0], 4), "q3_s": round(q[2], 4)}  # fmt: skip
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
