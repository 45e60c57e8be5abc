"""automl-core: clean, regularize and search models on Ray Tune; one results table out.

The names that need pandas or scikit-learn (``run``, ``tune``, ``Results``, the estimators...)
load on first use (PEP 562 ``__getattr__``): ``import automl_core`` stays light, and so does
every Ray worker that imports the runner to run a plain function objective (about 1 s of CPU
less per worker, on a 2-core machine the larger part of a first run's start-up).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# light modules only here (no pandas, no scikit-learn): a Ray worker imports this package
from .config import ConfigError, ExperimentConfig, dump_config, load_config, parse_config
from .experiment.resume import ExperimentInterrupted, resume
from .hookspecs import hookimpl
from .interfaces.compare import Comparison, compare
from .lazy import lazy_attributes
from .plugins import PluginError, get_registry, register_plugin
from .search.space import Choice, Float, Int, Searchable, SearchSpace
from .search.strategies import Outcome, Strategy
from .specs import CleanerSpec, LoggerSpec, ModelSpec, RegularizerSpec, StrategySpec

if TYPE_CHECKING:
    from .data.check import DataError
    from .interfaces.api import read_table, run, tune
    from .interfaces.estimator import AutoMLClassifier, AutoMLRegressor
    from .results import BestTrial, Results

#: name -> submodule, imported on first access
_LAZY = {
    "read_table": "interfaces.api",
    "run": "interfaces.api",
    "tune": "interfaces.api",
    "DataError": "data.check",
    "AutoMLClassifier": "interfaces.estimator",
    "AutoMLRegressor": "interfaces.estimator",
    "BestTrial": "results",
    "Results": "results",
}


__getattr__ = lazy_attributes(__name__, _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__version__ = "0.1.0"

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
    "LoggerSpec",
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
