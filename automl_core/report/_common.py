"""What every chart shares: a display-free figure, input coercion, the "no data" signal.

Figures are built with ``matplotlib.figure.Figure`` directly, not ``pyplot``: no backend is
switched (a notebook keeps its own), no GUI is touched, nothing is kept in pyplot's figure
registry, and ``savefig`` renders with Agg.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ChartUnavailable", "new_figure", "table_of", "mode_of", "metric_of", "ok_trials"]

#: one colour per strategy / model / trial, in this order (matplotlib's tab10)
PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
]


class ChartUnavailable(ValueError):
    """The data a chart needs is absent from these results; the message says what is missing."""


def new_figure(width: float = 7.0, height: float = 4.2, ncols: int = 1, **kw: Any):
    """A figure (100 dpi, so 7 x 4.2 in is 700 x 420 px) with ``ncols`` axes side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False, **kw)[0]
    for ax in axes:
        ax.set_axisbelow(True)  # grid lines behind bars and points, not across them
        ax.grid(True, alpha=0.3)
    return fig, (axes[0] if ncols == 1 else list(axes))


def table_of(data: Any) -> pd.DataFrame:
    """The trial table of a ``Results`` (or anything with ``.table``), or a DataFrame as is."""
    if isinstance(data, pd.DataFrame):
        return data
    table = getattr(data, "table", None)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected Results or a DataFrame, got {type(data).__name__}")
    return table


def mode_of(data: Any, mode: str | None = None) -> str:
    """``min`` or ``max``: given, else the results' own, else ``max``."""
    mode = mode or getattr(data, "mode", None) or "max"
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    return mode


def metric_of(data: Any) -> str:
    return getattr(data, "metric", None) or "score"


def ok_trials(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of trials that finished with a finite score."""
    need = {"score", "status"} - set(table.columns)
    if need:
        raise ChartUnavailable(f"the table has no {', '.join(sorted(need))} column")
    score = pd.to_numeric(table["score"], errors="coerce")
    return table[(table["status"] == "ok") & np.isfinite(score)]


def strategies(table: pd.DataFrame) -> list[str]:
    """Strategy names in order of first appearance (one unnamed group if no column)."""
    if "strategy" not in table.columns:
        return [""]
    return list(dict.fromkeys(table["strategy"].fillna("").astype(str)))


def by_strategy(table: pd.DataFrame):
    """``(name, rows)`` per strategy, rows in trial order."""
    key = table["strategy"].fillna("").astype(str) if "strategy" in table.columns else None
    for name in strategies(table):
        rows = table if key is None else table[key == name]
        yield name, rows.sort_values("trial_id") if "trial_id" in rows.columns else rows


def robust_limits(values, mode: str) -> tuple[float, float] | None:
    """Y limits that keep a few disastrous trials (r2 of -40) from flattening the rest.

    Only the bad side is clipped (low for ``max`` metrics, high for ``min``), and only beyond
    three times the larger of the interquartile range and 5% of the median's size, so
    ordinary spreads (accuracies from 0.8 to 0.98) are left whole. ``None``: no clipping.
    """
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if len(v) < 4:
        return None
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    reach = 3 * max(q3 - q1, 0.05 * abs(med), 1e-12)
    lo, hi = float(v.min()), float(v.max())
    if mode == "max" and lo < q1 - reach:
        lo = q1 - reach
    elif mode == "min" and hi > q3 + reach:
        hi = q3 + reach
    else:
        return None
    pad = 0.06 * (hi - lo)
    return lo - pad, hi + pad


def fmt(value: Any, digits: int = 4) -> str:
    """A short text for a number (4 significant digits), anything else as ``str``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    return str(value)
