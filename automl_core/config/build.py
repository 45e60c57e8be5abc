"""The ExperimentConfig class of a registry: component fields as discriminated unions of every
registered kind (a plugin's kinds validate exactly like builtins)."""

from __future__ import annotations

import sys
from typing import Any

from pydantic import (
    Field,
    create_model,
    field_validator,
)

from ..plugins import Registry, get_registry
from ..specs import ModelSpec

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass
from .schema import ExperimentConfig


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
