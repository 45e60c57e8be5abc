"""Model-based search with early stopping (issue 18): gp+ASHA and tpe+ASHA against random+ASHA.

::

    python benchmarks/bench_early_stopping.py --seeds 5 --budget 600 --out /tmp/es
    python benchmarks/bench_early_stopping.py --cases digits --seeds 1 --budget 120 \\
        --epochs 6 --folds 2                     # a smoke run (minutes)

Three cases, each searched through ``ac.run`` with ASHA (rungs at epochs 3, 9, 27 of 30):

- ``digits``: the image case study (``plugins/automl-core-torch/examples/digits_cnn.py``):
  digits resized and standardized, a CNN whose structure, learning rate, batch size and
  dropout are searched;
- ``table``: a torch MLP on a generated nonlinear regression (Friedman #1, 4,000 rows, 10
  features), scored by R^2; layers, units, learning rate, batch size and dropout are searched.
  Chosen for its signal: see ``table_case`` for the landscape figures;
- ``churn``: the same MLP space on the churn table (``automl_core.data.datasets.make_churn``,
  5,000 rows, no duplicates) with its automatic cleaning chain, scored by ROC AUC. It was the
  ``table`` case until 2026-11-29 (RESULTS.md's issue-18 "table" rows up to then are this
  case), renamed when measured flat at the top: every strategy's best within 0.004 AUC, less
  than the noise of one configuration. Not in the default ``--cases``.

Per case and seed, random+ASHA runs first for ``--budget`` seconds; its best validation
(cross-validated) score among the trials that ran to the end is the target ``S*``. gp+ASHA
and tpe+ASHA then run for the same budget, and Optuna's TPE with its Hyperband pruner (same
pipeline, folds, epochs and space, through the same objective code, one thread per trial and
as many trials at once as CPUs) for the same wall time. For each, the time to reach ``S*`` is
the finishing time of its first finished trial scoring at least ``S*``, counted from its
first trial's start (Ray's start-up and the final refit left out alike). Issue 18's target:
gp and tpe reach ``S*`` in at most 70% of random's budget (median over 5 seeds), and match or
beat Optuna's best score at the same wall time.

``--out`` keeps one JSON per (case, strategy, seed) so an interrupted run resumes.
``--landscape N`` runs N trials per case and strategy without a scheduler and prints them by
score (what the search is rewarded for: it showed the churn case by accuracy was rewarding
networks that do not learn)::

    python benchmarks/bench_early_stopping.py --cases churn --strategies random,gp \
        --landscape 60 --budget 240 --epochs 9 --folds 2

Needs the trial engine to tell strategies each trial's ``fidelity`` and ``curve`` (it does since
the engine rewrite of issue 18); Optuna is needed for the ``optuna-tpe`` row only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "automl-core-torch" / "examples"))

STRATEGIES = ["random", "gp", "tpe", "optuna-tpe"]
ASHA = {"kind": "asha", "grace_period": 3, "reduction_factor": 3}


# ---- the two cases ------------------------------------------------------------------------


def digits_case(strategy: str, budget: float, seed: int, epochs: int, folds: int):
    """The digits CNN case study's table and config (the example's own ``experiment``)."""
    from digits_cnn import digits_table, experiment

    cfg = experiment(budget_s=budget, asha=True, strategy=strategy, seed=seed, epochs=epochs)
    cfg["cv"]["folds"] = folds
    cfg["scheduler"] = {**ASHA, "max_epochs": epochs}
    return digits_table(), cfg


def _mlp_case(table, target: str, task: str, metric: str, strategy, budget, seed, epochs, folds):
    """The config of a torch MLP on ``table``, with the automatic cleaning chain written out (so
    the Optuna baseline builds exactly the same pipelines). The space is the same in every
    table case: layers, units, learning rate, batch size and dropout."""
    from automl_core.data.autoclean import default_cleaners

    X, y = table.drop(columns=[target]), table[target]
    cleaners = [
        c.model_dump(mode="json")
        for c in default_cleaners(X, y, task)
        if getattr(c, "stage", None) != "dataset"
    ]
    mlp = {
        "kind": "mlp",
        "epochs": epochs,
        "hidden_layers": {"type": "int", "low": 1, "high": 3},
        "units": {"type": "int", "low": 16, "high": 256, "log": True},
        "learning_rate": {"type": "float", "low": 1e-4, "high": 3e-2, "log": True},
        "batch_size": {"type": "choice", "values": [32, 64, 128]},
        "regularizers": [{"kind": "dropout", "rate": {"type": "float", "low": 0.0, "high": 0.5}}],
    }
    return {
        "target": target,
        "task": task,
        "metric": metric,
        "test_size": 0.25,
        "seed": seed,
        "cv": {"folds": folds},
        "cleaners": cleaners,
        "models": [mlp],
        "strategy": {"kind": strategy},
        "budget": {"time_s": budget},
        "resources": {"cpu": 1},
        "scheduler": {**ASHA, "max_epochs": epochs},
    }


def churn_case(strategy: str, budget: float, seed: int, epochs: int, folds: int):
    """A torch MLP on the churn table, with the automatic cleaning chain written out (so the
    Optuna baseline builds exactly the same pipelines), scored by ROC AUC. (Named ``table``
    until 2026-11-29: RESULTS.md's "table" rows of issue 18 up to then are this case.)

    Not accuracy: the chain weights the classes (15% churn), so a network that learns trades
    accuracy for the minority class (at most 0.78 over 60 random configurations at 9 epochs),
    and the best accuracy, 0.850, was the share of the majority class, reached by the
    configurations that barely learn (the smallest learning rate, batch and width). Measured
    with random and gp searches at 9 epochs (2026-11-29): the search was rewarded for finding
    a network that does not learn.
    """
    from automl_core.data.datasets import CHURN_TARGET, make_churn

    table = make_churn(5000, seed=0, duplicate_share=0.0)
    # roc_auc, not accuracy: see above
    return table, _mlp_case(
        table, CHURN_TARGET, "classification", "roc_auc", strategy, budget, seed, epochs, folds
    )


def table_case(strategy: str, budget: float, seed: int, epochs: int, folds: int):
    """A torch MLP on a generated nonlinear regression, scored by R^2: Friedman #1
    (``sklearn.datasets.make_friedman1``, 4,000 rows, 10 uniform features of which 5 are used,
    ``y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, 1)``, generated here).

    Chosen over the churn table by ROC AUC (now ``churn``), flat at the top, for having signal:
    configurations differ by more than the score's noise, and a trial's score after a few
    epochs ranks it much as its last one does. Measured on 2026-11-29 11:17-11:29 UTC (nice 15,
    load 2.3-4.5, a scratch script calling the same ``PipelineObjective`` as ``run_optuna``,
    split and folds of seed 0, 9 epochs, 2 folds, 40 configurations drawn uniformly from the
    space; noise = std over 3 trial seeds of one configuration, mean over the best, 75th
    percentile, median and 25th percentile ones):

    ==========================  ======  ===========  =====  ==========  ===============
    case                        top 10% spread (top  noise  rank corr.  rank corr.
                                mean    10% - med.)         ep. 1 / 9   ep. 3 / 9
    ==========================  ======  ===========  =====  ==========  ===============
    this one (friedman1, R^2)   0.920   0.096        0.008  0.86        0.93
    churn, ROC AUC              0.797   0.016        0.005  0.00        0.42
    classification A, accuracy  0.900   0.032        0.005  0.75        0.89
    classification B, accuracy  0.797   0.017        0.003  0.74        0.84
    classification C, accuracy  0.923   0.028        0.011  0.83        0.93
    friedman1 3,000 x 20, R^2   0.855   0.130        0.023  0.86        0.96
    ==========================  ======  ===========  =====  ==========  ===============

    (Rank correlations are Spearman's; classification A/B/C are ``make_classification`` with
    4,000 rows: A 20 features, 10 informative, 2 redundant, 3 clusters per class, class_sep 1.0,
    flip_y 0.01; B 30 features, 8 informative, 4 clusters, class_sep 0.8, flip_y 0.02; C 10
    features, 6 informative, 4 clusters, class_sep 1.5, flip_y 0.01.) Here: best configuration
    0.920 +- 0.005 over 3 seeds, 75th percentile 0.896 +- 0.004, median 0.816 +- 0.004, 25th
    percentile 0.735 +- 0.020; 0.52 s of CPU a trial (median; at most 1.8 s). Through ``ac.run``
    (``--cases table --strategies random --landscape 40 --budget 240 --epochs 9 --folds 2``,
    11:29-11:31 UTC, load 2.5-3.8): top 10% 0.925, median 0.804, range 0.121-0.935. Chosen by
    these figures only, not by any strategy's result on it.
    """
    import pandas as pd
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=4000, n_features=10, noise=1.0, random_state=0)
    table = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])]).assign(y=y)
    return table, _mlp_case(table, "y", "regression", "r2", strategy, budget, seed, epochs, folds)


CASES = {"digits": digits_case, "table": table_case, "churn": churn_case}


# ---- one search -----------------------------------------------------------------------------


def run_ours(case: str, strategy: str, seed: int, args) -> dict[str, Any]:
    """One ``ac.run`` with ASHA: every trial's (finish time, status, score), the best."""
    import automl_core as ac

    table, cfg = CASES[case](strategy, args.budget, seed, args.epochs, args.folds)
    t0 = time.perf_counter()
    res = ac.run(table, config=cfg, show_progress=False)
    wall = time.perf_counter() - t0
    t = res.table
    start = float(t["started_s"].min())
    trials = [
        {"end_s": float(r.finished_s) - start, "status": r.status, "score": r.score}
        for r in t.itertuples()
        # None or NaN: the trial did not finish (cancelled when the budget ran out)
        if r.finished_s is not None and r.finished_s == r.finished_s
    ]
    return {"trials": trials, "wall_s": wall, "best_score": res.best.score if res.best else None}


class _OptunaContext:
    """The trial context our objective reports epochs to, wired to Optuna's pruner."""

    def __init__(self, trial, seed: int):
        self.trial, self.seed, self.cpus, self.gpus, self.epoch = trial, seed, 1, 0, 0

    def report(self, epoch: int | None = None, **metrics: float) -> None:
        import optuna

        self.epoch = epoch or self.epoch + 1
        self.trial.report(metrics["score"], self.epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned()


def _suggest(trial, space) -> dict[str, Any]:
    """A point of our search space from Optuna's ``suggest_*`` (conditional dims in order)."""
    from automl_core.search.space import Choice, Float

    point: dict[str, Any] = {}
    for d in space.dims:
        if not space.is_active(d, point):
            continue
        dom = d.domain
        if isinstance(dom, Choice):
            k = trial.suggest_categorical(d.name, list(range(len(dom.values))))
            point[d.name] = dom.values[k]
        elif isinstance(dom, Float):
            point[d.name] = trial.suggest_float(d.name, dom.low, dom.high, log=dom.log)
        else:
            point[d.name] = trial.suggest_int(d.name, dom.low, dom.high, log=dom.log)
    return point


def run_optuna(case: str, seed: int, args) -> dict[str, Any]:
    """Optuna TPE + HyperbandPruner on the same objective, rows and folds, for the budget."""
    import optuna
    import torch

    from automl_core.config import parse_config
    from automl_core.evaluation.cv import make_folds, split_rows
    from automl_core.evaluation.objective import PipelineObjective
    from automl_core.search.config_space import build_space
    from automl_core.seeds import derive_seed

    torch.set_num_threads(1)  # one thread per trial, as our trials get one CPU each
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    table, cfg_dict = CASES[case]("random", args.budget, seed, args.epochs, args.folds)
    cfg = parse_config(cfg_dict)
    X, y = table.drop(columns=[cfg.target]), table[cfg.target]
    X, _, y, _ = split_rows(X, y, cfg.task, derive_seed(seed, "test"), test_size=cfg.test_size)
    folds = make_folds(
        y, cfg.task, cfg.cv.folds, cfg.cv.shuffle, cfg.cv.stratified, derive_seed(seed, "folds")
    )
    objective = PipelineObjective(cfg.model_dump(mode="json"), X, y, folds, cfg.task)
    space = build_space(cfg)
    trials: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def optuna_objective(trial) -> float:
        ctx = _OptunaContext(trial, derive_seed(seed, "trial", trial.number))
        try:
            score = objective(space.with_constants(_suggest(trial, space)), ctx)["score"]
        except optuna.TrialPruned:
            trials.append({"end_s": time.perf_counter() - t0, "status": "stopped early"})
            raise
        trials.append({"end_s": time.perf_counter() - t0, "status": "ok", "score": score})
        return score

    pruner = optuna.pruners.HyperbandPruner(
        min_resource=ASHA["grace_period"], max_resource=args.epochs, reduction_factor=3
    )
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner
    )
    study.optimize(optuna_objective, timeout=args.budget, n_jobs=os.cpu_count() or 1)
    ok = [t["score"] for t in trials if t["status"] == "ok"]
    return {
        "trials": trials,
        "wall_s": time.perf_counter() - t0,
        "best_score": max(ok, default=None),
    }


# ---- the report -----------------------------------------------------------------------------


def time_to(run: dict[str, Any], target: float) -> float | None:
    """When the first finished trial scoring at least ``target`` ended (None: never)."""
    hits = [t["end_s"] for t in run["trials"] if t["status"] == "ok" and t["score"] >= target]
    return min(hits) if hits else None


def summarise(runs: dict[tuple[str, str, int], dict], budget: float) -> str:
    lines = [
        "| case | strategy | seeds | best CV score, median | time to random's best / budget,"
        " median [per seed] | trials (stopped early), median |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for case in sorted({k[0] for k in runs}):
        for strat in STRATEGIES:
            seeds = sorted(s for c, m, s in runs if c == case and m == strat)
            if not seeds:
                continue
            fracs, bests, n, stopped = [], [], [], []
            for s in seeds:
                run, ref = runs[(case, strat, s)], runs.get((case, "random", s))
                bests.append(run["best_score"] if run["best_score"] is not None else float("nan"))
                n.append(len(run["trials"]))
                stopped.append(sum(t["status"] == "stopped early" for t in run["trials"]))
                if ref is not None and ref["best_score"] is not None:
                    hit = time_to(run, ref["best_score"])
                    fracs.append(float("inf") if hit is None else hit / budget)
            per_seed = ", ".join("never" if f == float("inf") else f"{f:.2f}" for f in fracs)
            med = statistics.median(fracs) if fracs else float("nan")
            lines.append(
                f"| {case} | {strat} | {len(seeds)} | {statistics.median(bests):.4f} "
                f"| {'never' if med == float('inf') else f'{med:.2f}'} [{per_seed}] "
                f"| {statistics.median(n):.0f} ({statistics.median(stopped):.0f}) |"
            )
    return "\n".join(lines)


def landscape(case: str, strategy: str, trials: int, args) -> str:
    """The case searched without a scheduler (every trial runs all its epochs): the
    configurations by score, best first, to see what the search is rewarded for."""
    import automl_core as ac

    table, cfg = CASES[case](strategy, args.budget, 0, args.epochs, args.folds)
    cfg.pop("scheduler")
    cfg["budget"] = {"time_s": args.budget, "trials": trials}
    t = ac.run(table, config=cfg, show_progress=False).table
    cols = ["status", "score", *[c for c in t.columns if c.startswith("param.")]]
    return t[cols].sort_values("score", ascending=False).to_string()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="digits,table")
    ap.add_argument("--strategies", default=",".join(STRATEGIES))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=600, help="seconds per search")
    ap.add_argument("--epochs", type=int, default=30, help="epochs of a trial run to its end")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None, help="folder of per-run JSON results")
    ap.add_argument(
        "--landscape",
        type=int,
        default=0,
        metavar="N",
        help="instead: N trials of each case and strategy without a scheduler, by score",
    )
    args = ap.parse_args(argv)
    if args.landscape:
        for case in [c for c in args.cases.split(",") if c]:
            for strat in [s for s in args.strategies.split(",") if s and s != "optuna-tpe"]:
                print(f"{case}, {strat}, {args.landscape} trials, seed 0:")
                print(landscape(case, strat, args.landscape, args))
        return
    os.environ.setdefault("RAY_worker_niceness", "0")  # as bench_torch.py: see its docs
    strategies = [s for s in args.strategies.split(",") if s]
    if "random" not in strategies:
        strategies.insert(0, "random")  # the reference of every other row
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise SystemExit(f"--strategies: unknown {sorted(unknown)}; known: {STRATEGIES}")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
    runs: dict[tuple[str, str, int], dict] = {}
    for seed in range(args.seeds):
        for case in [c for c in args.cases.split(",") if c]:
            for strat in strategies:
                path = None if args.out is None else args.out / f"{case}__{strat}__{seed}.json"
                if path is not None and path.exists():
                    runs[(case, strat, seed)] = json.loads(path.read_text())
                    continue
                t0 = time.time()
                if strat == "optuna-tpe":
                    run = run_optuna(case, seed, args)
                else:
                    run = run_ours(case, strat, seed, args)
                run["load_1min"] = os.getloadavg()[0]
                runs[(case, strat, seed)] = run
                if path is not None:
                    path.write_text(json.dumps(run))
                print(
                    f"[{time.time() - t0:.0f}s] {case} {strat} seed {seed}: best "
                    f"{run['best_score']}, {len(run['trials'])} trials",
                    file=sys.stderr,
                )
    print(f"budget {args.budget:.0f} s, {args.epochs} epochs, {args.folds} folds")
    print(summarise(runs, args.budget))


if __name__ == "__main__":
    main()
