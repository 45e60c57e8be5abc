"""Search progress: the best score so far (by trial, by wall time) and every trial's score.

These take a ``Results``, the result of ``compare`` or a bare table with ``strategy``,
``trial_id``, ``score``, ``status`` (and ``finished_s`` for the time chart): one line or colour
per strategy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import (
    PALETTE,
    ChartUnavailable,
    by_strategy,
    fmt,
    metric_of,
    mode_of,
    new_figure,
    ok_trials,
    robust_limits,
    table_of,
)

__all__ = ["best_so_far", "plot_best_by_trial", "plot_best_by_time", "plot_trial_scores"]


def best_so_far(rows: pd.DataFrame, mode: str) -> pd.Series:
    """Running best of ``score`` over ``rows`` in their order; failed trials keep the last best."""
    score = pd.to_numeric(rows["score"], errors="coerce").astype(float)
    if "status" in rows.columns:
        score = score.where(rows["status"] == "ok")
    running = score.cummax() if mode == "max" else score.cummin()
    return running.ffill()


def _check(table: pd.DataFrame, *cols: str) -> None:
    missing = [c for c in ("score", "status", *cols) if c not in table.columns]
    if missing:
        raise ChartUnavailable(f"the table has no {', '.join(missing)} column")
    if ok_trials(table).empty:
        raise ChartUnavailable("no trial finished with a score")


def _label(name: str, best: float) -> str:
    return f"{name or 'trials'} (best {fmt(best)})"


def plot_best_by_trial(data: Any, mode: str | None = None):
    """Best score so far against trial number, one step line per strategy."""
    table, mode = table_of(data), mode_of(data, mode)
    _check(table)
    fig, ax = new_figure()
    groups = list(by_strategy(table))
    end = max(len(rows) for _, rows in groups)
    everything = []
    for i, (name, rows) in enumerate(groups):
        curve = best_so_far(rows, mode)
        if curve.notna().any():
            x = np.arange(1, len(rows) + 1)
            _steps(ax, x, curve.to_numpy(), end, PALETTE[i % 10], _label(name, curve.iloc[-1]))
            everything += list(curve.dropna())
    _finish(ax, everything, mode, metric_of(data), "trial number")
    ax.set_title(f"Best {metric_of(data)} so far, by trial")
    return fig


def plot_best_by_time(data: Any, mode: str | None = None):
    """Best score so far against seconds since the run started, one step line per strategy."""
    table, mode = table_of(data), mode_of(data, mode)
    _check(table, "finished_s")
    fig, ax = new_figure()
    groups = []
    for name, rows in by_strategy(table):
        rows = rows[pd.to_numeric(rows["finished_s"], errors="coerce").notna()]
        groups.append((name, rows.sort_values("finished_s", kind="stable")))
    end = max((float(rows["finished_s"].max()) for _, rows in groups if len(rows)), default=0.0)
    everything = []
    for i, (name, rows) in enumerate(groups):
        curve = best_so_far(rows, mode)
        if curve.notna().any():
            t = rows["finished_s"].astype(float).to_numpy()
            _steps(ax, t, curve.to_numpy(), end, PALETTE[i % 10], _label(name, curve.iloc[-1]))
            everything += list(curve.dropna())
    if not everything:
        raise ChartUnavailable("no successful trial has a finish time")
    _finish(ax, everything, mode, metric_of(data), "seconds since the run started")
    ax.set_xlim(left=0)  # the wait before the first result (worker start-up) is part of the cost
    ax.set_title(f"Best {metric_of(data)} so far, by wall time")
    return fig


def _steps(ax, x, y, end: float, color: str, label: str) -> None:
    """A step line with a dot at each improvement, held flat to ``end``.

    Holding every line to the same end lets a strategy that stopped improving early be read
    against one that was still running.
    """
    if end > x[-1]:
        x, y = np.append(x, end), np.append(y, y[-1])
    ax.step(x, y, where="post", color=color, lw=2, label=label)
    prev = np.concatenate([[np.nan], y[:-1]])
    better = ~np.isnan(y) & ((y != prev) | np.isnan(prev))
    ax.plot(x[better], y[better], "o", color=color, ms=4)


def _finish(ax, values, mode: str, metric: str, xlabel: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"best {metric} ({'higher' if mode == 'max' else 'lower'} is better)")
    lim = robust_limits(values, mode)
    if lim:
        ax.set_ylim(*lim)
    ax.legend(loc="lower right" if mode == "max" else "upper right", fontsize=9)


def plot_trial_scores(data: Any, mode: str | None = None):
    """Every trial's score (one point per trial), the best one starred.

    Colours: one per strategy when several ran, else one per model when the search picked
    among models, else one colour.
    """
    table, mode = table_of(data), mode_of(data, mode)
    _check(table)
    by_strat = "strategy" in table.columns and table["strategy"].nunique() > 1
    numbered = []
    for _, rows in by_strategy(table):
        rows = rows.assign(_n=np.arange(1, len(rows) + 1))
        numbered.append(rows)
    table = pd.concat(numbered)
    ok = ok_trials(table)
    if by_strat:
        key, title = ok["strategy"].astype(str), "strategy"
    elif "param.model" in ok.columns and ok["param.model"].nunique() > 1:
        key, title = ok["param.model"].astype(str), "model"
    else:
        key, title = pd.Series("trials", index=ok.index), None
    fig, ax = new_figure()
    for i, name in enumerate(dict.fromkeys(key)):
        pts = ok[key == name]
        ax.scatter(
            pts["_n"],
            pts["score"].astype(float),
            s=28,
            alpha=0.8,
            color=PALETTE[i % 10],
            label=name,
        )
    scores = ok["score"].astype(float)
    best = ok.loc[scores.idxmax() if mode == "max" else scores.idxmin()]
    ax.scatter(
        [best["_n"]],
        [best["score"]],
        marker="*",
        s=320,
        color="gold",
        edgecolor="black",
        zorder=5,
        label=f"best: {fmt(best['score'])}",
    )
    ax.set_xlabel("trial number")
    ax.set_ylabel(metric_of(data))
    n_failed = len(table) - len(ok)
    lim = robust_limits(scores, mode)
    hidden = 0
    if lim:
        ax.set_ylim(*lim)
        hidden = int(((scores < lim[0]) | (scores > lim[1])).sum())
    notes = [f"{len(ok)} of {len(table)} trials scored"]
    if n_failed:
        notes.append(f"{n_failed} failed (not shown)")
    if hidden:
        notes.append(f"{hidden} off the axis")
    ax.set_title(f"Score of every trial ({', '.join(notes)})", fontsize=11)
    ax.margins(y=0.1)  # room for the star
    # outside the axes: a scatter has no empty corner to count on
    ax.legend(title=title, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig
