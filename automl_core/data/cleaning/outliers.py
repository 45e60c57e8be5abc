"""Clipping outliers to bounds learned on the fitted rows (IQR fences or z-score)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import FrameTransformer, float_values, rebuild_frame
from .columns import numeric_columns

__all__ = ["OutlierClipper"]


class OutlierClipper(FrameTransformer):
    """Clip numeric values to bounds learned on the fitted rows.

    ``method="iqr"``: Tukey's fences ``[q1 - factor * iqr, q3 + factor * iqr]`` (``factor`` 1.5
    is the classic choice, 3 keeps all but extreme values). ``method="zscore"``: ``mean +/-
    threshold * std``. A column whose spread is zero (mostly one value) is left alone: its fences
    would collapse every other value onto that one. Clipping, not dropping rows, keeps predict
    time working row by row. Missing values stay missing. ``bounds_``: column -> (low, high).
    """

    def __init__(
        self,
        method: str = "iqr",
        factor: float = 1.5,
        threshold: float = 3.0,
        columns: Sequence[str] = (),
    ):
        self.method = method
        self.factor = factor
        self.threshold = threshold
        self.columns = columns

    def fit(self, X, y=None):
        X = self._start_fit(X)
        if self.method not in ("iqr", "zscore"):
            raise ValueError(f"unknown outlier method {self.method!r} (iqr, zscore)")
        num = numeric_columns(X)
        self.bounds_: dict[str, tuple[float, float]] = {}
        for c in self._chosen(X, self.columns, num):
            if c not in num:
                continue
            arr = float_values(X[c])
            arr = arr[~np.isnan(arr)]
            if len(arr) < 2:
                continue
            if self.method == "iqr":
                q1, q3 = np.percentile(arr, [25, 75])
                spread = q3 - q1
                lo, hi = q1 - self.factor * spread, q3 + self.factor * spread
            else:
                mean, spread = arr.mean(), arr.std()
                lo, hi = mean - self.threshold * spread, mean + self.threshold * spread
            if spread > 0 and np.isfinite(spread):
                self.bounds_[c] = (float(lo), float(hi))
        return self

    def transform(self, X):
        X = self._start_transform(X)
        if not self.bounds_:
            return X
        clipped = {}
        for c, (lo, hi) in self.bounds_.items():
            arr = X[c].to_numpy()
            if arr.dtype.kind != "f":
                arr = float_values(X[c])
            if (arr < lo).any() or (arr > hi).any():
                clipped[c] = np.clip(arr, lo, hi).astype(arr.dtype, copy=False)
        return rebuild_frame(X, replaced=clipped) if clipped else X
