"""From a validated config to a search space, and from a point of that space to a pipeline.

Dim names: ``model`` picks among the model choices (labelled by kind, ``svc_2`` for a second
svc); a model's searchable field is ``<label>.<field>`` and is active only when that model is
picked; its regularizers' fields are ``<label>.<regularizer kind>.<field>``; a cleaner's field is
``<cleaner kind>.<field>`` (``impute_2.numeric`` for a second impute).

Default ranges: a model named by its kind alone (``models=["lightgbm"]``) is searched over the
ranges its class declares (``ModelSpec.default_search`` / ``default_regularizers``), and a
config that names no models searches the installed models that set ``default_rank``. Both read
the registered classes: a plugin's model takes part exactly like a builtin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..specs import CleanerSpec, ModelSpec, RegularizerSpec
from .space import Choice, Dim, SearchSpace

__all__ = [
    "build_space",
    "resolve",
    "Resolved",
    "labels",
    "config_models",
    "default_models",
    "default_model_entry",
    "expand_named",
]


def default_model_entry(cls: type[ModelSpec], task: str, registry=None) -> dict[str, Any]:
    """The config entry (JSON-ready) of model class ``cls`` searched over its default ranges:
    its ``default_search(task)`` and ``default_regularizers(task)`` (those of a kind that no
    installed plugin registers are left out)."""
    from ..plugins import get_registry

    registry = registry or get_registry()
    entry = cls.default_search(task).model_dump(mode="json")
    known = set(registry.kinds("regularizer"))
    regs = [
        registry.get("regularizer", r["kind"]).model_validate(r).model_dump(mode="json")
        for r in cls.default_regularizers(task)
        if r.get("kind") in known
    ]
    if regs:
        entry["regularizers"] = regs
    return entry


def _model_entries(entries: list[dict[str, Any]], registry) -> list[ModelSpec]:
    """Config entries validated as a config's models are (each with its ``regularizers``)."""
    from pydantic import TypeAdapter, ValidationError

    from ..config.build import config_class
    from ..plugins import PluginError

    cls = config_class(registry)
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls.model_fields["models"].annotation)
    try:
        return list(adapter.validate_python(entries))
    except ValidationError as exc:
        kinds = ", ".join(e["kind"] for e in entries)
        raise PluginError(
            f"the default search of model(s) {kinds} does not validate: {exc}"
        ) from exc


#: one TypeAdapter per config class (built from a registry): building one costs milliseconds
_ADAPTERS: dict[type, Any] = {}


def default_models(task: str, registry=None) -> list[ModelSpec]:
    """The models searched when a config names none: every installed model serving ``task``
    whose class sets ``default_rank``, in rank order (ties: by kind), over its default ranges.
    """
    from ..plugins import get_registry

    registry = registry or get_registry()
    ranked = []
    for kind in registry.kinds("model"):
        cls = registry.get("model", kind)
        if task in cls.tasks and cls.default_rank is not None:
            ranked.append((cls.default_rank, kind, cls))
    entries = [default_model_entry(cls, task, registry) for _, _, cls in sorted(ranked)]
    return _model_entries(entries, registry) if entries else []


def _named_alone(spec: ModelSpec) -> bool:
    """Whether the user named ``spec`` by its kind alone: no hyperparameter differs from its
    default, nothing is a range, and no regularizer is given. Read from the values, not from
    which fields were set, so a config that went through JSON (to a worker) reads the same."""
    if getattr(spec, "regularizers", None) or spec.search_fields():
        return False
    base = _registered_class(spec)
    try:
        default = base()
    except Exception:  # a model with a required field: never named alone
        return False
    return spec.model_dump(exclude={"regularizers"}) == default.model_dump()


def expand_named(models, task: str | None, registry=None) -> list[ModelSpec]:
    """``models`` with each model named by its kind alone replaced by its default search (the
    rest as written). ``task`` None (not known yet): the first task the model serves."""
    out = []
    for m in models:
        if not _named_alone(m):
            out.append(m)
            continue
        t = task if task in m.tasks else sorted(m.tasks)[0]
        entry = default_model_entry(_registered_class(m), t, registry)
        out.append(type(m).model_validate(entry))
    return out


def labels(specs) -> list[str]:
    """One label per spec: its kind, with ``_2``, ``_3``... for repeats."""
    out, counts = [], {}
    for s in specs:
        counts[s.kind] = counts.get(s.kind, 0) + 1
        out.append(s.kind if counts[s.kind] == 1 else f"{s.kind}_{counts[s.kind]}")
    return out


def config_models(cfg) -> list[ModelSpec]:
    """The models a config searches: its ``models`` (those named by kind alone over their
    default ranges), or the default models of its task when it names none."""
    if cfg.models:
        return expand_named(cfg.models, cfg.task)
    if cfg.task is None:
        raise ValueError("the task must be known to choose default models")
    return default_models(cfg.task)


def build_space(cfg) -> SearchSpace:
    """The search space of an experiment config (see the module docstring for dim names)."""
    dims: list[Dim] = []
    constants: dict[str, Any] = {}
    models = config_models(cfg)
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


def _registered_class(spec) -> type:
    """The registered (importable) class of ``spec``: config_class derives a subclass per model
    to add ``regularizers``; workers get the base."""
    cls = type(spec)
    while cls.__module__ == cls.__base__.__module__ and cls.__name__ == cls.__base__.__name__:
        cls = cls.__base__
    return cls


def _base_instance(spec, values: dict[str, Any], drop=("regularizers",)):
    """Resolve ``spec`` with ``values`` as an instance of its registered (importable) class."""
    cls = _registered_class(spec)
    data = spec.model_dump(mode="python", exclude=set(drop))
    data.update(values)
    return cls.model_validate(data)


def resolve(cfg, params: dict[str, Any]) -> Resolved:
    """Turn a point of ``build_space(cfg)`` into concrete specs."""
    models = config_models(cfg)
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
