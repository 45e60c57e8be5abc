"""The Python API: ``run`` (a table experiment) and ``tune`` (any Python function)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .config import (
    ConfigError,
    ExperimentConfig,
    is_auto_strategy,
    load_config,
    parse_config,
    read_auto_strategy,
)
from .datacheck import DataError, validate_table
from .function_objective import FunctionObjective
from .metrics import default_metric, metric_mode
from .results import Results, results_from_recorder
from .seeds import derive_seed
from .space import SearchSpace

__all__ = ["run", "tune", "read_table", "prepare_experiment"]


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file {str(path)!r} does not exist")
    if path.suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path)


def _strategy_dict(strategy: Any) -> dict[str, Any]:
    if isinstance(strategy, str):
        return {"kind": strategy}
    if hasattr(strategy, "model_dump"):
        return strategy.model_dump(mode="json")
    return dict(strategy)


def _as_dicts(items) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    out = []
    for it in items:
        if isinstance(it, str):
            out.append({"kind": it})
        elif hasattr(it, "model_dump"):
            out.append(it.model_dump(mode="json"))
        else:
            out.append(dict(it))
    return out


def _config_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, ExperimentConfig):
        return config.model_dump(mode="json", exclude_none=True)
    if isinstance(config, (str, Path)):
        return load_config(config).model_dump(mode="json", exclude_none=True)
    return dict(config)


def prepare_experiment(data: pd.DataFrame, cfg_dict: dict[str, Any]):
    """Check the table, infer task/metric/cleaners, validate the final config.

    Returns ``(config, X, y, info)`` where X/y have passed the dataset-stage cleaners.
    """
    from .autoclean import default_cleaners

    parse_config(cfg_dict)  # fail on a bad config before touching the data
    X, y, task, info = validate_table(data, cfg_dict["target"], cfg_dict.get("task"))
    cfg_dict = {**cfg_dict, "task": task}
    cfg_dict.setdefault("metric", default_metric(task))
    if cfg_dict.get("cleaners") is None:
        cfg_dict["cleaners"] = [c.model_dump(mode="json") for c in default_cleaners(X, y, task)]
        info["cleaners"] = "automatic"
    cfg = parse_config(cfg_dict)
    for i, spec in enumerate(cfg.cleaners or []):
        if spec.stage != "dataset":
            continue
        if not spec.is_resolved():
            raise ConfigError(
                [f"cleaners.{i}: {spec.kind} runs once before the split; it cannot be searched"]
            )
        X, y, step_info = spec.build(task).apply(X, y)
        info.update(step_info)
    if len(X) == 0:
        raise DataError("no rows are left after the dataset cleaners")
    return cfg, X, y, info


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
    (default: the config's ``data``). Models, cleaners and strategy accept kinds as strings,
    dicts or spec instances. Nothing is written to disk unless ``results_dir`` (or the config's)
    is set.

    The autopilot (:mod:`automl_core.autopilot`: portfolio of known-good models first, then a
    local search, an ensemble, the budget kept) runs when ``strategy="auto"``, or when a time
    budget is the only stopping rule and neither ``models`` nor ``strategy`` is given (here or
    in ``config``): ``run(df, target="y", time_budget_s=60)``.
    """
    started = time.perf_counter()  # the autopilot's budget counts from the call
    d = _config_dict(config)
    autopilot = _wants_autopilot(d, strategy, models, trials, time_budget_s)
    d["autopilot"] = autopilot  # the config kept with the results says which run this was
    if is_auto_strategy(strategy):
        strategy = None
    overrides = {
        "target": target,
        "task": task,
        "metric": metric,
        "seed": seed,
        "results_dir": str(results_dir) if results_dir is not None else None,
        "address": address,
        "test_size": test_size,
        "cleaning_gain": cleaning_gain,
    }
    d.update({k: v for k, v in overrides.items() if v is not None})
    if strategy is not None:
        d["strategy"] = _strategy_dict(strategy)
    if models is not None:
        d["models"] = _as_dicts(models)
    if cleaners is not None:
        d["cleaners"] = _as_dicts(cleaners)
    if trials is not None or time_budget_s is not None:
        budget = dict(d.get("budget") or {})
        if trials is not None:
            budget["trials"] = trials
        if time_budget_s is not None:
            budget["time_s"] = time_budget_s
            if trials is None and "trials" not in budget:
                budget["trials"] = None  # a time budget alone: as many trials as fit
        d["budget"] = budget
    if folds is not None:
        d["cv"] = {**(d.get("cv") or {}), "folds": folds}
    if cpu is not None or gpu is not None:
        res = dict(d.get("resources") or {})
        res.update({k: v for k, v in {"cpu": cpu, "gpu": gpu}.items() if v is not None})
        d["resources"] = res
    if "target" not in d:
        raise ConfigError(["target: give the name of the column to predict"])
    if data is None:
        if not d.get("data"):
            raise ConfigError(["data: give a table (DataFrame or file path)"])
        data = d["data"]
    if isinstance(data, (str, Path)):
        data = read_table(data)
    if autopilot and d.get("cleaners") is None:
        from .autopilot.cleaning import autopilot_cleaners

        d["cleaners"] = autopilot_cleaners(data, d["target"], d.get("task"), d.get("metric"))
    cfg, X, y, info = prepare_experiment(data, d)
    if autopilot:
        from .autopilot import run_autopilot

        return run_autopilot(
            cfg,
            X,
            y,
            info,
            time_budget_s=cfg.budget.time_s or AUTOPILOT_DEFAULT_BUDGET_S,
            started=started,
            trials=trials,
            show_progress=show_progress,
        )
    return _run_experiment(cfg, X, y, info, show_progress)


#: the autopilot's time budget when ``strategy="auto"`` comes without one
AUTOPILOT_DEFAULT_BUDGET_S = 60.0


def _wants_autopilot(d, strategy, models, trials, time_budget_s) -> bool:
    if is_auto_strategy(strategy):
        return True
    read_auto_strategy(d)  # a config dict saying `strategy = "auto"`
    if d.get("autopilot") and strategy is None and models is None:
        return True
    chosen = strategy is not None or models is not None or d.get("strategy") or d.get("models")
    return not chosen and trials is None and time_budget_s is not None


def _run_experiment(cfg, X, y, info, show_progress: bool, journal=None) -> Results:
    from .evaluate import make_folds
    from .experiment import build_space, resolve
    from .journal import ExperimentInterrupted
    from .objective import PipelineObjective
    from .resume import required_kinds, run_journal, save_interrupted
    from .runner import run_search

    if journal is None:  # a new run (ac.resume passes the journal it continues)
        journal = run_journal(cfg, X, y, info)
    mode = metric_mode(cfg.metric)
    X_test = y_test = None
    if cfg.test_size:
        X, X_test, y, y_test = _split_test(X, y, cfg)
        info["test_rows"] = int(len(X_test))
    folds = make_folds(
        y, cfg.task, cfg.cv.folds, cfg.cv.shuffle, cfg.cv.stratified, derive_seed(cfg.seed, "folds")
    )
    space = build_space(cfg)
    strategy = cfg.strategy.build(space, mode, derive_seed(cfg.seed, "strategy"))
    objective = PipelineObjective(cfg.model_dump(mode="json"), X, y, folds, cfg.task)
    try:
        recorder = run_search(
            objective,
            space,
            strategy,
            n_trials=cfg.budget.trials,
            time_budget_s=cfg.budget.time_s,
            mode=mode,
            metric_name=cfg.metric,
            cpu=cfg.resources.cpu,
            gpu=cfg.resources.gpu,
            seed=cfg.seed,
            address=cfg.address,
            scheduler=cfg.scheduler,
            show_progress=show_progress,
            max_concurrent=cfg.resources.max_concurrent,
            memory_mb=cfg.resources.memory_mb,
            retries=cfg.faults.retries,
            trial_timeout_s=cfg.faults.trial_timeout_s,
            required_kinds=required_kinds(cfg),
            journal=journal,
        )
    except ExperimentInterrupted as exc:  # keep what finished; `automl resume` does the rest
        save_interrupted(
            exc,
            cfg.results_dir,
            strategy=cfg.strategy.kind,
            names=space.names,
            metric=cfg.metric,
            mode=mode,
            config=cfg,
        )
        raise
    results = results_from_recorder(
        recorder,
        cfg.strategy.kind,
        space.names,
        cfg.metric,
        mode,
        config=cfg,
        info={**info, "task": cfg.task, "rows": int(len(X))},
    )
    best_rec = recorder.best(mode)
    if best_rec is not None:
        if cfg.cleaning_gain:
            from .before_after import compare_cleaning

            results.info["cleaning_gain"] = compare_cleaning(
                X, y, cfg.task, cfg.metric, folds, resolve(cfg, best_rec.params), best_rec.seed
            )
        pipe = _refit_pipeline(cfg, best_rec)
        results.best_pipeline = pipe.fit(X, y)
        if X_test is not None:
            from .evaluate import score

            results.info["test_score"] = score(results.best_pipeline, X_test, y_test, cfg.metric)
            results.test_predictions = pd.DataFrame(
                {"y_true": y_test.to_numpy(), "y_pred": results.best_pipeline.predict(X_test)},
                index=X_test.index,
            )
    if cfg.results_dir:
        results.save(cfg.results_dir)
    return results


def _refit_pipeline(cfg, best_rec):
    """The best trial's pipeline, to be fitted on all training rows.

    Scikit-learn models get every core (``n_jobs=-1``). Networks (the epoch protocol) keep
    the threads a trial had: their OpenMP threads spin-wait when the cores are busy, and on a
    shared 2-core machine a 2-thread refit of the digits CNN took 10x longer than a 1-thread
    one (benchmarks/RESULTS.md, issue 5); a small network gains little from more threads.
    """
    import math

    from .epochs import has_epoch_protocol
    from .experiment import resolve
    from .pipeline import build_pipeline

    pipe = build_pipeline(resolve(cfg, best_rec.params), cfg.task, seed=best_rec.seed, n_jobs=-1)
    model = pipe.steps[-1][1]
    if has_epoch_protocol(model) and "n_jobs" in model.get_params():
        model.set_params(n_jobs=max(1, math.ceil(cfg.resources.cpu)))
    return pipe


def _split_test(X, y, cfg):
    from .evaluate import split_rows

    return split_rows(X, y, cfg.task, derive_seed(cfg.seed, "test"), test_size=cfg.test_size)


def tune(
    objective: Callable,
    space: Mapping[str, Any] | SearchSpace,
    *,
    strategy: Any = "random",
    trials: int | None = 20,
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
    _journal: Any = None,
) -> Results:
    """Search ``space`` for the best ``objective(params)`` with the same strategies and runner.

    ``objective`` returns a number or a dict holding ``metric``; it may take a second argument
    ``report`` and call ``report(epoch=..., **metrics)`` once per epoch (for early-stopping
    schedulers). Runs on the embedded local Ray, or the cluster at ``address``.
    ``max_concurrent``, ``retries``, ``trial_timeout_s`` and ``memory_mb`` are those of the
    config's ``resources`` and ``faults`` tables. With ``results_dir`` the run keeps a journal
    there and ``ac.resume(results_dir)`` finishes it after a crash or Ctrl-C.
    """
    from .journal import ExperimentInterrupted
    from .plugins import get_registry
    from .resume import save_interrupted, tune_journal
    from .runner import run_search

    if mode not in ("min", "max"):
        raise ConfigError([f"mode: must be 'min' or 'max', got {mode!r}"])
    if trials is None and time_budget_s is None:
        raise ConfigError(["trials: give trials, time_budget_s or both"])
    space = space if isinstance(space, SearchSpace) else SearchSpace.from_dict(space)
    sdict = _strategy_dict(strategy)
    try:
        spec_cls = get_registry().get("strategy", sdict["kind"])
        spec = spec_cls.model_validate(sdict)
        spec.check_space(space)
    except (KeyError, ValueError) as exc:
        raise ConfigError([f"strategy: {exc}"]) from None
    strat = spec.build(space, mode, derive_seed(seed, "strategy"))
    limits = dict(
        max_concurrent=max_concurrent,
        retries=retries,
        trial_timeout_s=trial_timeout_s,
        memory_mb=memory_mb,
    )
    journal = _journal or tune_journal(
        results_dir,
        objective,
        space,
        dict(
            strategy=sdict,
            trials=trials,
            time_budget_s=time_budget_s,
            metric=metric,
            mode=mode,
            seed=seed,
            cpu=cpu,
            gpu=gpu,
            address=address,
            scheduler=scheduler,
            **limits,
        ),
    )
    try:
        recorder = run_search(
            FunctionObjective(objective, metric),
            space,
            strat,
            n_trials=trials,
            time_budget_s=time_budget_s,
            mode=mode,
            metric_name=metric,
            cpu=cpu,
            gpu=gpu,
            seed=seed,
            address=address,
            scheduler=scheduler,
            show_progress=show_progress,
            journal=journal,
            **limits,
        )
    except ExperimentInterrupted as exc:  # keep what finished; ac.resume does the rest
        save_interrupted(
            exc, results_dir, strategy=spec.kind, names=space.names, metric=metric, mode=mode
        )
        raise
    results = results_from_recorder(recorder, spec.kind, space.names, metric, mode)
    if results_dir:
        results.save(results_dir)
    return results
