"""The cleaning chain used when a config names no cleaners, built from the data.

:func:`default_cleaners` reads the column types of the table and returns cleaner *specs* (data,
not fitted objects): every statistic is still learned inside each trial from its training folds.
:func:`describe_chain` renders a chain for people, :func:`dump_chain` / :func:`load_chain` write
and read it as the TOML (or JSON) list of ``[[cleaners]]`` an experiment config takes, so the
chain used can be edited and run again. :func:`apply_dataset_stage` runs the dataset-stage
cleaners (``drop_duplicates``) once on the whole table, before the folds are made.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..specs import CleanerSpec
from .cleaning import DropColumns, infer_column_roles

__all__ = [
    "MINORITY_SHARE",
    "default_cleaners",
    "describe_chain",
    "dump_chain",
    "load_chain",
    "apply_dataset_stage",
]

#: below this share of rows for the smallest class, the default chain weights the classes
MINORITY_SHARE = 0.2
#: one-hot settings of the default chain: rare (<1%) and tail (beyond 20) categories -> __other__
ONE_HOT_MIN_FREQUENCY = 0.01
ONE_HOT_MAX_CATEGORIES = 20


def _make(kind: str, registry=None, **fields) -> CleanerSpec:
    from ..plugins import get_registry

    return (registry or get_registry()).get("cleaner", kind)(**fields)


def default_cleaners(X: pd.DataFrame, y: pd.Series, task: str, registry=None) -> list[CleanerSpec]:
    """The automatic chain for this table, in order:

    1. ``drop_duplicates`` (dataset stage: once, before the split; the count is reported);
    2. ``datetime`` on the columns holding dates (unix s/ms, date strings), if any;
    3. ``drop_columns`` naming the id-like columns, and dropping constant and empty columns
       found in each trial's training rows;
    4. ``impute``: median for numbers, most frequent for categories (always: a predict-time row
       may have a gap where the training rows had none);
    5. ``scale`` (standard), if there are numeric columns;
    6. ``one_hot`` (rare categories grouped), if there are text/category/boolean columns;
    7. ``class_weight`` for classification when the smallest class holds under
       :data:`MINORITY_SHARE` of the rows (cheap, keeps every row; the pipeline over-samples
       instead for a model that takes no ``sample_weight``).
    """
    roles = infer_column_roles(X)
    by_role: dict[str, list[str]] = {}
    for c, role in roles.items():
        by_role.setdefault(role, []).append(str(c))
    chain = [_make("drop_duplicates", registry)]
    if by_role.get("datetime"):
        chain.append(_make("datetime", registry, columns=tuple(by_role["datetime"])))
    chain.append(_make("drop_columns", registry, columns=tuple(by_role.get("id", ()))))
    chain.append(_make("impute", registry, numeric="median", categorical="most_frequent"))
    if by_role.get("numeric") or by_role.get("datetime"):
        chain.append(_make("scale", registry, method="standard"))
    if by_role.get("category"):
        chain.append(
            _make(
                "one_hot",
                registry,
                min_frequency=ONE_HOT_MIN_FREQUENCY,
                max_categories=ONE_HOT_MAX_CATEGORIES,
            )
        )
    if task == "classification" and y is not None and len(y):
        shares = pd.Series(y).value_counts(normalize=True)
        if len(shares) >= 2 and shares.min() < MINORITY_SHARE:
            chain.append(_make("class_weight", registry))
    return chain


def _summary(spec: CleanerSpec) -> str:
    """``kind(field=value, ...)`` with only the fields that differ from the defaults."""
    fields = []
    for name, info in type(spec).model_fields.items():
        if name == "kind":
            continue
        value = getattr(spec, name)
        if value == info.get_default(call_default_factory=True):
            continue
        if hasattr(value, "model_dump"):
            value = value.model_dump(mode="json", exclude_none=True)
        elif isinstance(value, tuple):
            value = list(value)
        fields.append(f"{name}={value!r}")
    return f"{spec.kind}({', '.join(fields)})"


def describe_chain(cleaners: list[CleanerSpec], X: pd.DataFrame | None = None) -> str:
    """A readable, numbered description of a chain: each spec, its stage and what it does.

    With ``X`` (the whole table), ``drop_columns`` also previews what its detection finds there
    (each trial decides again on its own training rows).
    """
    if not cleaners:
        return "Cleaning chain: (none)"
    lines = [f"Cleaning chain ({len(cleaners)} steps):"]
    for i, spec in enumerate(cleaners, 1):
        doc = (type(spec).__doc__ or "").strip().splitlines()
        what = doc[0].rstrip(".").replace("``", "") if doc else ""
        stage = " [whole table, before the split]" if spec.stage == "dataset" else ""
        lines.append(f"  {i}. {_summary(spec)}{stage}")
        if what:
            lines.append(f"     {what}")
        if X is not None and spec.kind == "drop_columns":
            preview = DropColumns(**_drop_columns_args(spec)).fit(X).dropped_
            found = ", ".join(f"{c} ({why})" for c, why in preview.items()) or "nothing"
            lines.append(f"     on this table: drops {found}")
    return "\n".join(lines)


def _drop_columns_args(spec: CleanerSpec) -> dict[str, Any]:
    return spec.model_dump(exclude={"kind"})


def dump_chain(cleaners: list[CleanerSpec], fmt: str = "toml") -> str:
    """The chain as TOML (``[[cleaners]]`` tables) or JSON (``{"cleaners": [...]}``).

    The output reads back with :func:`load_chain`, and its ``cleaners`` list can be pasted into
    an experiment config to run the same chain again (or an edited one).
    """
    data = {"cleaners": [spec.model_dump(mode="json") for spec in cleaners]}
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt != "toml":
        raise ValueError(f"unknown format {fmt!r} (toml, json)")
    import tomli_w

    header = (
        "# The cleaning chain used. Edit it and put it in an experiment config as its\n"
        "# `cleaners` list (these [[cleaners]] tables) to run it again.\n\n"
    )
    return header + tomli_w.dumps(data)


def load_chain(text: str, fmt: str = "toml", registry=None) -> list[CleanerSpec]:
    """Read a chain written by :func:`dump_chain`, validating each spec against the registry."""
    import sys

    from pydantic import TypeAdapter

    from ..plugins import get_registry

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    union = (registry or get_registry()).union("cleaner")
    return list(TypeAdapter(list[union]).validate_python(data.get("cleaners", [])))


def apply_dataset_stage(
    cleaners: list[CleanerSpec], X: pd.DataFrame, y: pd.Series, task: str
) -> tuple[pd.DataFrame, pd.Series, dict[str, Any]]:
    """Run the dataset-stage cleaners once on the whole table; merge their info dicts.

    Call before making the folds: the folds then index the rows every trial and the
    before/after comparison see.
    """
    info: dict[str, Any] = {}
    for spec in cleaners:
        if spec.stage != "dataset":
            continue
        X, y, more = spec.build(task).apply(X, y)
        info.update(more)
    return X, y, info
