"""From the user's call to a validated experiment: the config dict from the keyword arguments,
the data checks, the inferred task/metric/cleaners and the dataset-stage cleaners.

``ac.run`` (and so the estimators) call :func:`experiment_dict`, then
:func:`prepare_experiment`; the lifecycle (:mod:`automl_core.experiment.lifecycle`) takes it from there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import (
    ConfigError,
    ExperimentConfig,
    is_auto_strategy,
    load_config,
    parse_config,
    read_auto_strategy,
)
from ..evaluation.metrics import default_metric
from .check import DataError, validate_table
from .read import read_table

__all__ = ["experiment_dict", "load_data", "prepare_experiment"]


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


def _wants_autopilot(d, strategy, models, trials, time_budget_s) -> bool:
    if is_auto_strategy(strategy):
        return True
    read_auto_strategy(d)  # a config dict saying `strategy = "auto"`
    if d.get("autopilot") and strategy is None and models is None:
        return True
    chosen = strategy is not None or models is not None or d.get("strategy") or d.get("models")
    return not chosen and trials is None and time_budget_s is not None


def experiment_dict(
    config: ExperimentConfig | Mapping[str, Any] | str | Path | None,
    *,
    strategy: Any = None,
    models: list[Any] | None = None,
    cleaners: list[Any] | None = None,
    loggers: list[Any] | None = None,
    trials: int | None = None,
    time_budget_s: float | None = None,
    folds: int | None = None,
    cpu: float | None = None,
    gpu: float | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """The experiment's config dict: ``config``'s fields with the keyword arguments on top
    (``overrides``: plain fields such as target, task, metric, seed, results_dir, address,
    test_size, cleaning_gain; None leaves the config's value). ``d["autopilot"]`` says whether
    the autopilot runs (see :func:`automl_core.interfaces.api.run`)."""
    d = _config_dict(config)
    autopilot = _wants_autopilot(d, strategy, models, trials, time_budget_s)
    d["autopilot"] = autopilot  # the config kept with the results says which run this was
    if is_auto_strategy(strategy):
        strategy = None
    if overrides.get("results_dir") is not None:
        overrides["results_dir"] = str(overrides["results_dir"])
    d.update({k: v for k, v in overrides.items() if v is not None})
    if strategy is not None:
        d["strategy"] = _strategy_dict(strategy)
    for key, items in (("models", models), ("cleaners", cleaners), ("loggers", loggers)):
        if items is not None:
            d[key] = _as_dicts(items)
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
    return d


def read_source(data: Any, d: dict[str, Any]) -> pd.DataFrame:
    """The table as given: ``data`` (a DataFrame, or a CSV/Parquet path read here), else the
    config's ``data``. A missing or unreadable file is a :class:`DataError` naming it."""
    if data is None:
        if not d.get("data"):
            raise ConfigError(["data: give a table (DataFrame or file path)"])
        data = d["data"]
    if isinstance(data, (str, Path)):
        data = read_table(data)
    return data


def load_data(data: Any, d: dict[str, Any]) -> pd.DataFrame:
    """The table (:func:`read_source`); for the autopilot, also the cleaners it chooses for it
    when the config names none."""
    data = read_source(data, d)
    if d.get("autopilot") and d.get("cleaners") is None:
        from ..autopilot.cleaning import autopilot_cleaners

        d["cleaners"] = autopilot_cleaners(data, d["target"], d.get("task"), d.get("metric"))
    return data
