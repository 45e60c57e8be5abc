"""The autopilot's search: plan the budget, search portfolio-first, ensemble, refit within budget.

:class:`AutopilotSearch` is the autopilot's :class:`~automl_core.experiment.lifecycle.Search`: the
lifecycle (journal, split, save, loggers) is the same as every run's.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits  # noqa: E402

from ..evaluation.pipeline import build_pipeline  # noqa: E402
from ..experiment.configured import executor_settings, worker_config
from ..experiment.lifecycle import LINEAR, Search, baseline_point
from ..results import Results
from ..search.config_space import resolve  # noqa: E402
from ..seeds import derive_seed
from ..trials.engine import TrialEngine
from ..trials.executors import choose_executor, cpu_count  # noqa: E402
from .budget import Plan, make_plan, refit_reserve, refit_seconds
from .ensemble import ENSEMBLE_METRICS, EnsembleClassifier, EnsembleRegressor, greedy_ensemble
from .objective import OOF_KEY, AutopilotObjective, BestOOF, decode_oof
from .portfolio import autopilot_models, portfolio
from .strategy import PortfolioStrategy, portfolio_point

__all__ = ["AutopilotSearch", "autopilot_config"]

#: the autopilot's time budget when ``strategy="auto"`` comes without one
DEFAULT_BUDGET_S = 60.0
#: at most this many of the best trials are candidates for the ensemble
ENSEMBLE_CANDIDATES = 12


def autopilot_config(cfg):
    """``cfg`` with the autopilot's models (the config the workers validate again): the
    models the user named (``run(models=["lightgbm"], strategy="auto")``: those named by kind
    alone over their default ranges, the rest as written), else every installed model with
    portfolio entries for the task."""
    from ..config import parse_config

    d = cfg.model_dump(mode="json", exclude_none=True)
    if not cfg.models:
        d["models"] = autopilot_models(cfg.task)
    d["strategy"] = {"kind": "random"}  # recorded only: the autopilot's strategy drives the run
    return parse_config(d)


def portfolio_starts(space, cfg, n_features: int) -> list[dict[str, Any]]:
    """The portfolio's points in ``space``, in the order they run: the entries of the models
    the config searches (by label: the first entry of a kind takes its kind's portfolio), each
    clipped into the ranges searched. An entry that no point of the space can hold (a value
    the user's choice list leaves out) is skipped, not an error: the user's ranges rule."""
    from ..search.config_space import config_models, labels

    searched = set(labels(config_models(cfg)))
    starts = []
    for kind, values in portfolio(cfg.task, n_features):
        if kind not in searched:
            continue
        try:
            starts.append(portfolio_point(space, kind, values))
        except ValueError:
            continue
    return starts


def _subsample(X, y, rows: int, task: str, seed: int):
    if rows >= len(X):
        return X, y
    from ..evaluation.cv import split_rows

    Xs, _, ys, _ = split_rows(X, y, task, seed, train_size=rows)
    return Xs, ys


class AutopilotSearch(Search):
    """The default run on the cleaned table within the experiment's deadline.

    Trials run on threads of this process on one machine (on the warm local pool when
    ``memory_mb`` caps each trial), through Ray Tune on a cluster (the rule in
    :mod:`automl_core.trials.executors`), one per CPU, honouring ``[faults]`` and
    ``memory_mb`` like any run. The search ends early enough to refit its best trial so far
    within the budget (the engine's ``reserve``); ``exp.trials`` optionally caps the trials.
    """

    name = "autopilot"

    def __init__(self, exp):
        super().__init__(exp)
        exp.cfg = autopilot_config(exp.cfg)
        self.settings = executor_settings(exp.cfg, autopilot=True)
        self.executor = choose_executor(self.settings)
        self.local = self.executor in ("local", "threads")
        self.workers = self.settings.workers or cpu_count()
        if self.executor == "local":
            from ..trials.local_pool import warm_up

            warm_up(self.workers)  # workers import while the driver plans
        self.stuck = False

    def prepare(self, X, y) -> None:
        from ..evaluation.cv import make_folds

        exp, cfg = self.exp, self.exp.cfg
        self.plan = plan = make_plan(len(X), X.shape[1], exp.deadline.budget_s)
        self.Xs, self.ys = _subsample(
            X, y, plan.search_rows, cfg.task, derive_seed(cfg.seed, "subsample")
        )
        self.folds = make_folds(
            self.ys,
            cfg.task,
            _small_table_folds(plan.folds, self.ys, cfg.task),
            True,
            None,
            derive_seed(cfg.seed, "folds"),
        )

    def search(self, X, y, journal, progress, on_trial):
        from ..search.config_space import build_space
        from ..trials.progress import Progress

        exp, cfg, plan, folds = self.exp, self.exp.cfg, self.plan, self.folds
        self.space = space = build_space(cfg)
        self.starts = portfolio_starts(space, cfg, X.shape[1])
        strategy = PortfolioStrategy(
            space, exp.mode, derive_seed(cfg.seed, "strategy"), self.starts
        )
        objective = AutopilotObjective(worker_config(cfg), self.Xs, self.ys, folds, cfg.task)
        if journal is not None:
            # out-of-fold predictions (large) in files of their own, for the ensemble's candidates
            journal.keep_aside(OOF_KEY, ENSEMBLE_CANDIDATES, exp.mode)
        best_oof = BestOOF(ENSEMBLE_CANDIDATES, exp.mode)  # the others' predictions dropped

        def recorded(rec, history):
            best_oof(rec)
            if on_trial is not None:
                on_trial(rec, history)

        caps = [t for t in (plan.trial_timeout_s, cfg.faults.trial_timeout_s) if t]
        engine = TrialEngine(
            strategy,
            space,
            seed=cfg.seed,
            mode=exp.mode,
            n_trials=exp.trials,
            retries=cfg.faults.retries,
            trial_timeout_s=min(caps) if caps else None,
            memory_mb=cfg.resources.memory_mb,
            journal=journal,
            progress=Progress(exp.trials, cfg.metric) if progress is not None else None,
            deadline=exp.deadline,
            reserve=self._reserve,
            on_trial=recorded,
        )
        if not self.local:
            from ..runner import ensure_ray

            ensure_ray(cfg.address, preload="tables")  # its start-up counts against the budget
        self.stuck = self.run_engine(engine, objective, journal, self.settings)
        self.search_done = time.perf_counter()
        if self.stuck and self.executor == "local":
            # a worker is stuck in one long C call past the search's end: free its CPU now (the
            # refit then runs here, in this process; a thread cannot be ended, and the refit
            # then runs one fit at a time beside it)
            from ..trials.local_pool import kill_workers

            kill_workers()
        return engine.recorder

    def importance_rows(self, X, y):
        return self.Xs, self.ys, self.folds  # the searched subsample and its folds

    def fallback(self, X, y):
        """The cheapest portfolio start (a linear model), fitted on the searched rows: quick."""
        cheap = [p for p in self.starts if p.get("model") in LINEAR] or self.starts[:1]
        return (cheap[0] if cheap else baseline_point(self.space)), self.Xs, self.ys

    def _reserve(self, recorder) -> float:
        """Seconds kept back from the deadline: the refit of the best trial so far."""
        best = recorder.best(self.exp.mode)
        if best is None:
            return self.plan.reserve_s
        fit_s = _fit_time(best, self.plan.folds)
        model = best.params.get("model")
        return refit_reserve(self.plan, fit_s, len(self.Xs), len(self.exp.X), model)

    def results(self, recorder, X) -> Results:
        # the out-of-fold predictions are for the ensemble, not columns of the table
        self.oof = {n: rec.metrics.pop(OOF_KEY, None) for n, rec in recorder.trials.items()}
        results = super().results(recorder, X)
        exp = self.exp
        auto: dict[str, Any] = {
            **self.plan.as_dict(),
            "folds": len(self.folds),  # fewer than planned on a table too small for them
            "search_done_s": round(self.search_done - exp.deadline.started, 2),
            "trials": len(recorder.done()),
            "executor": self.executor,  # threads, local (the pool) or ray: see trials.executors
        }
        if exp.deadline.spent_s:
            auto["resumed_after_s"] = round(exp.deadline.spent_s, 2)  # used by earlier processes
        results.info["autopilot"] = self.auto = auto
        return results

    def refit(self, results, recorder, X, y) -> None:
        exp, cfg, auto = self.exp, self.exp.cfg, self.auto
        best_rec = recorder.best(exp.mode)
        if best_rec is None:
            # nothing finished in time (a tiny budget, a cold start on a busy machine): the
            # lifecycle's fit_baseline fits self.fallback's point, so the user still gets a model
            auto["fallback"] = True
            return
        self.parallel = self.workers if self.local and not self.stuck else 1
        members = _choose_ensemble(
            recorder,
            self.oof,
            self.ys,
            cfg,
            exp.mode,
            self.plan,
            len(self.Xs),
            len(X),
            exp.deadline.at,
            self.parallel,
        )
        auto["ensemble_done_s"] = round(time.perf_counter() - exp.deadline.started, 2)
        if members:
            auto["ensemble"] = {int(n): int(w) for n, w in members["weights"].items()}
            auto["ensemble_oof_score"] = members["score"]
            recs = [recorder.trials[n] for n in members["weights"]]
            cls = EnsembleClassifier if cfg.task == "classification" else EnsembleRegressor
            weights = [members["weights"][r.trial_id] for r in recs]
            results.best_pipeline = cls(self._refit(recs, X, y), weights)
        else:
            results.best_pipeline = self._refit([best_rec], X, y)[0]
        auto["refit_done_s"] = round(time.perf_counter() - exp.deadline.started, 2)

    def _refit(self, recs, X, y):
        """Refit ``recs`` on all rows, or on as many rows as the time left allows (a random
        subsample: the estimate said all rows would break the budget); on the pool when
        running locally."""
        exp, cfg, plan, auto = self.exp, self.exp.cfg, self.plan, self.auto
        est = _refit_cost(recs, plan, len(self.Xs), len(X), self.parallel)
        left = exp.deadline.left() - plan.min_reserve_s / 2
        rows = len(X)
        if est > left:
            rows = max(int(len(X) * max(left, 0.0) / max(est, 1e-9)), min(len(X), 1_000))
        Xf, yf = _subsample(X, y, rows, cfg.task, derive_seed(cfg.seed, "refit"))
        auto["refit_start_s"] = round(time.perf_counter() - exp.deadline.started, 2)
        auto["refit_rows"] = int(len(Xf))
        auto["refit_estimate_s"] = round(est, 2)
        pipes = [
            build_pipeline(resolve(cfg, r.params), cfg.task, seed=r.seed, n_jobs=1) for r in recs
        ]
        if self.parallel > 1 and self.executor == "threads":
            from ..trials.threads import fit_all as fit_on_threads

            return fit_on_threads(pipes, Xf, yf, self.workers)
        if self.parallel > 1:
            from ..trials.local_pool import fit_all

            return fit_all(pipes, Xf, yf, self.workers)
        with threadpool_limits(1):  # see local_pool.fit_all
            return [p.fit(Xf, yf) for p in pipes]


def _small_table_folds(folds: int, y, task: str) -> int:
    """The plan's folds, fewer on a table too small for them (2 at the least): a regression
    needs 2 validation rows per fold, a classification one row of each class."""
    if task == "classification":
        most = int(y.value_counts().min())
    else:
        most = len(y) // 2
    return max(2, min(folds, most))


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
