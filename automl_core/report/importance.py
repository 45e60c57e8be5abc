"""Which parameters mattered, and the best trials as a table.

Parameter importance: a random forest fitted on the table (param columns → score of the
successful trials; categorical columns one-hot, their importances summed back per parameter;
inactive conditional params left missing, which scikit-learn's forests accept). It says how
much of the score's variation across *these* trials each parameter explains: with few trials
it is a rough hint, not a measurement.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from ._common import ChartUnavailable, fmt, mode_of, new_figure, ok_trials, table_of

__all__ = ["param_importance", "plot_importance", "top_trials_frame", "plot_top_trials"]

#: fewer successful trials than this and a forest has nothing to split on
MIN_TRIALS = 5


def param_importance(data: Any, seed: int = 0) -> pd.Series:
    """Importance per parameter (summing to 1), largest first."""
    from sklearn.ensemble import RandomForestRegressor

    ok = ok_trials(table_of(data))
    params = [c for c in ok.columns if c.startswith("param.")]
    if len(ok) < MIN_TRIALS:
        raise ChartUnavailable(f"{len(ok)} successful trials; importance needs {MIN_TRIALS}")
    columns, owner = [], []
    for col in params:
        s = ok[col]
        if s.nunique(dropna=False) <= 1:
            continue  # a constant says nothing about the score
        name = col.removeprefix("param.")
        numeric = pdt.is_numeric_dtype(s) and not pdt.is_bool_dtype(s)
        if numeric:
            columns.append(pd.to_numeric(s, errors="coerce").astype(float).rename(name))
            owner.append(name)
        else:
            dummies = pd.get_dummies(s.astype("string"), prefix=name, dtype=float)
            columns += [dummies[c] for c in dummies.columns]
            owner += [name] * dummies.shape[1]
    if not columns:
        raise ChartUnavailable("no parameter varies across the successful trials")
    X = pd.concat(columns, axis=1).to_numpy(float)
    y = ok["score"].to_numpy(float)
    if np.ptp(y) == 0:
        raise ChartUnavailable("every trial scored the same; nothing to explain")
    forest = RandomForestRegressor(n_estimators=300, min_samples_leaf=1, random_state=seed)
    forest.fit(X, y)
    imp = pd.Series(forest.feature_importances_, index=owner).groupby(level=0, sort=False).sum()
    return imp.sort_values(ascending=False)


def plot_importance(data: Any, top: int = 15):
    """Horizontal bars of :func:`param_importance` (the ``top`` largest)."""
    imp = param_importance(data).head(top)
    n_ok = len(ok_trials(table_of(data)))
    fig, ax = new_figure(7.0, max(2.4, 0.9 + 0.38 * len(imp)))
    ax.barh(range(len(imp)), imp.to_numpy(), color="#1f77b4")
    ax.set_yticks(range(len(imp)), list(imp.index), fontsize=9)
    ax.invert_yaxis()
    ax.grid(False, axis="y")
    ax.set_xlim(0, max(float(imp.max()) * 1.15, 0.05))
    for i, v in enumerate(imp.to_numpy()):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=8)
    ax.set_xlabel("importance (share of score variation explained)")
    ax.set_title(f"Parameter importance (random forest on {n_ok} trials)", fontsize=11)
    return fig


def _active_params(row: pd.Series) -> str:
    """``k=v`` of a row's active params; a model's own prefix dropped on its own rows."""
    model = row.get("param.model")
    parts = []
    for col, v in row.items():
        if not str(col).startswith("param.") or v is None or v is pd.NA:
            continue
        if isinstance(v, float) and np.isnan(v):
            continue
        name = str(col).removeprefix("param.")
        if isinstance(model, str) and name.startswith(model + "."):
            name = name[len(model) + 1 :]
        parts.append(f"{name}={fmt(v, 3)}")
    return ", ".join(parts)


def top_trials_frame(data: Any, n: int = 10) -> pd.DataFrame:
    """The ``n`` best successful trials as display text: rank, trial, scores, params."""
    table = table_of(data)
    ok = ok_trials(table)
    if ok.empty:
        raise ChartUnavailable("no trial finished with a score")
    ok = ok.sort_values("score", ascending=mode_of(data) == "min", kind="stable").head(n)
    out = pd.DataFrame({"rank": range(1, len(ok) + 1), "trial": ok["trial_id"].to_numpy()})
    if "strategy" in ok.columns and table["strategy"].nunique() > 1:
        out["strategy"] = ok["strategy"].astype(str).to_numpy()
    out["score"] = [fmt(v) for v in ok["score"]]
    for col, label in (("score_std", "± std"), ("train_score", "train"), ("fit_time_s", "fit s")):
        if col in ok.columns and ok[col].notna().any():
            out[label] = [fmt(v, 3) for v in ok[col]]
    out["parameters"] = [_active_params(row) for _, row in ok.iterrows()]
    return out


def plot_top_trials(data: Any, n: int = 10):
    """The best trials drawn as a table (the HTML report also has it as text)."""
    frame = top_trials_frame(data, n)
    width = 9.5
    fig, ax = new_figure(width, 0.7 + 0.32 * (len(frame) + 1))
    ax.axis("off")
    # long parameter lists wrap instead of running off the page
    wrap = 70
    cells = frame.astype(str).to_numpy().tolist()
    pcol = list(frame.columns).index("parameters")
    lines = 1
    for row in cells:
        text = row[pcol]
        chunks = textwrap.wrap(text, wrap) or [""]
        row[pcol] = "\n".join(chunks)
        lines = max(lines, len(chunks))
    fig.set_figheight(0.5 + 0.24 * (lines * len(frame) + 1.3))
    widths = [0.045 if c in ("rank", "trial") else 0.07 for c in frame.columns]
    widths[pcol] = 1.0 - sum(w for i, w in enumerate(widths) if i != pcol)
    tab = ax.table(
        cellText=cells,
        colLabels=list(frame.columns),
        colWidths=widths,
        bbox=[0, 0, 1, 1],
        cellLoc="left",
        colLoc="left",
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(8)
    for (r, c), cell in tab.get_celld().items():
        # the padding is a share of the cell width: the wide column needs a smaller share
        cell.PAD = 0.01 if c == pcol else 0.08
        if r == 0:
            cell.set_text_props(weight="bold")
            cell.set_facecolor("#e8eef6")
            cell.set_height(cell.get_height() / lines * 1.3)
    ax.set_title(f"Top {len(frame)} trials", fontsize=11)
    return fig
