"""Per-epoch training and validation curves of the best trials that reported epochs.

Reads ``history`` (long rows ``trial_id, epoch, metric, value``). ``train_<m>`` and ``val_<m>``
share one panel per ``<m>`` (loss, accuracy...): training dashed, validation solid, one colour
per trial. A bare per-epoch ``score`` is drawn as validation when no ``val_`` metric exists.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ._common import PALETTE, ChartUnavailable, fmt, mode_of, new_figure, ok_trials

__all__ = ["plot_epochs"]

#: panels in this order first, then any other metric names
_PREFERRED = ["loss", "accuracy"]


def _split(metric: str) -> tuple[str, str] | None:
    for prefix, role in (("train_", "training"), ("val_", "validation")):
        if metric.startswith(prefix):
            return metric[len(prefix) :], role
    return None


def _best_trials(data: Any, history: pd.DataFrame, n: int) -> list[int]:
    """The ``n`` best-scored trials among those with history (trial order if no table)."""
    with_history = list(dict.fromkeys(history["trial_id"]))
    table = getattr(data, "table", None)
    if isinstance(table, pd.DataFrame) and {"trial_id", "score", "status"} <= set(table.columns):
        ok = ok_trials(table)
        ok = ok[ok["trial_id"].isin(with_history)]
        if not ok.empty:
            ok = ok.sort_values("score", ascending=mode_of(data) == "min")
            return list(ok["trial_id"].head(n))
    return with_history[:n]


def plot_epochs(data: Any, n_trials: int = 3, max_panels: int = 3):
    """Training and validation curves per epoch of the ``n_trials`` best trials."""
    history = getattr(data, "history", None)
    if not isinstance(history, pd.DataFrame) or history.empty:
        raise ChartUnavailable("no per-epoch history (no trial reported epochs)")
    history = history.dropna(subset=["epoch", "value"])
    metrics = list(dict.fromkeys(history["metric"]))
    panels: dict[str, dict[str, str]] = {}
    for m in metrics:
        split = _split(m)
        if split:
            panels.setdefault(split[0], {})[split[1]] = m
    if "score" in metrics and not any("validation" in p for p in panels.values()):
        panels.setdefault(getattr(data, "metric", None) or "score", {})["validation"] = "score"
    if not panels:
        raise ChartUnavailable(f"history has no train_/val_ metrics (it has {metrics})")
    order = [p for p in _PREFERRED if p in panels] + [p for p in panels if p not in _PREFERRED]
    order = order[:max_panels]
    trials = _best_trials(data, history, n_trials)
    fig, axes = new_figure(4.2 * len(order) + 0.6, 4.2, ncols=len(order))
    axes = axes if isinstance(axes, list) else [axes]
    for ax, panel in zip(axes, order):
        for i, tid in enumerate(trials):
            rows = history[history["trial_id"] == tid]
            for role, style in (("training", "--"), ("validation", "-")):
                metric = panels[panel].get(role)
                if metric is None:
                    continue
                pts = rows[rows["metric"] == metric].sort_values("epoch")
                if not pts.empty:
                    ax.plot(
                        pts["epoch"],
                        pts["value"],
                        style,
                        color=PALETTE[i % 10],
                        lw=1.8,
                        label=f"trial {tid} {role}",
                    )
        ax.set_xlabel("epoch")
        ax.set_ylabel(panel)
        ax.set_title(panel)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(
        f"Per-epoch training (dashed) and validation (solid), best {len(trials)} "
        f"trial{'s' if len(trials) != 1 else ''}: {', '.join(fmt(t) for t in trials)}",
        fontsize=11,
    )
    return fig
