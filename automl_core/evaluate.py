"""Cross-validation of one pipeline on fixed folds: the work inside every trial.

The folds are computed once per experiment (from its seed), so every trial, every strategy and
the before/after comparison score on the same rows. Each fold fits a fresh clone of the
pipeline on its training rows only, so cleaners never see the validation rows.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold

from .metrics import METRICS

__all__ = ["make_folds", "split_rows", "cross_validate", "score"]


def make_folds(
    y: pd.Series, task: str, folds: int, shuffle: bool, stratified: bool | None, seed: int
):
    """Fold indices (train, validation) as numpy arrays, stratified for classification."""
    strat = task == "classification" if stratified is None else stratified
    if strat:
        counts = y.value_counts()
        if counts.min() < folds:
            # too few rows of a class for stratified folds: fall back rather than crash
            strat = False
    rs = seed if shuffle else None
    splitter = (StratifiedKFold if strat else KFold)(
        n_splits=folds, shuffle=shuffle, random_state=rs
    )
    return [(tr, va) for tr, va in splitter.split(np.zeros(len(y)), y)]


def split_rows(X, y: pd.Series, task: str, seed: int, *, train_size=None, test_size=None):
    """``train_test_split``, stratified for classification when every class has 2+ rows."""
    from sklearn.model_selection import train_test_split

    strat = y if task == "classification" and y.value_counts().min() >= 2 else None
    return train_test_split(
        X, y, train_size=train_size, test_size=test_size, stratify=strat, random_state=seed
    )


def score(fitted, X, y, metric: str) -> float:
    m = METRICS[metric]
    return float(m.sign * get_scorer(m.scorer)(fitted, X, y))


def cross_validate(
    pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    folds,
    metric: str,
    extra_metrics=(),
    train_score: bool = False,
) -> dict[str, Any]:
    """Mean and std of ``metric`` over ``folds``, plus extra metrics, train score and fit time."""
    scores, trains, fit_times = [], [], []
    extras: dict[str, list[float]] = {m: [] for m in extra_metrics}
    for tr, va in folds:
        est = clone(pipeline)
        Xtr, ytr = X.iloc[tr], y.iloc[tr]
        Xva, yva = X.iloc[va], y.iloc[va]
        t0 = time.perf_counter()
        est.fit(Xtr, ytr)
        fit_times.append(time.perf_counter() - t0)
        scores.append(score(est, Xva, yva, metric))
        if train_score:
            trains.append(score(est, Xtr, ytr, metric))
        for m in extra_metrics:
            extras[m].append(score(est, Xva, yva, m))
    out: dict[str, Any] = {
        "score": float(np.mean(scores)),
        "score_std": float(np.std(scores)),
        "fold_scores": [float(s) for s in scores],
        "fit_time_s": float(np.sum(fit_times)),
    }
    if train_score:
        out["train_score"] = float(np.mean(trains))
    for m, vals in extras.items():
        out[f"metric.{m}"] = float(np.mean(vals))
    if not math.isfinite(out["score"]):
        raise FloatingPointError(f"{metric} is not finite on some fold: {scores}")
    return out
