"""Trials cut at random points: does every one read "timeout", and does the process live on?

``python benchmarks/stress_trial_limits.py KIND [KIND...] --trials 300``: for each model kind
(builtins and plugins), N trials in this process, each building and fitting a small model over
and over until its time limit (1-10 ms, drawn at random) ends it. Prints one JSON line per kind:
the trials' statuses and the first line of each distinct error. ``--raw`` builds the model with
``spec.build`` inside the trial instead of the core's ``build_pipeline`` (whose build runs inside
``stoppable_call``), so the limit can also fall inside the first imports of the model's
libraries. A limit whose exception lands where it must not shows as "failed" rows (a module left
half-imported, a lost exception), a hang (run it under ``timeout``) or the process's death
(SIGSEGV, SIGABRT). Not timed: a check of the trial watchdog (``automl_core.trials.limits``).

An "ok" row is not always a lost exception: with a model whose 50 fits take only tens of
milliseconds (``linear_regression``: 31 ms) the watchdog thread sometimes gets the GIL only
after the trial has ended (2-21 of 300 trials read "ok", and the limits' ``timed_out`` was
False: the watchdog had not fired).
"""

from __future__ import annotations

import argparse
import faulthandler
import json

import numpy as np


def stress(kind: str, trials: int, raw: bool) -> dict:
    from automl_core.evaluation.pipeline import build_pipeline
    from automl_core.plugins import get_registry
    from automl_core.search.config_space import Resolved
    from automl_core.testing import cut_at_random_points

    spec = get_registry().get("model", kind)()
    task = "classification" if "classification" in spec.tasks else "regression"
    if "epochs" in type(spec).model_fields:
        spec = spec.model_copy(update={"epochs": 2})
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    y = X[:, 0] + 0.5 * rng.normal(size=300)
    if task == "classification":
        y = (y > 0).astype(int)

    def fit_once():
        if raw:
            model = spec.build(task, [], seed=0)
        else:
            model = build_pipeline(Resolved([], spec, [], kind), task, seed=0)
        model.fit(X, y).predict(X)

    statuses, errors = cut_at_random_points(fit_once, trials)
    return {"kind": kind, "raw": raw, "statuses": dict(statuses), "errors": dict(errors)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kinds", nargs="+")
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--raw", action="store_true")
    ap.add_argument("--hang-s", type=float, default=120.0, help="dump the stacks and exit")
    args = ap.parse_args()
    faulthandler.enable()
    faulthandler.dump_traceback_later(args.hang_s, exit=True)
    for kind in args.kinds:
        print(json.dumps(stress(kind, args.trials, args.raw)), flush=True)


if __name__ == "__main__":
    main()
