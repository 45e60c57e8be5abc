"""The Python API: ``run`` (a table experiment) and ``tune`` (any Python function).

Both turn the call into a validated experiment and one :class:`~automl_core.trials.deadline.
Deadline` (the budget counts from the call), then hand it to the lifecycle
(:mod:`automl_core.experiment.lifecycle`) or ``ac.tune``'s run (:mod:`automl_core.experiment.tuning`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import ConfigError, ExperimentConfig
from ..data.check import check_table_shape
from ..data.prepare import (
    _strategy_dict,
    experiment_dict,
    load_data,
    prepare_experiment,
    read_source,
)
from ..data.read import read_table  # re-exported: ac.read_table
from ..results import Results
from ..search.space import SearchSpace
from ..trials.deadline import Deadline
from ..trials.lock import FolderLock

__all__ = ["run", "tune", "read_table", "prepare_experiment"]

#: the autopilot's time budget when ``strategy="auto"`` comes without one
AUTOPILOT_DEFAULT_BUDGET_S = 60.0


def run(
    data: pd.DataFrame | str | Path | None = None,
    target: str | None = None,
    *,
    config: ExperimentConfig | Mapping[str, Any] | str | Path | None = None,
    task: str | None = None,
    metric: str | None = None,
    strategy: Any = None,
    trials: int | None = None,
    time_budget_s: float | None = None,
    models: list[Any] | None = None,
    cleaners: list[Any] | None = None,
    loggers: list[Any] | None = None,
    folds: int | None = None,
    test_size: float | None = None,
    cleaning_gain: bool | None = None,
    seed: int | None = None,
    cpu: float | None = None,
    gpu: float | None = None,
    results_dir: str | Path | None = None,
    address: str | None = None,
    show_progress: bool = True,
) -> Results:
    """Search cleaning + model pipelines for ``target`` on a table; return :class:`Results`.

    ``config`` (an ExperimentConfig, a dict, or a TOML/JSON path) gives the whole experiment;
    the keyword arguments override its fields. ``data`` is a DataFrame or a CSV/Parquet path
    (default: the config's ``data``). Models, cleaners, loggers and strategy accept kinds as
    strings, dicts or spec instances. Nothing is written to disk unless ``results_dir`` (or the
    config's) is set; a results folder is locked while its run is alive.

    The autopilot (:mod:`automl_core.autopilot`: portfolio of known-good models first, then a
    local search, an ensemble, the budget kept) runs when ``strategy="auto"``, or when a time
    budget is the only stopping rule and neither ``models`` nor ``strategy`` is given (here or
    in ``config``): ``run(df, target="y", time_budget_s=60)``. With ``strategy="auto"``,
    ``models`` narrows the autopilot to those models (their portfolio entries first, then
    their ranges); without it, every installed model with portfolio entries takes part. A
    time budget counts from this call, and a run with one always returns a fitted model
    (``info["fallback"]`` says when no trial finished in time).
    """
    started = time.perf_counter()  # the budget counts from the call
    d = experiment_dict(
        config,
        strategy=strategy,
        models=models,
        cleaners=cleaners,
        loggers=loggers,
        trials=trials,
        time_budget_s=time_budget_s,
        folds=folds,
        cpu=cpu,
        gpu=gpu,
        target=target,
        task=task,
        metric=metric,
        seed=seed,
        results_dir=results_dir,
        address=address,
        test_size=test_size,
        cleaning_gain=cleaning_gain,
    )
    if d.get("results_dir"):
        FolderLock(d["results_dir"]).refuse_if_held()  # before Ray starts and the data is read
    ray_first = not d["autopilot"] or d.get("address")
    if ray_first:
        _config_first(d)  # a bad config is named before the file is read
    # the file is read, and the checks that read no values made, before Ray starts: a wrong
    # path, an unreadable file or a misspelt target is an error in a second, not after Ray's
    # start and shutdown (~6 s); Ray still overlaps the checks of the values and the cleaners
    data = read_source(data, d)
    if d.get("target") is not None:
        check_table_shape(data, d["target"])
    if ray_first:
        _start_ray_first(d)
    data = load_data(data, d)
    cfg, X, y, info = prepare_experiment(data, d)
    from ..experiment.configured import ConfiguredSearch
    from ..experiment.lifecycle import Experiment, run_experiment

    if d["autopilot"]:
        from ..autopilot.run import AutopilotSearch

        budget = cfg.budget.time_s or AUTOPILOT_DEFAULT_BUDGET_S
        exp = Experiment(cfg, X, y, info, Deadline(budget, started), autopilot=True, trials=trials)
        return run_experiment(exp, AutopilotSearch, show_progress=show_progress)
    exp = Experiment(cfg, X, y, info, Deadline(cfg.budget.time_s, started))
    return run_experiment(exp, ConfiguredSearch, show_progress=show_progress)


def _config_first(d: dict[str, Any]) -> None:
    """Validate the config (all but its data) before anything else of a run on Ray."""
    from ..config import parse_config

    parse_config({k: v for k, v in d.items() if k != "data"})


def _start_ray_first(d: dict[str, Any]) -> None:
    """A run on Ray starts it before the table is checked (cold start): the workers Ray
    prestarts then import their stack while this process checks the table and chooses its
    cleaners, instead of after. Only once the config validates (:func:`_config_first`) and
    the file has been read, so a bad config or a bad file starts nothing."""
    from ..runner.session import ensure_ray

    ensure_ray(d.get("address"), preload="tables")


def tune(
    objective: Callable,
    space: Mapping[str, Any] | SearchSpace,
    *,
    strategy: Any = "random",
    trials: int | None = None,
    time_budget_s: float | None = None,
    metric: str = "score",
    mode: str = "max",
    seed: int = 0,
    cpu: float = 1,
    gpu: float = 0,
    address: str | None = None,
    scheduler: Any = None,
    show_progress: bool = True,
    results_dir: str | Path | None = None,
    max_concurrent: int | None = None,
    retries: int = 2,
    trial_timeout_s: float | None = None,
    memory_mb: float | None = None,
    executor: str = "auto",
    loggers: list[Any] | None = None,
) -> Results:
    """Search ``space`` for the best ``objective(params)`` with the same strategies and engine.

    ``objective`` returns a number or a dict holding ``metric``; it may take a second argument
    ``report`` and call ``report(epoch=..., **metrics)`` once per epoch (for early-stopping
    schedulers; ``last=True`` on the final epoch's report makes a trial a scheduler stops
    there end "ok", not "stopped early"). Runs on the embedded local Ray, or the cluster at
    ``address`` (``executor="local"``: the warm local process pool instead; ``"threads"``:
    threads of this process). Without ``trials`` or
    ``time_budget_s`` a grid runs whole and other strategies run 20 trials.
    ``max_concurrent``, ``retries``, ``trial_timeout_s`` and ``memory_mb`` are those of the
    config's ``resources`` and ``faults`` tables. With ``results_dir`` the run keeps a journal
    there (the folder is locked while the run is alive) and ``ac.resume(results_dir)``
    finishes it after a crash or Ctrl-C.
    """
    started = time.perf_counter()
    from ..experiment.tuning import default_trials, run_tune

    if mode not in ("min", "max"):
        raise ConfigError([f"mode: must be 'min' or 'max', got {mode!r}"])
    space = space if isinstance(space, SearchSpace) else SearchSpace.from_dict(space)
    sdict = _strategy_dict(strategy)
    kwargs = dict(
        strategy=sdict,
        trials=default_trials(sdict.get("kind"), trials, time_budget_s),
        time_budget_s=time_budget_s,
        metric=metric,
        mode=mode,
        seed=seed,
        cpu=cpu,
        gpu=gpu,
        address=address,
        scheduler=scheduler,
        max_concurrent=max_concurrent,
        retries=retries,
        trial_timeout_s=trial_timeout_s,
        memory_mb=memory_mb,
        executor=executor,
        loggers=loggers,
    )
    return run_tune(
        objective,
        space,
        kwargs,
        deadline=Deadline(time_budget_s, started),
        show_progress=show_progress,
        results_dir=results_dir,
    )
