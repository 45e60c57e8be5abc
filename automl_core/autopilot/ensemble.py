"""Greedy ensemble selection (Caruana et al., 2004) over the trials' out-of-fold predictions.

Start from the best trial; add, with replacement, the trial whose predictions most improve the
averaged out-of-fold score; stop when nothing improves. The weights are the counts. It costs no
fit (the predictions are already there) and it is kept only when it beats the single best on
the same out-of-fold rows. Supported metrics: accuracy and balanced accuracy (averaged class
probabilities), r2, rmse and mae (averaged values).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

__all__ = ["ENSEMBLE_METRICS", "oof_score", "greedy_ensemble", "EnsembleClassifier",
           "EnsembleRegressor"]  # fmt: skip

ENSEMBLE_METRICS = {"accuracy", "balanced_accuracy", "r2", "rmse", "mae"}


def oof_score(pred: np.ndarray, y: np.ndarray, metric: str, classes=None) -> float:
    """``metric`` of out-of-fold predictions (probabilities for classification), higher better."""
    from sklearn import metrics as skm

    if classes is not None:
        labels = np.asarray(classes)[np.argmax(pred, axis=1)]
        if metric == "balanced_accuracy":
            return float(skm.balanced_accuracy_score(y, labels))
        return float(np.mean(labels == y))
    pred = pred.reshape(-1)
    if metric == "r2":
        return float(skm.r2_score(y, pred))
    if metric == "rmse":
        return -float(np.sqrt(np.mean((y - pred) ** 2)))
    return -float(np.mean(np.abs(y - pred)))


def greedy_ensemble(
    preds: Sequence[np.ndarray],
    y: np.ndarray,
    metric: str,
    classes=None,
    max_steps: int = 25,
) -> tuple[dict[int, int], float]:
    """Indices of ``preds`` with their weights (counts), and the ensemble's score.

    ``preds[0]`` must be the best single trial: the ensemble starts from it, so it can only
    tie or beat it on these rows.
    """
    chosen = [0]
    total = np.array(preds[0], dtype=float)  # running sum of the chosen predictions
    best = oof_score(total, y, metric, classes)
    best_len = 1
    for _ in range(max_steps):
        n = len(chosen) + 1
        # (total + p) / n: the average with p added once more. A step may make things worse
        # (two voters tie where three would not): keep going, return the best prefix. Ties go
        # to the trial chosen least so far (a new voter), then to the better-ranked one.
        scores = np.array([oof_score((total + p) / n, y, metric, classes) for p in preds])
        counts = Counter(chosen)
        tied = np.flatnonzero(scores >= scores.max() - 1e-12)
        i = int(min(tied, key=lambda j: (counts[int(j)], j)))
        total = total + preds[i]
        chosen.append(i)
        if scores[i] > best + 1e-12:
            best, best_len = scores[i], len(chosen)
    return dict(Counter(chosen[:best_len])), best


class _Ensemble(BaseEstimator):
    def __init__(self, members=(), weights=()):
        self.members = members
        self.weights = weights

    def _w(self) -> np.ndarray:
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()

    def fit(self, X, y):
        for m in self.members:
            m.fit(X, y)
        return self


class EnsembleClassifier(ClassifierMixin, _Ensemble):
    """Weighted average of fitted pipelines' class probabilities (one-hot votes without)."""

    def predict_proba(self, X):
        from .objective import _fold_prediction

        classes = self.classes_
        return sum(w * _fold_prediction(m, X, classes) for w, m in zip(self._w(), self.members))

    @property
    def classes_(self):
        return np.unique(np.concatenate([np.asarray(m.classes_) for m in self.members]))

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class EnsembleRegressor(RegressorMixin, _Ensemble):
    """Weighted average of fitted pipelines' predictions."""

    def predict(self, X):
        return sum(
            w * np.asarray(m.predict(X), dtype=float) for w, m in zip(self._w(), self.members)
        )
