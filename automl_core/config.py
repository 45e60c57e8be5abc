"""The experiment config: one validated pydantic model, writable as TOML or JSON.

The component fields (cleaners, models, each model's regularizers, strategy) are discriminated
unions built from the registry after plugins load (:func:`config_class`), so a plugin's kinds
validate exactly like builtins. Every error names the field path; the CLI exits 2 on them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_serializer,
    model_validator,
)

from .metrics import METRICS, metric_mode
from .plugins import Registry, UnknownKindError, get_registry
from .specs import ModelSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "ConfigError",
    "CVConfig",
    "BudgetConfig",
    "ResourcesConfig",
    "SchedulerConfig",
    "FaultsConfig",
    "ExperimentConfig",
    "config_class",
    "parse_config",
    "load_config",
    "dump_config",
    "to_toml",
    "DEFAULT_TRIALS",
]

DEFAULT_TRIALS = 20  # when a budget gives neither trials nor time_s (a grid: every point)


class ConfigError(ValueError):
    """A config that does not validate; ``str()`` lists each problem as ``field.path: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid experiment config:\n  " + "\n  ".join(problems))


def _format(exc: ValidationError, registry: Registry) -> list[str]:
    """One ``path: message`` line per field; pydantic's union-branch and tag names left out."""
    kinds = {k for c in _CATEGORY_OF.values() for k in registry.kinds(c)}
    lines: dict[str, str] = {}
    for err in exc.errors():
        parts = [
            str(p)
            for p in err["loc"]
            if not (isinstance(p, str) and (p in kinds or "[" in p or p.startswith(_INTERNAL)))
        ]
        path = ".".join(parts) or "(config)"
        msg = _unknown_kind(err, registry) or err["msg"].removeprefix("Value error, ")
        lines.setdefault(path, msg)
    return [f"{p}: {m}" for p, m in lines.items()]


#: the config key whose items (or value) are specs of a registry category
_CATEGORY_OF = {
    **{f"{c}s": c for c in ("cleaner", "model", "regularizer", "logger")},
    "strategy": "strategy",
}


def _unknown_kind(err: dict[str, Any], registry: Registry) -> str | None:
    """The registry's message (known kinds, plugin hint) for a kind no union knows, else None."""
    kind = (err.get("ctx") or {}).get("tag") if err["type"] == "union_tag_invalid" else None
    if err["type"] == "literal_error" and err["loc"][-1:] == ("kind",):
        kind = err.get("input")  # a category with a single registered kind
    keys = [_CATEGORY_OF[p] for p in err["loc"] if isinstance(p, str) and p in _CATEGORY_OF]
    if not keys or not isinstance(kind, str):
        return None
    return str(UnknownKindError(keys[-1], kind, registry.kinds(keys[-1])))


_INTERNAL = ("constrained-", "function-", "literal[", "lax-", "json-or-python")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CVConfig(_Strict):
    """Cross-validation: ``folds`` folds, stratified for classification unless told otherwise."""

    folds: int = Field(default=3, ge=2, le=50)
    shuffle: bool = True
    stratified: bool | None = None
    #: also score each fold's training rows (the train_score column, for over/underfitting
    #: charts); off by default because predicting the training rows costs as much as the fit
    train_score: bool = False


class BudgetConfig(_Strict):
    """Stop after ``trials`` trials or ``time_s`` seconds, whichever comes first.

    ``trials`` left out: no cap beside ``time_s``; else every point of a grid, or
    :data:`DEFAULT_TRIALS`. Filled in by the experiment config and never written out: a config
    read back (or given another strategy) decides again.
    """

    trials: int | None = Field(default=None, ge=1)
    time_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of(self):
        if self.time_s is None and self.trials is None and "trials" in self.model_fields_set:
            raise ValueError("give trials, time_s or both")
        return self

    @model_serializer(mode="wrap")
    def _without_default(self, handler):
        data = handler(self)
        if "trials" not in self.model_fields_set:
            data.pop("trials", None)
        return data


class ResourcesConfig(_Strict):
    """Resources of one trial; fractional GPUs allowed. A trial runs on one node, so each
    must fit on a single node (checked before the run starts).

    ``memory_mb`` reserves that much of a node's Ray ``memory`` for each trial and caps the
    trial's heap at it: past it the trial ends with status "oom". ``max_concurrent`` caps the
    trials running at once (default: as many as the nodes hold).
    """

    cpu: float = Field(default=1, gt=0)
    gpu: float = Field(default=0, ge=0)
    memory_mb: float | None = Field(default=None, gt=0)
    max_concurrent: int | None = Field(default=None, ge=1)
    #: which executor runs the trials: "auto" (the rule in automl_core.trials.executors: the
    #: warm local pool for the autopilot on one machine, Ray Tune otherwise), "ray", "local"
    executor: Literal["auto", "ray", "local"] = "auto"


class FaultsConfig(_Strict):
    """What a run does when trials go wrong.

    ``retries``: how many times a trial runs again when its worker process or node dies (an
    exception in the objective is a failed row at once: it would fail again). ``trial_timeout_s``:
    a trial still running after this many seconds ends with status "timeout".
    """

    retries: int = Field(default=2, ge=0)
    trial_timeout_s: float | None = Field(default=None, gt=0)


class SchedulerConfig(_Strict):
    """Early stopping of bad trials from their per-epoch reports (Ray Tune's ASHA / HyperBand).

    ``max_epochs`` is the most epochs a trial may run, ``grace_period`` the fewest before it
    can be stopped, ``reduction_factor`` how many of each rung go on (1 in 3 by default).
    """

    kind: Literal["none", "asha", "hyperband"] = "none"
    max_epochs: int = Field(default=100, ge=1)
    grace_period: int = Field(default=1, ge=1)
    reduction_factor: float = Field(default=3, gt=1)


class ExperimentConfig(_Strict):
    """Fields shared by every experiment; component fields are added by :func:`config_class`.

    Use :func:`parse_config` / :func:`load_config` to validate: they pick the class built from
    the registry of installed plugins.
    """

    data: str | None = None
    target: str
    task: Literal["classification", "regression"] | None = None
    metric: str | None = None
    extra_metrics: list[str] = Field(default_factory=list)
    cv: CVConfig = Field(default_factory=CVConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)
    #: share of rows held out (stratified for classification) to score the refit best pipeline
    test_size: float | None = Field(default=None, gt=0, lt=1)
    #: after the search, score the best model with minimal preprocessing too, on the same
    #: folds: ``info["cleaning_gain"]`` (costs two more cross-validations of that model)
    cleaning_gain: bool = False
    results_dir: str | None = None
    seed: int = 0
    address: str | None = None
    #: run the default experiment (:mod:`automl_core.autopilot`: portfolio, local search,
    #: ensemble, the time budget kept) rather than ``models`` x ``strategy``; a file may also
    #: say ``strategy = "auto"``, which :func:`parse_config` reads as this
    autopilot: bool = False
    #: (added by :func:`config_class`) ``loggers``: experiment trackers that get the run's
    #: events in the driver (``[[loggers]]`` in TOML, or ``loggers = ["mlflow"]``); see
    #: :class:`automl_core.specs.LoggerSpec` and :mod:`automl_core.loggers`

    @model_validator(mode="after")
    def _default_trials(self):
        """Fill in ``budget.trials`` when the budget leaves it out (see :class:`BudgetConfig`):
        None (no cap) beside a time budget or for a grid, whose run ends with its last point."""
        if "trials" in self.budget.model_fields_set or not hasattr(self, "strategy"):
            return self
        grid = self.strategy.kind == "grid"
        trials = None if self.budget.time_s is not None or grid else DEFAULT_TRIALS
        filled = self.budget.model_copy(update={"trials": trials})
        filled.__pydantic_fields_set__.discard("trials")  # a default: never written out
        object.__setattr__(self, "budget", filled)  # frozen: set once, while validating
        return self

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v):
        if v is not None and v not in METRICS:
            raise ValueError(f"unknown metric {v!r} (known: {', '.join(sorted(METRICS))})")
        return v

    @field_validator("extra_metrics")
    @classmethod
    def _known_metrics(cls, v):
        for m in v:
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r} (known: {', '.join(sorted(METRICS))})")
        return v

    # Checks that need the whole config; raised as ValueError with the field path first.
    def check(self) -> None:
        from .experiment import build_space

        problems = []
        task = self.task
        if task and self.metric and METRICS[self.metric].task != task:
            problems.append(f"metric: {self.metric!r} is a {METRICS[self.metric].task} metric")
        for i, m in enumerate(self.models or []):
            if task and task not in m.tasks:
                problems.append(f"models.{i}: model {m.kind!r} does not serve {task}")
        if self.models or task:  # default models depend on the task, known later otherwise
            try:
                space = build_space(self)
                self.strategy.check_space(space)
            except ValueError as exc:
                problems.append(f"strategy: {exc}")
        if problems:
            raise ConfigError(problems)

    @property
    def mode(self) -> Literal["min", "max"]:
        return metric_mode(self.metric or "accuracy")


def _with_regularizers(cls: type[ModelSpec], reg_union: Any) -> type[ModelSpec]:
    """``cls`` plus a ``regularizers`` list checked against ``cls.accepted_regularizers``."""

    def check(value):
        for i, reg in enumerate(value):
            if reg.kind not in cls.accepted_regularizers:
                takes = ", ".join(sorted(cls.accepted_regularizers)) or "none"
                raise ValueError(
                    f"model {cls.model_fields['kind'].default!r} cannot take regularizer "
                    f"{reg.kind!r} (item {i}; it takes: {takes})"
                )
        return value

    derived = create_model(
        cls.__name__,
        __base__=cls,
        __module__=cls.__module__,
        regularizers=(list[reg_union], Field(default_factory=list)),
        __validators__={"_check_regs": field_validator("regularizers")(staticmethod(check))},
    )
    derived.__doc__ = cls.__doc__
    return derived


_classes: dict[int, type[ExperimentConfig]] = {}


def config_class(registry: Registry | None = None) -> type[ExperimentConfig]:
    """The ExperimentConfig class whose unions hold every kind of ``registry``."""
    registry = registry or get_registry()
    key = id(registry)
    if key not in _classes:
        reg_union = registry.union("regularizer")
        from typing import Annotated, Union

        model_classes = [
            _with_regularizers(registry.get("model", k), reg_union) for k in registry.kinds("model")
        ]
        model_union = (
            model_classes[0]
            if len(model_classes) == 1
            else Annotated[Union[tuple(model_classes)], Field(discriminator="kind")]
        )
        default_strategy = (
            registry.get("strategy", "random")() if "random" in registry.kinds("strategy") else ...
        )
        _classes[key] = create_model(
            "ExperimentConfig",
            __base__=ExperimentConfig,
            __module__=__name__,
            cleaners=(list[registry.union("cleaner")] | None, None),
            models=(list[model_union] | None, None),
            strategy=(registry.union("strategy"), default_strategy),
            loggers=(logger_list(registry), None),
        )
    return _classes[key]


def _logger_items(value: Any) -> Any:
    """``loggers = ["mlflow"]``: a bare kind stands for ``{kind = "mlflow"}``."""
    if isinstance(value, (list, tuple)):
        return [{"kind": v} if isinstance(v, str) else v for v in value]
    return value


def _no_logger_kinds(value: Any) -> Any:
    kind = value.get("kind") if isinstance(value, dict) else value
    raise ValueError(
        f"no logger kinds are installed, so {kind!r} is unknown (the MLflow logger: "
        "pip install automl-core-mlflow; `automl plugins` lists what is installed)"
    )


def logger_list(registry: Registry) -> Any:
    """The type of ``ExperimentConfig.loggers`` (and of ``loggers=`` in ``ac.run``/``ac.tune``):
    a list of the registered logger specs, where a bare kind stands for ``{"kind": kind}``.
    With no logger kind installed only an empty list (or None) validates."""
    from typing import Annotated

    from pydantic import AfterValidator, BeforeValidator

    if registry.kinds("logger"):
        item: Any = registry.union("logger")
    else:
        item = Annotated[Any, AfterValidator(_no_logger_kinds)]
    return Annotated[list[item] | None, BeforeValidator(_logger_items)]


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
    cfg.check()
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
