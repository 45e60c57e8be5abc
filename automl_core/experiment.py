"""From a validated config to a search space, and from a point of that space to a pipeline.

Dim names: ``model`` picks among the model choices (labelled by kind, ``svc_2`` for a second
svc); a model's searchable field is ``<label>.<field>`` and is active only when that model is
picked; its regularizers' fields are ``<label>.<regularizer kind>.<field>``; a cleaner's field is
``<cleaner kind>.<field>`` (``impute_2.numeric`` for a second impute).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .space import Choice, Dim, SearchSpace
from .specs import CleanerSpec, ModelSpec, RegularizerSpec

__all__ = ["build_space", "resolve", "Resolved", "labels", "default_models"]

#: model kinds searched when a config names none, in this order, if registered
DEFAULT_MODEL_KINDS = {
    "classification": ["logistic_regression", "random_forest", "svc"],
    "regression": ["linear_regression", "random_forest", "svr"],
}


def default_models(task: str, registry=None) -> list[ModelSpec]:
    from .plugins import get_registry

    registry = registry or get_registry()
    known = set(registry.kinds("model"))
    return [
        registry.get("model", k).default_search(task)
        for k in DEFAULT_MODEL_KINDS[task]
        if k in known
    ]


def labels(specs) -> list[str]:
    """One label per spec: its kind, with ``_2``, ``_3``... for repeats."""
    out, counts = [], {}
    for s in specs:
        counts[s.kind] = counts.get(s.kind, 0) + 1
        out.append(s.kind if counts[s.kind] == 1 else f"{s.kind}_{counts[s.kind]}")
    return out


def _models(cfg) -> list[ModelSpec]:
    if cfg.models:
        return list(cfg.models)
    if cfg.task is None:
        raise ValueError("the task must be known to choose default models")
    return default_models(cfg.task)


def build_space(cfg) -> SearchSpace:
    """The search space of an experiment config (see the module docstring for dim names)."""
    dims: list[Dim] = []
    constants: dict[str, Any] = {}
    models = _models(cfg)
    model_labels = labels(models)
    if len(models) > 1:
        dims.append(Dim("model", Choice(model_labels)))
    else:
        constants["model"] = model_labels[0]
    for label, cleaner in zip(labels(cfg.cleaners or []), cfg.cleaners or []):
        for field, dom in cleaner.search_fields().items():
            dims.append(Dim(f"{label}.{field}", dom))
    for label, model in zip(model_labels, models):
        cond = ("model", frozenset([label])) if len(models) > 1 else None
        for field, dom in model.search_fields().items():
            dims.append(Dim(f"{label}.{field}", dom, cond))
        regs = getattr(model, "regularizers", [])
        for reg_label, reg in zip(labels(regs), regs):
            for field, dom in reg.search_fields().items():
                dims.append(Dim(f"{label}.{reg_label}.{field}", dom, cond))
    return SearchSpace(tuple(dims), constants)


@dataclass(frozen=True)
class Resolved:
    """The concrete components of one point: every field fixed, registered classes only."""

    cleaners: list[CleanerSpec]
    model: ModelSpec
    regularizers: list[RegularizerSpec]
    model_label: str


def _pick(prefix: str, params: dict[str, Any]) -> dict[str, Any]:
    p = prefix + "."
    return {k[len(p) :]: v for k, v in params.items() if k.startswith(p) and "." not in k[len(p) :]}


def _base_instance(spec, values: dict[str, Any], drop=("regularizers",)):
    """Resolve ``spec`` with ``values`` as an instance of its registered (importable) class."""
    cls = type(spec)
    # config_class derives a subclass per model to add `regularizers`; workers get the base.
    while cls.__module__ == cls.__base__.__module__ and cls.__name__ == cls.__base__.__name__:
        cls = cls.__base__
    data = spec.model_dump(mode="python", exclude=set(drop))
    data.update(values)
    return cls.model_validate(data)


def resolve(cfg, params: dict[str, Any]) -> Resolved:
    """Turn a point of ``build_space(cfg)`` into concrete specs."""
    models = _models(cfg)
    model_labels = labels(models)
    label = params.get("model", model_labels[0])
    model = models[model_labels.index(label)]
    cleaners = cfg.cleaners or []
    resolved_cleaners = [
        _base_instance(c, _pick(lab, params), drop=()) for lab, c in zip(labels(cleaners), cleaners)
    ]
    regs = list(getattr(model, "regularizers", []))
    resolved_regs = [
        _base_instance(r, _pick(f"{label}.{rl}", params), drop=())
        for rl, r in zip(labels(regs), regs)
    ]
    return Resolved(
        resolved_cleaners, _base_instance(model, _pick(label, params)), resolved_regs, label
    )
