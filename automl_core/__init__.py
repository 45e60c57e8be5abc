"""automl-core: clean, regularize and search models on Ray Tune; one results table out."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .hookspecs import hookimpl
from .space import Choice, Float, Int, Searchable, SearchSpace
from .specs import CleanerSpec, ModelSpec, RegularizerSpec, StrategySpec
from .strategies import Outcome, Strategy

if TYPE_CHECKING:  # the names below load on first use (see __getattr__)
    from .api import read_table, run, tune
    from .compare import Comparison, compare
    from .config import ConfigError, ExperimentConfig, dump_config, load_config, parse_config
    from .datacheck import DataError
    from .estimator import AutoMLClassifier, AutoMLRegressor
    from .plugins import PluginError, get_registry, register_plugin
    from .results import BestTrial, Results
    from .resume import ExperimentInterrupted, resume

__version__ = "0.1.0"

# Every Ray worker that runs a trial imports this package. pandas and scikit-learn alone cost
# it ~1 s, which a function objective (ac.tune) never needs: the API loads on first use.
_LAZY = {
    "read_table": "api",
    "run": "api",
    "tune": "api",
    "Comparison": "compare",
    "compare": "compare",
    "ConfigError": "config",
    "ExperimentConfig": "config",
    "dump_config": "config",
    "load_config": "config",
    "parse_config": "config",
    "DataError": "datacheck",
    "AutoMLClassifier": "estimator",
    "AutoMLRegressor": "estimator",
    "PluginError": "plugins",
    "get_registry": "plugins",
    "register_plugin": "plugins",
    "BestTrial": "results",
    "Results": "results",
    "ExperimentInterrupted": "resume",
    "resume": "resume",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AutoMLClassifier",
    "AutoMLRegressor",
    "BestTrial",
    "Comparison",
    "compare",
    "DataError",
    "Results",
    "read_table",
    "run",
    "tune",
    "resume",
    "ExperimentInterrupted",
    "Choice",
    "CleanerSpec",
    "ConfigError",
    "ExperimentConfig",
    "Float",
    "Int",
    "ModelSpec",
    "Outcome",
    "PluginError",
    "RegularizerSpec",
    "SearchSpace",
    "Searchable",
    "Strategy",
    "StrategySpec",
    "dump_config",
    "get_registry",
    "hookimpl",
    "load_config",
    "parse_config",
    "register_plugin",
]
