"""The autopilot run: plan the budget, search portfolio-first, ensemble, refit within budget."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from ..metrics import metric_mode
from ..results import Results, results_from_recorder
from ..seeds import derive_seed
from .budget import Plan, make_plan, refit_reserve, refit_seconds
from .ensemble import ENSEMBLE_METRICS, EnsembleClassifier, EnsembleRegressor, greedy_ensemble
from .objective import OOF_KEY, AutopilotObjective, decode_oof
from .portfolio import autopilot_models, portfolio
from .strategy import PortfolioStrategy, portfolio_point

__all__ = ["run_autopilot", "autopilot_config"]

#: the models a fallback fits when no trial finished in time (fast on any table)
_LINEAR = ("logistic_regression", "linear_regression")
#: at most this many of the best trials are candidates for the ensemble
ENSEMBLE_CANDIDATES = 12


def autopilot_config(cfg):
    """``cfg`` with the autopilot's models (the config the workers validate again)."""
    from ..config import parse_config

    d = cfg.model_dump(mode="json", exclude_none=True)
    d["models"] = autopilot_models(cfg.task)
    d["strategy"] = {"kind": "random"}  # recorded only: the autopilot's strategy drives the run
    return parse_config(d)


def _cpu_count() -> int:
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _subsample(X, y, rows: int, task: str, seed: int):
    if rows >= len(X):
        return X, y
    from ..evaluate import split_rows

    Xs, _, ys, _ = split_rows(X, y, task, seed, train_size=rows)
    return Xs, ys


def run_autopilot(
    cfg,
    X: pd.DataFrame,
    y: pd.Series,
    info: dict[str, Any],
    *,
    time_budget_s: float,
    started: float | None = None,
    trials: int | None = None,
    show_progress: bool = True,
    ensemble: bool = True,
    workers: int | None = None,
    journal: Any = None,
) -> Results:
    """Run the default experiment on the cleaned table ``X``/``y`` within ``time_budget_s``.

    ``started`` is the ``time.perf_counter()`` at which the user's call began (the budget
    counts from there); ``trials`` optionally caps the number of trials too. On one machine
    (no ``address``) trials run on a warm local process pool of ``workers`` (default: the CPUs
    this process may use), one per CPU; on a cluster they go through the runner on Ray.

    With a results folder (``cfg.results_dir``) the run keeps a journal there
    (:mod:`automl_core.journal`); ``journal`` is the one :func:`automl_core.resume` passes to
    continue it. A resumed run keeps the finished trials (and the out-of-fold predictions of
    the best, for the ensemble), runs the unfinished ones again, and has what is left of the
    budget: ``time_budget_s`` counts the whole experiment, across processes.
    """
    from threadpoolctl import threadpool_limits

    from ..api import _split_test
    from ..evaluate import make_folds
    from ..experiment import build_space, resolve
    from ..pipeline import build_pipeline
    from ..progress import Progress
    from .local import fit_all, kill_workers, run_local, warm_up

    started = time.perf_counter() if started is None else started
    spent = 0.0  # seconds of the budget that earlier processes used (a resumed run)
    resuming = journal is not None
    if resuming:
        earlier_s = journal.elapsed_s()  # their time from the journal's start
        spent = journal.header.get("setup_s", 0.0) + earlier_s
    elif cfg.results_dir:
        from ..resume import autopilot_journal

        journal = autopilot_journal(
            cfg, X, y, info, time_budget_s, trials, setup_s=time.perf_counter() - started
        )
    deadline = started + max(0.0, time_budget_s - spent)
    cfg = autopilot_config(cfg)
    workers = workers or _cpu_count()
    if cfg.address is None:
        warm_up(workers)  # workers import while the driver plans
    mode = metric_mode(cfg.metric)
    X_test = y_test = None
    if cfg.test_size:
        X, X_test, y, y_test = _split_test(X, y, cfg)
        info["test_rows"] = int(len(X_test))
    plan = make_plan(len(X), X.shape[1], time_budget_s)
    Xs, ys = _subsample(X, y, plan.search_rows, cfg.task, derive_seed(cfg.seed, "subsample"))
    folds = make_folds(ys, cfg.task, plan.folds, True, None, derive_seed(cfg.seed, "folds"))
    space = build_space(cfg)
    labels = set(space.dim("model").domain.values) if "model" in space.names else set()
    starts = [
        portfolio_point(space, kind, values)
        for kind, values in portfolio(cfg.task, X.shape[1])
        if kind in labels
    ]
    strategy = PortfolioStrategy(space, mode, derive_seed(cfg.seed, "strategy"), starts)
    objective = AutopilotObjective(cfg.model_dump(mode="json"), Xs, ys, folds, cfg.task)
    if journal is not None:
        # out-of-fold predictions (large) in files of their own, for the ensemble's candidates
        journal.keep_aside(OOF_KEY, ENSEMBLE_CANDIDATES, mode)

    def search_deadline(recorder) -> float:
        """The search ends early enough to refit its best trial so far within the budget."""
        best = recorder.best(mode)
        if best is None:
            return deadline - plan.reserve_s
        fit_s = _fit_time(best, plan.folds)
        return deadline - refit_reserve(plan, fit_s, len(Xs), len(X), best.params.get("model"))

    if cfg.address is None:
        state = None
        if resuming:
            from ..journal import restore

            state = restore(journal, strategy)
        recorder, stuck = run_local(
            objective,
            strategy,
            space,
            deadline=search_deadline,
            workers=workers,
            seed=cfg.seed,
            n_trials=trials,
            trial_timeout_s=plan.trial_timeout_s,
            progress=Progress(trials, cfg.metric) if show_progress else None,
            mode=mode,
            journal=journal,
            resume=state,
        )
    else:  # a cluster: trials go through the runner on Ray
        stuck = False
        from ..runner import ensure_ray, run_search

        ensure_ray(cfg.address, preload="tables")  # its start-up counts against the budget
        search_s = max(1.0, deadline - time.perf_counter() - plan.reserve_s)
        if resuming:
            # run_search restores the journal itself and takes the earlier processes' time
            # off the budget it is given: give it back, it is already off the deadline
            search_s += earlier_s
        recorder = run_search(
            objective,
            space,
            strategy,
            n_trials=trials,
            time_budget_s=search_s,
            mode=mode,
            metric_name=cfg.metric,
            cpu=cfg.resources.cpu,
            gpu=cfg.resources.gpu,
            seed=cfg.seed,
            address=cfg.address,
            show_progress=show_progress,
            trial_timeout_s=plan.trial_timeout_s,
            journal=journal,
        )
    search_done = time.perf_counter()
    if stuck:
        # a worker is stuck in one long C call past the search's end: free its CPU now (the
        # refit then runs here, in this process)
        kill_workers()
    # the out-of-fold predictions are for the ensemble, not columns of the table
    oof = {n: rec.metrics.pop(OOF_KEY, None) for n, rec in recorder.trials.items()}
    results = results_from_recorder(
        recorder,
        "autopilot",
        space.names,
        cfg.metric,
        mode,
        config=cfg,
        info={**info, "task": cfg.task, "rows": int(len(X))},
    )
    best_rec = recorder.best(mode)
    auto: dict[str, Any] = {
        **plan.as_dict(),
        "search_done_s": round(search_done - started, 2),
        "trials": len(recorder.done()),
    }
    if resuming:
        auto["resumed_after_s"] = round(spent, 2)  # the budget earlier processes used
    results.info["autopilot"] = auto
    if best_rec is None:
        # nothing finished in time (a tiny budget, a cold start on a busy machine): fit the
        # cheapest portfolio configuration (linear) on the searched rows, one thread, so the
        # user still gets a model, quickly
        cheap = [p for p in starts if p.get("model") in _LINEAR] or starts[:1]
        pipe = build_pipeline(resolve(cfg, space.with_constants(cheap[0])), cfg.task, seed=0)
        with threadpool_limits(1):
            results.best_pipeline = pipe.fit(Xs, ys)
        auto["fallback"] = True
        _test_score(results, X_test, y_test, cfg.metric)
        return results

    parallel = workers if cfg.address is None and not stuck else 1

    def refit(recs):
        """Refit ``recs`` on all rows, or on as many rows as the time left allows (a random
        subsample: the estimate said all rows would break the budget); on the pool when
        running locally."""
        est = _refit_cost(recs, plan, len(Xs), len(X), parallel)
        left = deadline - time.perf_counter() - plan.min_reserve_s / 2
        rows = len(X)
        if est > left:
            rows = max(int(len(X) * max(left, 0.0) / max(est, 1e-9)), min(len(X), 1_000))
        Xf, yf = _subsample(X, y, rows, cfg.task, derive_seed(cfg.seed, "refit"))
        auto["refit_start_s"] = round(time.perf_counter() - started, 2)
        auto["refit_rows"] = int(len(Xf))
        auto["refit_estimate_s"] = round(est, 2)
        pipes = [
            build_pipeline(resolve(cfg, r.params), cfg.task, seed=r.seed, n_jobs=1) for r in recs
        ]
        if parallel > 1:
            return fit_all(pipes, Xf, yf, workers)
        with threadpool_limits(1):  # see local.fit_all
            return [p.fit(Xf, yf) for p in pipes]

    members = _choose_ensemble(
        recorder, oof, ys, cfg, mode, plan, len(Xs), len(X), deadline, parallel
    )
    auto["ensemble_done_s"] = round(time.perf_counter() - started, 2)
    if ensemble and members:
        auto["ensemble"] = {int(n): int(w) for n, w in members["weights"].items()}
        auto["ensemble_oof_score"] = members["score"]
        recs = [recorder.trials[n] for n in members["weights"]]
        cls = EnsembleClassifier if cfg.task == "classification" else EnsembleRegressor
        results.best_pipeline = cls(refit(recs), [members["weights"][r.trial_id] for r in recs])
    else:
        results.best_pipeline = refit([best_rec])[0]
    auto["refit_done_s"] = round(time.perf_counter() - started, 2)
    _test_score(results, X_test, y_test, cfg.metric)
    if cfg.results_dir:
        results.save(cfg.results_dir)
    return results


def _test_score(results: Results, X_test, y_test, metric: str) -> None:
    from ..evaluate import score

    if X_test is None:
        return
    results.info["test_score"] = score(results.best_pipeline, X_test, y_test, metric)
    results.test_predictions = pd.DataFrame(
        {"y_true": y_test.to_numpy(), "y_pred": results.best_pipeline.predict(X_test)},
        index=X_test.index,
    )


def _fit_time(rec, folds: int) -> float:
    """A trial's summed fold fit time, from its median fold (robust to a cold first fit)."""
    m = rec.metrics
    return m["fold_fit_s"] * folds if "fold_fit_s" in m else m.get("fit_time_s", 0.0)


def _refit_cost(recs, plan: Plan, n_search: int, n_rows: int, parallel: int) -> float:
    """Seconds to refit ``recs`` on ``n_rows`` rows, ``parallel`` at a time (safety included):
    the longest fit, or the total shared over the workers if that is more."""
    each = [
        refit_seconds(plan, _fit_time(r, plan.folds), n_search, n_rows, r.params.get("model"))
        for r in recs
    ]
    return max(max(each, default=0.0), sum(each) / max(1, min(parallel, len(each))))


def _choose_ensemble(recorder, oof, ys, cfg, mode, plan, n_search, n_rows, deadline, parallel):
    """Greedy ensemble of the best trials when it beats the best one out of fold and its
    members' refits fit in the time left; else None."""
    if cfg.metric not in ENSEMBLE_METRICS:
        return None
    if deadline - time.perf_counter() < 0.1 * plan.min_reserve_s:
        return None  # no time to choose one
    ok = [r for r in recorder.done() if r.status == "ok" and oof.get(r.trial_id)]
    ok.sort(key=lambda r: r.score, reverse=mode == "max")
    ok = ok[:ENSEMBLE_CANDIDATES]
    if len(ok) < 2:
        return None
    preds = [decode_oof(oof[r.trial_id]).astype(float) for r in ok]
    y = ys.to_numpy()
    classes = np.unique(y) if cfg.task == "classification" else None
    weights, ens_score = greedy_ensemble(preds, y, cfg.metric, classes)
    single = greedy_ensemble(preds[:1], y, cfg.metric, classes, max_steps=0)[1]
    if len(weights) < 2 or ens_score <= single:
        return None
    cost = _refit_cost([ok[i] for i in weights], plan, n_search, n_rows, parallel)
    if cost > deadline - time.perf_counter() - plan.min_reserve_s / 2:
        return None
    return {"weights": {ok[i].trial_id: w for i, w in weights.items()}, "score": ens_score}
