"""The experiment config: one validated pydantic model, writable as TOML or JSON.

The component fields (cleaners, models, each model's regularizers, strategy) are discriminated
unions built from the registry after plugins load (:func:`config_class`), so a plugin's kinds
validate exactly like builtins. Every error names the field path; the CLI exits 2 on them.

Modules: :mod:`.errors`, :mod:`.schema` (the tables), :mod:`.build` (the registry's unions),
:mod:`.files` (parse, load, dump, the whole-config checks).
"""

from .build import config_class, logger_list
from .errors import DEFAULT_TRIALS, ConfigError
from .files import (
    check_config,
    dump_config,
    is_auto_strategy,
    load_config,
    parse_config,
    read_auto_strategy,
    read_shorthand,
    to_toml,
)
from .schema import (
    BudgetConfig,
    CVConfig,
    ExperimentConfig,
    FaultsConfig,
    ResourcesConfig,
    SchedulerConfig,
)

__all__ = [
    "ConfigError",
    "CVConfig",
    "BudgetConfig",
    "ResourcesConfig",
    "SchedulerConfig",
    "FaultsConfig",
    "ExperimentConfig",
    "check_config",
    "config_class",
    "logger_list",
    "parse_config",
    "load_config",
    "dump_config",
    "is_auto_strategy",
    "read_auto_strategy",
    "read_shorthand",
    "to_toml",
    "DEFAULT_TRIALS",
]
