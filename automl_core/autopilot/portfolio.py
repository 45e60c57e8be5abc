"""The autopilot's models and its portfolio of known-good starting configurations.

Nothing here names a model: every installed model declares its own part (``ModelSpec.portfolio``,
``default_search``, ``default_regularizers``), builtins and plugins alike. The autopilot searches
every installed model serving the task that has portfolio entries, over its default ranges.

The portfolio is the ordered list of every such model's entries: concrete configurations that do
well across many tables (library defaults and settings that won often on OpenML-style
benchmarks). They run first, in order of their ``rank``, so that a short budget still ends with
a strong model; the search refines the best of them afterwards. Cheap and strong come first: two
workers pick up entries 1-2, then 3-4... Values that depend on the table (the RBF kernel width)
are set from its number of columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..specs import ModelSpec, PortfolioEntry

__all__ = [
    "AUTOPILOT_MODEL_KINDS",
    "autopilot_kinds",
    "autopilot_models",
    "check_portfolio",
    "portfolio",
]


def _entries(cls: type[ModelSpec], task: str, n_features: int) -> list[PortfolioEntry]:
    """The class's entries for ``task``, checked: a number rank and a dict of values each."""
    if task not in cls.tasks:
        return []
    out = []
    for e in cls.portfolio(task, n_features) or []:
        rank, values = e if isinstance(e, tuple) and len(e) == 2 else (None, None)
        if not isinstance(rank, (int, float)) or not isinstance(values, dict):
            raise TypeError(
                f"{cls.__name__}.portfolio must return PortfolioEntry(rank, values) items, "
                f"got {e!r}"
            )
        out.append(PortfolioEntry(float(rank), dict(values)))
    return out


def _ranked(task: str, n_features: int, registry) -> list[tuple[float, str, dict[str, Any]]]:
    """(rank, kind, values) of every installed model's entries, in the order they run."""
    rows = []
    for kind in registry.kinds("model"):  # sorted: ties in rank go by kind
        for rank, values in _entries(registry.get("model", kind), task, n_features):
            rows.append((rank, kind, values))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def autopilot_kinds(task: str, registry=None) -> list[str]:
    """The model kinds the autopilot searches for ``task``, in the order of their first
    portfolio entry."""
    from ..plugins import get_registry

    registry = registry or get_registry()
    # the kinds do not depend on the table's width: any width lists the same ones
    kinds: list[str] = []
    for _, kind, _ in _ranked(task, 10, registry):
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def autopilot_models(task: str, registry=None) -> list[dict[str, Any]]:
    """The searched models for ``task`` as config dicts: each model's default search
    (``default_search`` with ``default_regularizers``), in :func:`autopilot_kinds` order."""
    from ..plugins import get_registry
    from ..search.config_space import default_model_entry

    registry = registry or get_registry()
    return [
        default_model_entry(registry.get("model", kind), task, registry)
        for kind in autopilot_kinds(task, registry)
    ]


def portfolio(task: str, n_features: int, registry=None) -> list[tuple[str, dict[str, Any]]]:
    """Known-good configurations as ``(model kind, {field: value})``, in the order they run."""
    from ..plugins import get_registry

    registry = registry or get_registry()
    return [(kind, values) for _, kind, values in _ranked(task, n_features, registry)]


def check_portfolio(cls: type[ModelSpec], n_features: int = 12, registry=None) -> None:
    """Conformance of a model's portfolio (for plugin authors' tests): every entry's keys name
    a searched field of its default search, and its point validates in that space.

    Raises ``AssertionError`` naming the model, the task and the key."""
    from ..config import parse_config
    from ..plugins import get_registry
    from ..search.config_space import build_space, default_model_entry
    from .strategy import portfolio_point

    registry = registry or get_registry()
    kind = cls.model_fields["kind"].default
    for task in sorted(cls.tasks):
        entries = _entries(cls, task, n_features)
        if not entries:
            continue
        cfg = {"target": "y", "task": task, "models": [default_model_entry(cls, task, registry)]}
        space = build_space(parse_config(cfg, registry))
        fields = {name.split(".", 1)[1] for name in space.names if name != "model"}
        for rank, values in entries:
            unknown = sorted(set(values) - fields)
            assert not unknown, (
                f"{cls.__name__} portfolio entry (rank {rank:g}, {task}): {unknown} name no "
                f"searched field of its default search (searched: {sorted(fields)})"
            )
            try:
                portfolio_point(space, kind, values)
            except ValueError as exc:
                msg = f"{cls.__name__} portfolio entry (rank {rank:g}, {task}): {exc}"
                raise AssertionError(msg) from None


class _KindsByTask(Mapping):
    """``{task: autopilot_kinds(task)}``, read from the installed models on each lookup (not at
    import: the registry is built on first use, never as an import side effect). Kept for code
    that imported the hard-coded dict this name used to hold."""

    _TASKS = ("classification", "regression")

    def __getitem__(self, task: str) -> list[str]:
        if task not in self._TASKS:
            raise KeyError(task)
        return autopilot_kinds(task)

    def __iter__(self):
        return iter(self._TASKS)

    def __len__(self) -> int:
        return len(self._TASKS)


AUTOPILOT_MODEL_KINDS: Mapping[str, list[str]] = _KindsByTask()
