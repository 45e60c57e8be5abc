"""Before and after cleaning: the best score without the cleaning chain and with it.

Reads ``info["cleaning_gain"] = {"baseline_score", "cleaned_score", "gain"}`` (written by the
run when it measures the chain against a minimal baseline).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._common import ChartUnavailable, fmt, metric_of, mode_of, new_figure

__all__ = ["cleaning_gain", "plot_cleaning"]


def cleaning_gain(data: Any) -> dict[str, Any]:
    """``info["cleaning_gain"]`` checked: both scores finite, ``gain`` (positive = cleaning
    helped, whatever the metric's direction) filled in when absent."""
    info = getattr(data, "info", None) or {}
    gain = info.get("cleaning_gain")
    if not isinstance(gain, dict):
        raise ChartUnavailable("no cleaning gain in info (the run did not measure one)")
    if gain.get("baseline_score") is None and gain.get("baseline_error"):
        raise ChartUnavailable(f"the baseline without cleaning failed: {gain['baseline_error']}")
    try:
        before, after = float(gain["baseline_score"]), float(gain["cleaned_score"])
    except (KeyError, TypeError, ValueError):
        raise ChartUnavailable(f"cleaning gain lacks baseline/cleaned scores: {gain}") from None
    if not (math.isfinite(before) and math.isfinite(after)):
        raise ChartUnavailable(f"cleaning gain scores are not finite: {gain}")
    mode = gain.get("mode") or mode_of(data)
    g = gain.get("gain")
    g = float(g) if g is not None else (after - before if mode == "max" else before - after)
    return {**gain, "baseline_score": before, "cleaned_score": after, "gain": g}


def plot_cleaning(data: Any):
    """Two bars: the score before cleaning (baseline) and after (the cleaning chain).

    With fold scores in the gain, each fold is a dot on its bar and the bar carries the
    standard deviation, so a gain smaller than the fold-to-fold noise shows as such.
    """
    gain = cleaning_gain(data)
    metric = gain.get("metric") or metric_of(data)
    before, after = gain["baseline_score"], gain["cleaned_score"]
    fig, ax = new_figure(5.5, 4.2)
    stds = [gain.get("baseline_std"), gain.get("cleaned_std")]
    bars = ax.bar(
        ["before cleaning\n(baseline)", "after cleaning"],
        [before, after],
        yerr=[s or 0.0 for s in stds] if any(stds) else None,
        capsize=6,
        color=["#9e9e9e", "#2ca02c" if gain["gain"] > 0 else "#d62728"],
        width=0.55,
    )
    values = [before, after]
    for i, key in enumerate(("baseline_fold_scores", "cleaned_fold_scores")):
        folds = [float(v) for v in gain.get(key) or [] if v is not None]
        if folds:
            x = i + np.linspace(-0.12, 0.12, len(folds))
            ax.plot(
                x,
                folds,
                "o",
                color="black",
                ms=3.5,
                alpha=0.7,
                label="fold scores" if i == 0 else None,
            )
            values += folds
    ax.bar_label(
        bars,
        labels=[fmt(before), fmt(after)],
        padding=3,
        label_type="center",
        color="white",
        fontweight="bold",
    )
    lo, hi = min(*values, 0.0), max(*values, 0.0)
    ax.set_ylim(lo - 0.05 * (hi - lo) if lo < 0 else 0, hi + 0.15 * (hi - lo or 1))
    ax.set_ylabel(metric)
    ax.grid(True, axis="y", alpha=0.3)
    ax.grid(False, axis="x")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper left")
    sign = "+" if gain["gain"] >= 0 else ""
    ax.set_title(
        f"Cleaning: {metric} {fmt(before)} → {fmt(after)} (gain {sign}{fmt(gain['gain'])})"
    )
    return fig
