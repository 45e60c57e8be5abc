"""``ac.tune``'s run: a user's function searched by the same engine, journal and executors as a
table experiment (no data, so no split, refit or report)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import ConfigError
from ..evaluation.function_objective import FunctionObjective
from ..plugins import get_registry, plugin_versions
from ..results import Results, results_from_recorder
from ..search.space import SearchSpace
from ..seeds import derive_seed
from ..trials.deadline import Deadline
from ..trials.engine import TrialEngine
from ..trials.executors import ExecutorSettings, run_trials
from ..trials.journal import ExperimentInterrupted, Journal
from ..trials.lock import FolderLock
from ..trials.progress import Progress
from ..trials.replay import restore, save_experiment
from .lifecycle import finished_rows, row_logger, save_partial
from .loggers import LoggerHub

__all__ = ["run_tune", "tune_strategy"]

#: trials of a non-grid search given neither trials nor a time budget
DEFAULT_TRIALS = 20


def tune_strategy(sdict: dict[str, Any], space: SearchSpace, mode: str, seed: int):
    """The validated strategy spec and the strategy it builds (a bad one is a ConfigError)."""
    try:
        spec = get_registry().get("strategy", sdict["kind"]).model_validate(sdict)
        spec.check_space(space)
    except (KeyError, ValueError) as exc:
        raise ConfigError([f"strategy: {exc}"]) from None
    return spec, spec.build(space, mode, derive_seed(seed, "strategy"))


def default_trials(kind: str, trials: int | None, time_budget_s: float | None) -> int | None:
    """``trials`` as given; without trials or a time budget, a grid runs whole and any other
    strategy runs :data:`DEFAULT_TRIALS`."""
    if trials is not None or time_budget_s is not None:
        return trials
    return None if kind == "grid" else DEFAULT_TRIALS


def start_tune_journal(d: Path, objective: Callable, space: Any, kwargs: dict[str, Any], deadline):
    """Start the journal of an ``ac.tune`` run; the function is saved with cloudpickle."""
    journal = Journal.create(
        d,
        kind="tune",
        n_trials=kwargs.get("trials"),
        time_budget_s=kwargs.get("time_budget_s"),
        seed=kwargs.get("seed"),
        strategy=(kwargs.get("strategy") or {}).get("kind"),
        metric=kwargs.get("metric"),
        setup_s=round(deadline.elapsed_s(), 3),
    )
    payload = {"kind": "tune", "objective": objective, "space": space, "kwargs": kwargs}
    try:
        save_experiment(d, payload)
    except Exception as exc:  # an objective holding a lock, a socket, a live model...
        warnings.warn(
            f"the objective could not be saved for resume ({type(exc).__name__}: {exc}); "
            "resume this run with ac.resume(dir, objective=...)",
            RuntimeWarning,
            stacklevel=4,
        )
        save_experiment(d, {**payload, "objective": None})
    return journal


def run_tune(
    objective: Callable,
    space: SearchSpace,
    kwargs: dict[str, Any],
    *,
    deadline: Deadline,
    show_progress: bool = True,
    results_dir: str | Path | None = None,
    journal: Journal | None = None,
    lock: FolderLock | None = None,
) -> Results:
    """Run ``ac.tune`` with its settings ``kwargs`` (as saved for resume)."""
    k = kwargs
    spec, strategy = tune_strategy(k["strategy"], space, k["mode"], k["seed"])
    if results_dir and lock is None:
        lock = FolderLock(results_dir).acquire()
    try:
        if results_dir and journal is None:
            journal = start_tune_journal(Path(results_dir), objective, space, k, deadline)
        loggers = LoggerHub.from_specs(k.get("loggers")) if k.get("loggers") else None
        if loggers:
            loggers.start(
                kind="tune",
                config={key: v for key, v in k.items() if key != "loggers"},
                info={"space": space.names, "plugins": plugin_versions()},
                seed=k["seed"],
                results_dir=str(results_dir) if results_dir else None,
                resumed=journal is not None and journal.count > 1,
                finished_rows=finished_rows(journal),
            )
        engine = TrialEngine(
            strategy,
            space,
            seed=k["seed"],
            mode=k["mode"],
            n_trials=k["trials"],
            retries=k["retries"],
            trial_timeout_s=k["trial_timeout_s"],
            memory_mb=k["memory_mb"],
            journal=journal,
            progress=Progress(k["trials"], k["metric"]) if show_progress else None,
            deadline=deadline,
            on_trial=row_logger(loggers),
        )
        if journal is not None and journal.count > 1:
            engine.restore(restore(journal, strategy))
        settings = ExecutorSettings(
            executor=k.get("executor", "auto"),
            cpu=k["cpu"],
            gpu=k["gpu"],
            address=k["address"],
            scheduler=k["scheduler"],
            max_concurrent=k["max_concurrent"],
            memory_mb=k["memory_mb"],
        )
        names = space.names
        try:
            run_trials(FunctionObjective(objective, k["metric"]), engine, settings)
        except ExperimentInterrupted as exc:  # keep what finished; ac.resume does the rest
            if results_dir and exc.recorder is not None:
                save_partial(exc.recorder, results_dir, spec.kind, names, k["metric"], k["mode"])
            if loggers:
                loggers.close()
            raise
        results = results_from_recorder(engine.recorder, spec.kind, names, k["metric"], k["mode"])
        results.info["plugins"] = plugin_versions()
        if results_dir:
            results.save(results_dir)
        if loggers:
            loggers.end(results, str(results_dir) if results_dir else None)
        return results
    finally:
        if lock is not None:
            lock.release()
