"""The experiment lifecycle, written once: lock → journal → split → search → refit → test score
→ save → report (the loggers hear each step).

``ac.run`` (a configured experiment, or the autopilot), the estimators (through ``ac.run``) and
``ac.resume`` all come here with an :class:`Experiment`: a validated config, the checked and
cleaned table, and the run's one :class:`~automl_core.trials.deadline.Deadline`. What differs
between a configured search and the autopilot is a :class:`Search` (``search`` then
``refit``): :class:`automl_core.experiment.configured.ConfiguredSearch` and
:class:`automl_core.autopilot.run.AutopilotSearch`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..evaluation.metrics import metric_mode
from ..plugins import plugin_versions
from ..results import Results, results_from_recorder
from ..seeds import derive_seed
from ..trials.deadline import Deadline
from ..trials.engine import TrialEngine
from ..trials.executors import run_trials
from ..trials.journal import ExperimentInterrupted, Journal
from ..trials.lock import FolderLock
from ..trials.progress import Progress
from ..trials.records import Recorder
from ..trials.replay import restore, save_experiment
from .loggers import LoggerHub

__all__ = ["Experiment", "Search", "run_experiment"]


@dataclass
class Experiment:
    """What the lifecycle runs: ``X``/``y`` have passed the data checks and dataset cleaners."""

    cfg: Any
    X: pd.DataFrame
    y: pd.Series
    info: dict[str, Any]
    deadline: Deadline
    autopilot: bool = False
    #: the autopilot's optional cap on trials (a configured run reads ``cfg.budget.trials``)
    trials: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "autopilot" if self.autopilot else "run"

    @property
    def mode(self) -> str:
        return metric_mode(self.cfg.metric)


class Search:
    """One way of searching and refitting (the extension point between kinds of run).

    ``search`` runs the trials (on :func:`~automl_core.trials.executors.run_trials`) and returns
    the engine's records; ``results`` turns them into :class:`Results`; ``refit`` sets
    ``results.best_pipeline``, fitted on ``X``/``y`` (the training rows).
    """

    name = "search"

    def __init__(self, exp: Experiment):
        self.exp = exp
        self.space: Any = None

    def prepare(self, X, y) -> None:
        """Everything that can refuse the data (folds, plans), before the folder is touched."""

    def search(self, X, y, journal: Journal | None, progress, on_trial) -> Recorder:
        raise NotImplementedError

    def results(self, recorder: Recorder, X) -> Results:
        exp = self.exp
        return results_from_recorder(
            recorder,
            self.name,
            self.space.names,
            exp.cfg.metric,
            exp.mode,
            config=exp.cfg,
            info={**exp.info, "task": exp.cfg.task, "rows": int(len(X))},
        )

    def refit(self, results: Results, recorder: Recorder, X, y) -> None:
        raise NotImplementedError

    def importance_rows(self, X, y):
        """``(X, y, folds)`` for out-of-fold column importance: the searched rows and folds."""
        return X, y, getattr(self, "folds", None)

    def fallback(self, X, y):
        """``(point, X, y)``: what :func:`fit_baseline` fits when no trial finished in time, and
        on which rows. The cheapest point of the space (:func:`baseline_point`), on every
        training row; the autopilot gives its cheapest portfolio start on its searched rows."""
        return baseline_point(self.space), X, y

    def run_engine(self, engine: TrialEngine, objective, journal, settings) -> bool:
        """Continue ``journal``'s trials if it holds some, then run the engine's search."""
        if journal is not None and journal.count > 1:
            engine.restore(restore(journal, engine.strategy))
        return run_trials(objective, engine, settings)


def split_test(exp: Experiment):
    """``(X, y, X_test, y_test)``: the test rows held out when ``test_size`` is set."""
    from ..evaluation.cv import split_rows

    cfg = exp.cfg
    if not cfg.test_size:
        return exp.X, exp.y, None, None
    X, X_test, y, y_test = split_rows(
        exp.X, exp.y, cfg.task, derive_seed(cfg.seed, "test"), test_size=cfg.test_size
    )
    exp.info["test_rows"] = int(len(X_test))
    return X, y, X_test, y_test


def test_score(results: Results, X_test, y_test, metric: str) -> None:
    """The refit pipeline's score on the held-out rows, and its predictions there."""
    from ..evaluation.cv import score

    if X_test is None or results.best_pipeline is None:
        return
    results.info["test_score"] = score(results.best_pipeline, X_test, y_test, metric)
    results.test_predictions = pd.DataFrame(
        {"y_true": y_test.to_numpy(), "y_pred": results.best_pipeline.predict(X_test)},
        index=X_test.index,
    )


def start_journal(exp: Experiment) -> Journal:
    """A new run's journal, and what resuming it needs (``setup_s``: the budget used before)."""
    cfg = exp.cfg
    d = Path(cfg.results_dir)
    (d / "info.json").unlink(missing_ok=True)  # an earlier run's: "saved" means this run's
    journal = Journal.create(
        d,
        kind=exp.kind,
        n_trials=exp.trials if exp.autopilot else cfg.budget.trials,
        time_budget_s=exp.deadline.budget_s,
        seed=cfg.seed,
        strategy="auto" if exp.autopilot else cfg.strategy.kind,
        metric=cfg.metric,
        setup_s=round(exp.deadline.elapsed_s(), 3),
    )
    payload = {
        "kind": exp.kind,
        "config": cfg.model_dump(mode="json"),
        "X": exp.X,
        "y": exp.y,
        "info": exp.info,
        "time_budget_s": exp.deadline.budget_s,
        "trials": exp.trials,
    }
    save_experiment(d, payload)
    return journal


def run_experiment(
    exp: Experiment,
    search_cls: type[Search],
    *,
    show_progress: bool = True,
    journal: Journal | None = None,
    lock: FolderLock | None = None,
) -> Results:
    """Run ``exp`` through the lifecycle, searching with ``search_cls``
    (:class:`~automl_core.experiment.configured.ConfiguredSearch` or the autopilot's); ``journal`` (and its folder's held ``lock``) continue a run (``ac.resume``). Ctrl-C keeps what finished and raises
    :class:`~automl_core.trials.journal.ExperimentInterrupted`."""
    cfg = exp.cfg
    try:
        search = search_cls(exp)
        X, y, X_test, y_test = split_test(exp)
        search.prepare(X, y)  # a table too small for its folds is refused here, folder untouched
        if cfg.results_dir and lock is None:
            lock = FolderLock(cfg.results_dir).acquire()
        exp.info.setdefault("plugins", plugin_versions())  # what the run used (reproducibility)
        if journal is None and cfg.results_dir:
            journal = start_journal(exp)
        loggers = logger_hub(cfg)
        if loggers:
            loggers.start(
                kind=exp.kind,
                config=cfg.model_dump(mode="json"),
                info=exp.info,
                seed=cfg.seed,
                results_dir=cfg.results_dir,
                resumed=journal is not None and journal.count > 1,
                finished_rows=finished_rows(journal),
            )
        on_trial = row_logger(loggers)
        progress = Progress(cfg.budget.trials, cfg.metric) if show_progress else None
        try:
            recorder = search.search(X, y, journal, progress, on_trial)
        except ExperimentInterrupted as exc:  # keep what finished; `automl resume` does the rest
            save_interrupted(exc, cfg.results_dir, search, cfg)
            if loggers:
                loggers.close()  # flush what finished; a resume continues the same run
            raise
        results = search.results(recorder, X)
        search.refit(results, recorder, X, y)
        if results.best_pipeline is None and exp.deadline.bounded:
            fit_baseline(exp, search, results, X, y)
        test_score(results, X_test, y_test, cfg.metric)
        column_importance(exp, search, results, X, y, X_test, y_test)
        if cfg.results_dir:
            results.save(cfg.results_dir)
        if loggers:
            loggers.end(results, cfg.results_dir, example=X.head(5))
        return results
    finally:
        if lock is not None:
            lock.release()


def column_importance(exp, search, results, X, y, X_test, y_test) -> None:
    """The importance of each input column to the best pipeline (permutation importance on the
    test split, else out of fold on the searched rows: one more fit), when the run keeps a
    report (a results folder) or has a test split, and its deadline leaves time (at most
    half of what is left)."""
    if results.best_pipeline is None or not (exp.cfg.results_dir or X_test is not None):
        return
    max_s = None
    if exp.deadline.bounded:
        if exp.deadline.left() < 1.0:
            return
        max_s = 0.5 * exp.deadline.left()
    from ..report.feature_importance import record_feature_importance

    Xf, yf, folds = search.importance_rows(X, y)
    seed = derive_seed(exp.cfg.seed, "importance")
    if X_test is not None:
        record_feature_importance(results, Xf, yf, X_test, y_test, seed=seed, max_seconds=max_s)
    elif folds:
        record_feature_importance(results, Xf, yf, folds=folds, seed=seed, max_seconds=max_s)


def fit_baseline(exp: Experiment, search: Search, results: Results, X, y) -> None:
    """A run with a time budget always returns a model: when no trial finished in time (a tiny
    budget on a busy machine), fit the search's cheapest configuration (:meth:`Search.fallback`:
    a linear model when the space holds one) on one thread, and say so in ``info["fallback"]``.
    The one fallback of every kind of run."""
    from threadpoolctl import threadpool_limits

    from ..evaluation.pipeline import build_pipeline
    from ..search.config_space import resolve

    space = search.space
    point, X, y = search.fallback(X, y)
    pipe = build_pipeline(resolve(exp.cfg, space.with_constants(point)), exp.cfg.task, seed=0)
    t0 = time.perf_counter()
    with threadpool_limits(1):
        results.best_pipeline = pipe.fit(X, y)
    results.info["fallback"] = {
        "reason": "no trial finished within the time budget",
        "model": point.get("model"),
        "fit_s": round(time.perf_counter() - t0, 3),
    }


#: models a fallback prefers (fast on any table); the autopilot's portfolio start too
LINEAR = ("logistic_regression", "linear_regression")


def baseline_point(space) -> dict[str, Any]:
    """The cheapest point of ``space``: a linear model when it holds one (else its first
    model), every other active dim at the middle of its range (a choice: its first value)."""
    point: dict[str, Any] = {}
    for d in space.dims:
        if not space.is_active(d, point):
            continue
        if d.name == "model":
            labels = list(d.domain.values)
            point["model"] = next((m for m in labels if m in LINEAR), labels[0])
        elif hasattr(d.domain, "values"):
            point[d.name] = list(d.domain.values)[0]
        else:
            point[d.name] = space.from_unit(d, 0.5)
    return point


def logger_hub(cfg: Any):
    """The experiment's loggers (:mod:`automl_core.experiment.loggers`), or None without any."""
    specs = getattr(cfg, "loggers", None)
    if not specs:
        return None
    return LoggerHub.from_specs(list(specs))


def finished_rows(journal: Journal | None) -> list[dict[str, Any]]:
    """The rows a journal already holds (what a resumed run's loggers are told at start)."""
    if journal is None:
        return []
    return [dict(e) for e in journal.finished().values()]


def row_logger(loggers):
    """The engine's ``on_trial`` callback that hands each finished trial's row to the loggers."""
    if not loggers:
        return None

    def on_trial(rec, history) -> None:
        row = {
            "trial_id": rec.trial_id,
            "status": rec.status,
            "score": rec.score,
            "score_std": rec.metrics.get("score_std"),
            "params": dict(rec.params),
            "metrics": {k: v for k, v in rec.metrics.items() if k != "oof"},
            "error": rec.error,
            "node": rec.node,
            "started_s": rec.started_s,
            "finished_s": rec.finished_s,
            "attempts": rec.attempts,
            "seed": rec.seed,
        }
        loggers.trial(row, history)

    return on_trial


def save_interrupted(exc: ExperimentInterrupted, results_dir: Any, search: Search, cfg) -> None:
    """Write the table of what finished before Ctrl-C (no refit) beside the journal."""
    if not results_dir or exc.recorder is None:
        return
    save_partial(
        exc.recorder,
        results_dir,
        search.name,
        search.space.names,
        cfg.metric,
        metric_mode(cfg.metric),
        config=cfg,
    )


def save_partial(recorder, results_dir, strategy, names, metric, mode, **fields) -> None:
    """The table of an interrupted run, saved with how to resume it."""
    from ..results import build_table

    table = build_table(recorder.trials.values(), strategy, names)
    Results(
        table=table,
        history=pd.DataFrame(recorder.history, columns=["trial_id", "epoch", "metric", "value"]),
        info={"interrupted": True, "resume": f"automl resume {results_dir}"},
        metric=metric,
        mode=mode,
        **fields,
    ).save(results_dir)
