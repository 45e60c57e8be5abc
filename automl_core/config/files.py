"""Reading, validating and writing experiment configs (dicts, TOML and JSON files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    ValidationError,
)

from ..evaluation.metrics import METRICS
from ..plugins import Registry, get_registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib
from .build import config_class
from .errors import ConfigError, _format
from .schema import ExperimentConfig


def is_auto_strategy(strategy: Any) -> bool:
    """Whether a strategy as given (a kind, a dict) asks for the autopilot: ``"auto"``."""
    return strategy == "auto" or (isinstance(strategy, dict) and strategy.get("kind") == "auto")


def read_auto_strategy(data: dict[str, Any]) -> None:
    """Replace ``strategy = "auto"`` in a config dict (changed in place) by ``autopilot = true``:
    the autopilot is not a strategy kind."""
    if is_auto_strategy(data.get("strategy")):
        del data["strategy"]
        data["autopilot"] = True


def read_shorthand(data: dict[str, Any]) -> None:
    """Expand kinds given as bare strings, as ``ac.run`` takes them (changed in place):
    ``models = ["svc"]``, ``cleaners = ["drop_duplicates"]``, ``strategy = "random"``, and
    ``regularizers = ["l2"]`` in a model."""

    def specs(items: Any) -> Any:
        is_list = isinstance(items, list)
        return [{"kind": i} if isinstance(i, str) else i for i in items] if is_list else items

    data.update({k: specs(data[k]) for k in ("cleaners", "models") if k in data})
    for i, model in enumerate(data.get("models") or []):
        if isinstance(model, dict) and "regularizers" in model:
            data["models"][i] = {**model, "regularizers": specs(model["regularizers"])}
    if isinstance(data.get("strategy"), str):
        data["strategy"] = {"kind": data["strategy"]}


def parse_config(data: dict[str, Any], registry: Registry | None = None) -> ExperimentConfig:
    """Validate a config dict; :class:`ConfigError` lists every problem with its field path.
    Kinds may be bare strings (:func:`read_shorthand`); ``strategy = "auto"`` is the autopilot."""
    cls = config_class(registry)
    data = dict(data)
    read_auto_strategy(data)
    read_shorthand(data)
    try:
        cfg = cls.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(exc, registry or get_registry())) from None
    check_config(cfg)
    return cfg


def load_config(path: str | Path, registry: Registry | None = None) -> ExperimentConfig:
    """Read and validate a ``.toml`` or ``.json`` experiment file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:  # missing, a folder, not UTF-8...
        raise ConfigError([f"{path}: cannot read the experiment file: {exc}"]) from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError([f"{path}: not valid {path.suffix[1:].upper()}: {exc}"]) from None
    return parse_config(data, registry)


def dump_config(cfg: ExperimentConfig, fmt: Literal["json", "toml"] = "json") -> str:
    """The config as JSON or TOML text that :func:`load_config` reads back to an equal config."""
    data = cfg.model_dump(mode="json", exclude_none=True)
    if fmt == "json":
        return json.dumps(data, indent=2)
    return to_toml(data)


def to_toml(data: dict[str, Any]) -> str:
    """``data`` as TOML text, keys whose value is None left out: TOML has no null, and a None
    field means "not set", which leaving the key out says too."""
    import tomli_w

    def drop(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: drop(x) for k, x in v.items() if x is not None}
        return [drop(x) for x in v] if isinstance(v, (list, tuple)) else v

    try:
        return tomli_w.dumps(drop(data))
    except TypeError as exc:  # a None in a list: leaving it out would change the list
        raise ValueError(f"TOML cannot hold this ({exc}); write it as JSON") from None


def check_config(cfg) -> None:
    """Checks that need the whole config (metric and task, each model's tasks, the strategy
    against the space); a :class:`ConfigError` naming each field."""
    from ..search.config_space import build_space

    problems = []
    task = cfg.task
    if task and cfg.metric and METRICS[cfg.metric].task != task:
        problems.append(f"metric: {cfg.metric!r} is a {METRICS[cfg.metric].task} metric")
    for i, m in enumerate(cfg.models or []):
        if task and task not in m.tasks:
            problems.append(f"models.{i}: model {m.kind!r} does not serve {task}")
    if cfg.models or task:  # default models depend on the task, known later otherwise
        try:
            space = build_space(cfg)
            cfg.strategy.check_space(space)
        except ValueError as exc:
            problems.append(f"strategy: {exc}")
    if problems:
        raise ConfigError(problems)
