"""The refit best pipeline on the held-out test split: confusion matrix or predicted vs actual.

Reads ``test_predictions`` (``y_true``, ``y_pred``; present when the run set ``test_size``)
and ``info["test_score"]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from ._common import ChartUnavailable, fmt, metric_of, new_figure

__all__ = ["task_of", "plot_test_predictions"]


def task_of(data: Any, y_true: pd.Series | None = None) -> str:
    """The task from info, then the config, then the labels (text or few integers: classes)."""
    info = getattr(data, "info", None) or {}
    task = info.get("task") or getattr(getattr(data, "config", None), "task", None)
    if task in ("classification", "regression"):
        return task
    if y_true is not None and (
        not pdt.is_numeric_dtype(y_true)
        or (pdt.is_integer_dtype(y_true) and y_true.nunique() <= 20)
    ):
        return "classification"
    return "regression"


def _test_score_text(data: Any, shown: str) -> str:
    """``, test <metric> <score>`` unless the metric is the one the chart already shows."""
    info = getattr(data, "info", None) or {}
    score, metric = info.get("test_score"), metric_of(data)
    return f", test {metric} {fmt(score)}" if score is not None and metric != shown else ""


def plot_test_predictions(data: Any):
    """Confusion matrix (classification) or predicted against actual (regression) on the test split."""
    tp = getattr(data, "test_predictions", None)
    if not isinstance(tp, pd.DataFrame) or tp.empty or not {"y_true", "y_pred"} <= set(tp.columns):
        raise ChartUnavailable(
            "no test predictions (the run had no held-out test split: test_size)"
        )
    tp = tp.dropna(subset=["y_true", "y_pred"])
    if task_of(data, tp["y_true"]) == "classification":
        return _confusion(tp, _test_score_text(data, "accuracy"))
    return _predicted_vs_actual(tp, _test_score_text(data, "rmse"))


def _confusion(tp: pd.DataFrame, score: str):
    from sklearn.metrics import confusion_matrix

    y_true, y_pred = _as_labels(tp["y_true"]), _as_labels(tp["y_pred"])
    labels = sorted(set(y_true) | set(y_pred), key=_natural)
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    k = len(labels)
    side = min(3.2 + 0.45 * k, 11)
    fig, ax = new_figure(side + 1.2, side)
    ax.grid(False)
    # colour by share of the true class (recall), so rare classes are as readable as common ones
    rates = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, shrink=0.8, label="share of the true class")
    ticks = np.arange(k)
    shown = (
        labels
        if k <= 30
        else [lab if i % (k // 30 + 1) == 0 else "" for i, lab in enumerate(labels)]
    )
    ax.set_xticks(ticks, shown, rotation=45 if k > 6 else 0, ha="right" if k > 6 else "center")
    ax.set_yticks(ticks, shown)
    if k <= 20:
        for i in range(k):
            for j in range(k):
                ax.text(
                    j,
                    i,
                    str(cm[i, j]),
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if rates[i, j] > 0.5 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    acc = float(np.trace(cm) / max(cm.sum(), 1))
    ax.set_title(
        f"Confusion matrix, test split\n(n={len(tp)}, accuracy {fmt(acc)}{score})", fontsize=10
    )
    return fig


def _as_labels(s: pd.Series) -> pd.Series:
    """Labels as text; whole floats as ints, since a CSV round trip can give 1 here, 1.0 there."""
    if pdt.is_numeric_dtype(s) and not pdt.is_bool_dtype(s):
        v = s.astype(float)
        if np.isfinite(v).all() and (v % 1 == 0).all():
            return v.astype("int64").astype(str)
    return s.astype(str)


def _natural(label: str):
    """Numbers in numeric order ("2" before "10"), then text."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def _predicted_vs_actual(tp: pd.DataFrame, score: str):
    y_true = pd.to_numeric(tp["y_true"], errors="coerce").to_numpy(float)
    y_pred = pd.to_numeric(tp["y_pred"], errors="coerce").to_numpy(float)
    keep = np.isfinite(y_true) & np.isfinite(y_pred)
    if not keep.any():
        raise ChartUnavailable("test predictions are not numeric")
    y_true, y_pred = y_true[keep], y_pred[keep]
    fig, ax = new_figure(5.6, 5.2)
    ax.scatter(y_true, y_pred, s=18, alpha=0.6, color="#1f77b4", label="test rows")
    lo, hi = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    pad = 0.04 * (hi - lo or 1)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], "--", color="gray", lw=1, label="perfect")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_aspect("equal")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    rmse = float(np.sqrt(np.mean((y_true - y_pred) ** 2)))
    ax.set_title(
        f"Predicted vs actual, test split\n(n={len(y_true)}, RMSE {fmt(rmse)}{score})", fontsize=10
    )
    ax.legend(fontsize=9, loc="upper left")
    return fig
