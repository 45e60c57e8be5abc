"""Runner overhead and the SVC grid against scikit-learn and raw Ray Tune (issue 2).

    .venv/bin/python benchmarks/bench_runner.py [--repeats 3] [--trials 200]
        [--ray-private on|off|both] [--no-raw]

1. Overhead: 200 trivial trials through ``ac.tune`` on 2 CPUs; wall time per trial (the work
   is ~0, so wall time / trials is the overhead), against raw Ray Tune with its defaults and
   with ``reuse_actors=True``.
2. scikit-learn digits, SVC over C x gamma (6 x 4), 3-fold CV: ``ac.run`` (grid strategy, no
   cleaners, so the very same pipeline) against ``GridSearchCV(n_jobs=2)`` and raw Ray Tune.
   Same best score required. Ray is started once beforehand (it is, once per process, in
   every real use); its start-up time is reported on its own line.

Runs alternate between the contenders and the medians are printed. Every contender starts warm:
GridSearchCV on its loky pool, ``ac.run`` and raw Ray Tune on the warm Ray workers that the
embedded Ray keeps between runs (``runner/warm.py``; see ``raw_tune`` and ``SETTLE_S``).

``--ray-private`` chooses the path of ``runner/ray_private.py``: ``on`` (the default, in this
process), ``off`` (``AUTOML_RAY_PRIVATE=0``: plain ``ray.init``, no warm workers; run in a
subprocess, since Ray starts once per process), or ``both``: one subprocess per path and
repeat, alternating (on, off, on, off, ...), each measuring every contender once, so both paths
see the same load; the medians per path are printed. ``--no-raw`` leaves out the raw Ray Tune
contenders.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

C_VALUES = [0.1, 1, 10, 100, 1000, 1e4]
GAMMA_VALUES = [1e-4, 1e-3, 1e-2, 1e-1]


#: seconds of idle time before each timed contender. Both keep warm workers between calls:
#: GridSearchCV's loky executor stays up, and after each run ac.run has the embedded Ray start
#: idle workers that import its stack in the background (runner/warm.py; ~2.5 s quiet). The
#: pause lets that finish, so neither contender pays for the other's background work. Runs
#: closer together than the warm-up get no head start (measured and reported apart).
SETTLE_S = 8.0


def settle() -> None:
    time.sleep(SETTLE_S)


def raw_tune(trainable, param_space, reuse: bool, n: int | None = None):
    from ray import tune

    tuner = tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(num_samples=n or 1, reuse_actors=reuse),
        run_config=tune.RunConfig(verbose=0, storage_path="/tmp/bench_raw_tune"),
    )
    try:
        return tuner.fit()
    finally:
        # A raw Tune run in this process takes the warm workers ac.run left (same job, same
        # runtime env) and, unlike ac.run, starts none for the next run. Put back what it took
        # so that each ac.run here starts as it would after the user's previous ac.run; the
        # raw-Tune rows are thus measured on warm workers too.
        from automl_core.runner.warm import prestart_when_free

        prestart_when_free(2).join()


def bench_overhead(n: int, repeats: int, raw: bool = True) -> dict[str, list[float]]:
    import automl_core as ac

    def trivial(params):
        return params["x"]

    def raw_trivial(config):
        from ray import tune

        tune.report({"score": config["x"]})

    from ray import tune

    times: dict[str, list[float]] = {"automl-core ac.tune": []}
    if raw:
        times["raw Ray Tune (reuse_actors)"] = []
    for r in range(repeats):
        settle()
        t = time.perf_counter()
        ac.tune(trivial, {"x": ac.Float(0, 1)}, trials=n, seed=r, show_progress=False)
        times["automl-core ac.tune"].append((time.perf_counter() - t) / n)
        if not raw:
            continue
        settle()
        t = time.perf_counter()
        raw_tune(raw_trivial, {"x": tune.uniform(0, 1)}, reuse=True, n=n)
        times["raw Ray Tune (reuse_actors)"].append((time.perf_counter() - t) / n)
    if not raw:
        return times
    # Ray's default (a new worker per trial) is so slow that 20 trials tell enough.
    t = time.perf_counter()
    raw_tune(raw_trivial, {"x": tune.uniform(0, 1)}, reuse=False, n=20)
    times["raw Ray Tune (defaults, 20 trials)"] = [(time.perf_counter() - t) / 20]
    return times


def bench_svc_grid(
    repeats: int, raw: bool = True
) -> tuple[dict[str, list[float]], dict[str, float]]:
    import pandas as pd
    from ray import tune
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.svm import SVC

    import automl_core as ac

    X, y = load_digits(return_X_y=True)
    df = pd.DataFrame(X, columns=[f"p{i}" for i in range(X.shape[1])]).assign(digit=y)
    models = [
        {
            "kind": "svc",
            "C": {"type": "choice", "values": C_VALUES},
            "gamma": {"type": "choice", "values": GAMMA_VALUES},
        }
    ]
    # the very folds ac.run uses for seed 0, so every contender scores the same splits
    from automl_core.evaluation.cv import make_folds
    from automl_core.seeds import derive_seed

    cv = make_folds(pd.Series(y), "classification", 3, True, None, derive_seed(0, "folds"))

    def raw_trainable(config):
        from ray import tune as _t

        s = cross_val_score(SVC(C=config["C"], gamma=config["gamma"]), X, y, cv=cv).mean()
        _t.report({"score": s})

    times: dict[str, list[float]] = {"automl-core ac.run (grid)": [], "GridSearchCV(n_jobs=2)": []}
    if raw:
        times["raw Ray Tune grid (reuse_actors)"] = []
    best: dict[str, float] = {}
    for _ in range(repeats):
        settle()
        t = time.perf_counter()
        res = ac.run(
            df,
            target="digit",
            strategy="grid",
            models=models,
            cleaners=[],
            trials=24,
            folds=3,
            seed=0,
            show_progress=False,
        )
        # the refit of the best pipeline is part of ac.run, as refit=True is of GridSearchCV
        times["automl-core ac.run (grid)"].append(time.perf_counter() - t)
        best["automl-core ac.run (grid)"] = res.best.score
        settle()
        t = time.perf_counter()
        gs = GridSearchCV(SVC(), {"C": C_VALUES, "gamma": GAMMA_VALUES}, cv=cv, n_jobs=2).fit(X, y)
        times["GridSearchCV(n_jobs=2)"].append(time.perf_counter() - t)
        best["GridSearchCV(n_jobs=2)"] = gs.best_score_
        if not raw:
            continue
        settle()
        t = time.perf_counter()
        rg = raw_tune(
            raw_trainable,
            {"C": tune.grid_search(C_VALUES), "gamma": tune.grid_search(GAMMA_VALUES)},
            reuse=True,
        )
        times["raw Ray Tune grid (reuse_actors)"].append(time.perf_counter() - t)
        best["raw Ray Tune grid (reuse_actors)"] = rg.get_best_result("score", "max").metrics[
            "score"
        ]
    return times, best


#: the environment variable of runner/ray_private.py, and the mark of a child's JSON line
SWITCH = "AUTOML_RAY_PRIVATE"
MARK = "BENCH-JSON "


def measure(trials: int, repeats: int, raw: bool) -> dict:
    """Every contender, ``repeats`` times, in this process (on the path its environment says)."""
    from automl_core.runner import ray_private
    from automl_core.runner.session import ensure_ray

    out: dict = {"load_start": os.getloadavg()[0]}
    t = time.perf_counter()
    ensure_ray(num_cpus=2)
    out["ray_start_s"] = time.perf_counter() - t
    out["private"] = ray_private.FENCE.enabled()
    out["overhead"] = bench_overhead(trials, repeats, raw)
    out["grid"], out["best"] = bench_svc_grid(repeats, raw)
    out["load_end"] = os.getloadavg()[0]
    return out


def report(m: dict, trials: int) -> None:
    path = "on" if m["private"] else "off (public path)"
    print(f"Ray's private API: {path}")
    print(f"ray start-up (once per process): {m['ray_start_s']:.2f} s")
    print(f"load average at start: {m['load_start']:.2f}")
    print(f"\n{trials} trivial trials on 2 CPUs: wall time per trial (median of runs)")
    for name, v in m["overhead"].items():
        print(
            f"  {name:<36} {1000 * statistics.median(v):7.1f} ms   runs: "
            + ", ".join(f"{1000 * x:.1f}" for x in v)
        )
    times, best = m["grid"], m["best"]
    base = statistics.median(times["GridSearchCV(n_jobs=2)"])
    print("\ndigits, SVC 6 C x 4 gamma, 3-fold CV: wall time (median of runs)")
    for name, v in times.items():
        med = statistics.median(v)
        print(
            f"  {name:<34} {med:6.2f} s  ratio {med / base:4.2f}  best {best[name]:.4f}"
            f"   runs: " + ", ".join(f"{x:.2f}" for x in v)
        )
    print(f"load average at end: {m['load_end']:.2f}")


def child(path: str, trials: int, repeats: int, raw: bool) -> dict:
    """:func:`measure` in a new Python on ``path`` ("on" / "off")."""
    env = {**os.environ, SWITCH: "1" if path == "on" else "0"}
    cmd = [sys.executable, os.path.abspath(__file__), "--ray-private", path, "--json"]
    cmd += ["--trials", str(trials), "--repeats", str(repeats)] + (["--no-raw"] if not raw else [])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise RuntimeError(f"the {path} run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def merge(runs: list[dict]) -> dict:
    """The runs of one path as one measurement (its lists joined)."""
    out = {k: runs[0][k] for k in ("private", "best")}
    out["ray_start_s"] = statistics.median(r["ray_start_s"] for r in runs)
    out["load_start"], out["load_end"] = runs[0]["load_start"], runs[-1]["load_end"]
    for part in ("overhead", "grid"):
        out[part] = {name: [x for r in runs for x in r[part][name]] for name in runs[0][part]}
    return out


def both(trials: int, repeats: int, raw: bool) -> None:
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    for r in range(repeats):
        for path in ("on", "off") if r % 2 == 0 else ("off", "on"):
            runs[path].append(child(path, trials, 1, raw))
            print(f"repeat {r + 1}, path {path}: done (load {os.getloadavg()[0]:.2f})", flush=True)
    for path in ("on", "off"):
        print()
        report(merge(runs[path]), trials)
        best = runs[path][-1]["best"]
        assert np.isclose(best["automl-core ac.run (grid)"], best["GridSearchCV(n_jobs=2)"]), best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--ray-private", choices=["on", "off", "both"], default="on")
    ap.add_argument("--no-raw", action="store_true", help="leave out raw Ray Tune")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child's output
    args = ap.parse_args()
    raw = not args.no_raw

    if args.ray_private == "both":
        both(args.trials, args.repeats, raw)
        return
    if args.ray_private == "off" and os.environ.get(SWITCH) != "0":
        report(child("off", args.trials, args.repeats, raw), args.trials)
        return
    if args.ray_private == "on":
        os.environ[SWITCH] = "1"
    m = measure(args.trials, args.repeats, raw)
    if args.json:
        print(MARK + json.dumps(m), flush=True)
        return
    report(m, args.trials)
    best = m["best"]
    assert np.isclose(best["automl-core ac.run (grid)"], best["GridSearchCV(n_jobs=2)"]), best


if __name__ == "__main__":
    main()
