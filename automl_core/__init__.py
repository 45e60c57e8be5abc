"""automl-core: clean, regularize and search models on Ray Tune; one results table out."""

from __future__ import annotations

from .api import read_table, run, tune
from .compare import Comparison, compare
from .config import ConfigError, ExperimentConfig, dump_config, load_config, parse_config
from .datacheck import DataError
from .estimator import AutoMLClassifier, AutoMLRegressor
from .hookspecs import hookimpl
from .plugins import PluginError, get_registry, register_plugin
from .results import BestTrial, Results
from .resume import ExperimentInterrupted, resume
from .space import Choice, Float, Int, Searchable, SearchSpace
from .specs import CleanerSpec, ModelSpec, RegularizerSpec, StrategySpec
from .strategies import Outcome, Strategy

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
