"""Training against validation score along the regularization strength.

The strength is read from the param columns, per model: an ``l1``/``l2`` regularizer's
``strength`` (summed when both are searched; models add them too), else an ``alpha`` or
``weight_decay``, else ``C`` inverted (``1/C``: a smaller C regularizes more), so the x axis
always grows toward stronger regularization. The gap between the curves is the overfitting.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from ._common import PALETTE, ChartUnavailable, metric_of, new_figure, ok_trials, table_of

__all__ = ["regularization_strength", "plot_regularization"]

_STRENGTH = re.compile(r"^param\.(?:(?P<model>.+)\.)?(?P<reg>l[12](?:_\d+)?)\.strength$")
_DIRECT = re.compile(r"^param\.(?:(?P<model>.+)\.)?(?P<name>alpha|weight_decay|C)$")


def regularization_strength(table: pd.DataFrame) -> dict[str, tuple[pd.Series, str]]:
    """Per model label (``""`` for a flat space): ``(strength per row, what it is)``."""
    found: dict[str, dict[str, list[str]]] = {}
    for col in table.columns:
        m = _STRENGTH.match(col)
        if m:
            found.setdefault(m["model"] or "", {}).setdefault("strength", []).append(col)
            continue
        m = _DIRECT.match(col)
        if m:
            found.setdefault(m["model"] or "", {}).setdefault(m["name"], []).append(col)
    out = {}
    for model, kinds in found.items():
        # a regularizer's strength overrides the model's own C, so it wins when both are there
        for kind in ("strength", "alpha", "weight_decay", "C"):
            cols = kinds.get(kind)
            if not cols:
                continue
            values = table[cols].apply(pd.to_numeric, errors="coerce").astype(float)
            s = values.sum(axis=1, min_count=1)
            if kind == "C":
                s, what = 1.0 / s, "1/C"
            else:
                what = (
                    " + ".join(c.rsplit(".", 2)[-2] for c in cols) if kind == "strength" else kind
                )
                what = f"{what} strength" if kind == "strength" else what
            s = s.where(np.isfinite(s) & (s > 0))
            if s.notna().any() and s.nunique() > 1:
                out[model] = (s, what)
                break
    return out


def plot_regularization(data: Any):
    """Training and validation score against regularization strength (log x), per model."""
    table = table_of(data)
    ok = ok_trials(table)
    if "train_score" not in ok.columns or ok["train_score"].isna().all():
        raise ChartUnavailable(
            "no train_score in the table (the run did not score training folds: cv.train_score)"
        )
    found = regularization_strength(ok)
    if not found:
        raise ChartUnavailable(
            "no searched regularization strength among the param columns "
            "(an l1/l2 strength, alpha, weight_decay or C that varies across trials)"
        )
    fig, ax = new_figure()
    plotted = 0
    for i, (model, (strength, what)) in enumerate(found.items()):
        rows = ok.assign(_x=strength)
        rows = rows[rows["_x"].notna() & rows["train_score"].notna()].sort_values("_x")
        if len(rows) < 2:
            continue
        color = PALETTE[i % 10]
        name = f"{model} ({what})" if model else what
        x = rows["_x"].to_numpy(float)
        ax.plot(
            x,
            rows["score"].astype(float),
            "o-",
            color=color,
            lw=2,
            ms=5,
            label=f"{name}: validation",
        )
        ax.plot(
            x,
            rows["train_score"].astype(float),
            "s--",
            color=color,
            lw=1.2,
            ms=4,
            mfc="none",
            label=f"{name}: training",
        )
        plotted += 1
    if not plotted:
        raise ChartUnavailable(
            "fewer than 2 scored trials per model with a regularization strength"
        )
    ax.set_xscale("log")
    ax.set_xlabel("regularization strength (log scale; stronger →)")
    ax.set_ylabel(metric_of(data))
    ax.set_title(f"Training vs validation {metric_of(data)} against regularization")
    ax.legend(fontsize=8, loc="best")
    return fig
