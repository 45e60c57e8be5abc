"""Class imbalance: resampling the training rows, or weighting them, during fit only.

The pipeline (:class:`~automl_core.evaluation.pipeline.AutoPipeline`) calls ``fit_resample`` while it is
fitted, on the training folds of a trial or on the training split of the refit. ``transform``
passes rows through unchanged, so validation folds, the test split and predict-time rows are
never resampled.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from .base import FrameTransformer, as_frame

__all__ = ["Resampler", "ClassWeights", "RESAMPLE_METHODS"]

RESAMPLE_METHODS = ("over", "under", "smote")


def _labels(y) -> np.ndarray:
    return np.asarray(y)


def _rebuild_y(y, values: np.ndarray):
    if isinstance(y, pd.Series):
        return pd.Series(values, name=y.name, dtype=y.dtype)
    return values


def _take(X: pd.DataFrame, y, rows: np.ndarray):
    """Rows ``rows`` of X and y, with a fresh RangeIndex (rows may repeat)."""
    Xo = X.iloc[rows].reset_index(drop=True)
    return Xo, _rebuild_y(y, _labels(y)[rows])


def _oversample_to(X, y, targets: dict, rng: np.random.Generator):
    """Random over-sampling: add copies of rows until each class has ``targets[class]`` rows."""
    labels = _labels(y)
    extra = []
    for cls, target in targets.items():
        idx = np.flatnonzero(labels == cls)
        need = target - len(idx)
        if need > 0 and len(idx):
            extra.append(rng.choice(idx, size=need, replace=True))
    rows = np.concatenate([np.arange(len(labels))] + extra) if extra else None
    if rows is None:
        return X, y
    return _take(X, y, rows)


class Resampler(FrameTransformer):
    """Rebalance the classes of the training rows (classification only).

    ``method``:

    - ``over``: random over-sampling, copies of minority rows.
    - ``under``: random under-sampling, a random subset of each larger class.
    - ``smote``: SMOTE-style synthesis: a new minority row lies at a random point between a
      minority row and one of its ``k_neighbors`` nearest minority neighbours (distances on the
      numeric columns, standardised). Columns that are not continuous (text, booleans, 0/1
      columns such as one-hot outputs) take the value of the nearer of the two rows, so a
      one-hot group stays one-hot.

    ``ratio`` is the smallest class size wanted, as a share of the largest (1.0: balanced).
    ``seed`` fixes the random draws. ``fit_resample(X, y)`` returns the new ``(X, y)`` (a fresh
    index; over-sampled and synthetic rows are appended), used by the pipeline during fit only;
    ``transform`` returns its rows untouched (the fitted columns, as every cleaner does).
    """

    def __init__(self, method: str = "smote", ratio: float = 1.0, k_neighbors: int = 5, seed=0):
        self.method = method
        self.ratio = ratio
        self.k_neighbors = k_neighbors
        self.seed = seed

    def fit(self, X, y=None):
        self._start_fit(X)
        return self

    def transform(self, X):
        return self._start_transform(X)

    def fit_resample(self, X, y):
        X = self._start_fit(X)
        if self.method not in RESAMPLE_METHODS:
            raise ValueError(f"unknown resample method {self.method!r} ({RESAMPLE_METHODS})")
        if y is None:
            raise ValueError("resample needs the target (it rebalances classes)")
        labels = _labels(y)
        if pdt.is_float_dtype(labels) and len(np.unique(labels)) > 0.5 * len(labels):
            raise ValueError("resample serves classification; this target looks continuous")
        classes, counts = np.unique(labels, return_counts=True)
        rng = np.random.default_rng(self.seed)
        largest, smallest = counts.max(), counts.min()
        if self.method == "under":
            cap = max(int(math.ceil(smallest / self.ratio)), 1)
            keep = []
            for cls, n in zip(classes, counts):
                idx = np.flatnonzero(labels == cls)
                keep.append(rng.choice(idx, size=cap, replace=False) if n > cap else idx)
            return _take(X, y, np.sort(np.concatenate(keep)))
        want = int(math.ceil(self.ratio * largest))
        targets = {cls: max(want, n) for cls, n in zip(classes, counts)}
        if self.method == "over":
            return _oversample_to(X, y, targets, rng)
        return self._smote(X, y, labels, targets, rng)

    def _smote(self, X, y, labels, targets, rng):
        from sklearn.neighbors import NearestNeighbors

        num = [c for c in X.columns if pdt.is_numeric_dtype(X[c]) and not pdt.is_bool_dtype(X[c])]
        values = X[num].to_numpy(dtype=np.float64, na_value=np.nan)
        continuous = _continuous(values)
        # distances on standardised numbers, gaps at the column mean
        mean = np.nan_to_num(np.nanmean(values, axis=0)) if num else 0.0
        std = np.nan_to_num(np.nanstd(values, axis=0)) if num else 1.0
        space = (np.where(np.isnan(values), mean, values) - mean) / np.where(std > 0, std, 1.0)
        new_parts, new_labels = [], []
        for cls, target in targets.items():
            idx = np.flatnonzero(labels == cls)
            need = target - len(idx)
            if need <= 0:
                continue
            base = rng.choice(len(idx), size=need, replace=True)
            if len(idx) == 1 or not num:
                neigh = base  # nothing to interpolate with: copies
            else:
                k = min(self.k_neighbors, len(idx) - 1)
                queried, which = np.unique(base, return_inverse=True)
                nn = NearestNeighbors(n_neighbors=k + 1).fit(space[idx])
                _, nbrs = nn.kneighbors(space[idx[queried]])
                neigh = nbrs[which, rng.integers(1, k + 1, size=need)]  # 0: the row itself
            gap = rng.random(need)
            a_rows, b_rows = idx[base], idx[neigh]
            nearer = np.where(gap < 0.5, a_rows, b_rows)
            synth = X.iloc[nearer].reset_index(drop=True)
            if num:
                mixed = values[a_rows] + gap[:, None] * (values[b_rows] - values[a_rows])
                mixed = np.where(np.isnan(mixed), values[nearer], mixed)
                for j in np.flatnonzero(continuous):
                    c = num[j]
                    synth[c] = mixed[:, j].astype(np.result_type(X[c].dtype, np.float32))
            new_parts.append(synth)
            new_labels.append(np.full(need, cls, dtype=labels.dtype))
        if not new_parts:
            return X, y
        Xo = pd.concat([X.reset_index(drop=True)] + new_parts, ignore_index=True)
        return Xo, _rebuild_y(y, np.concatenate([labels] + new_labels))


def _continuous(values: np.ndarray) -> np.ndarray:
    """Per column: True unless every present value is 0 or 1 (indicators, one-hot outputs)."""
    flags = []
    for j in range(values.shape[1]):
        col = values[:, j]
        flags.append(not np.isin(col[~np.isnan(col)], (0.0, 1.0)).all())
    return np.array(flags, dtype=bool)


class ClassWeights(FrameTransformer):
    """Weight the training rows so every class counts alike, instead of resampling them.

    Row weight ``(n / (n_classes * n_class)) ** power``: ``power=1`` is scikit-learn's
    ``class_weight="balanced"``, ``0`` no weighting, values between soften it. Rows pass through
    unchanged. The pipeline passes ``sample_weight(y)`` to the model's ``fit`` when the model
    takes ``sample_weight`` (logistic regression, random forest, SVC, gradient boosting...);
    for a model that does not, it calls ``resample_instead(X, y)``: random over-sampling to the
    same class balance, so the cleaner never breaks a model.
    """

    def __init__(self, power: float = 1.0):
        self.power = power

    def fit(self, X, y=None):
        self._start_fit(X)
        if y is not None:
            self.classes_, counts = np.unique(_labels(y), return_counts=True)
            self.weights_ = self._weights(counts, counts.sum())
        return self

    def transform(self, X):
        return self._start_transform(X)

    def _weights(self, counts: np.ndarray, n: int) -> np.ndarray:
        return (n / (len(counts) * counts)) ** self.power

    def sample_weight(self, y) -> np.ndarray:
        """One weight per row of ``y`` (the rows the model is fitted on)."""
        labels = _labels(y)
        classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
        return self._weights(counts, len(labels))[inverse].astype(np.float64)

    def resample_instead(self, X, y):
        """Random over-sampling giving each class the total weight it would have had."""
        labels = _labels(y)
        classes, counts = np.unique(labels, return_counts=True)
        largest = counts.max()
        targets = {
            cls: int(round(n ** (1 - self.power) * largest**self.power))
            for cls, n in zip(classes, counts)
        }
        return _oversample_to(as_frame(X), y, targets, np.random.default_rng(0))
