"""Scaling numeric columns with statistics of the fitted rows: standard, min-max, robust."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import FrameTransformer, float_values, rebuild_frame
from .columns import numeric_columns

__all__ = ["Scaler", "StandardScaler", "SCALE_METHODS"]

SCALE_METHODS = ("standard", "minmax", "robust")


def _stats(arr: np.ndarray, method: str) -> tuple[float, float]:
    """(center, scale) of the non-missing values; scale 1 when the column does not vary."""
    if np.isnan(arr).any():  # the nan-functions copy: pay only when there are gaps
        arr = arr[~np.isnan(arr)]
    if len(arr) == 0:
        return 0.0, 1.0
    if method == "standard":
        center, scale = float(arr.mean()), float(arr.std())
    elif method == "minmax":
        lo, hi = float(arr.min()), float(arr.max())
        center, scale = lo, hi - lo
    else:
        q1, med, q3 = np.percentile(arr, [25, 50, 75])
        center, scale = float(med), float(q3 - q1)
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    return center, scale


class Scaler(FrameTransformer):
    """Scale numeric columns: ``(x - center) / scale`` with statistics of the fitted rows.

    ``method``: ``standard`` (mean, standard deviation), ``minmax`` (min, max - min: the fitted
    rows land in [0, 1]; predict-time values outside the fitted range land outside it) or
    ``robust`` (median, interquartile range: outliers do not dominate). A column that does not
    vary keeps scale 1. Scaled columns are float32 (half the memory, ample precision for
    z-scores); missing values stay missing. ``columns`` limits the work to those columns.
    Fitted ``center_`` and ``scale_`` are Series by column.
    """

    def __init__(self, method: str = "standard", columns: Sequence[str] = ()):
        self.method = method
        self.columns = columns

    def fit(self, X, y=None):
        X = self._start_fit(X)
        if self.method not in SCALE_METHODS:
            raise ValueError(f"unknown scale method {self.method!r} (known: {SCALE_METHODS})")
        num = numeric_columns(X)
        cols = [c for c in self._chosen(X, self.columns, num) if c in num]
        stats = {c: _stats(float_values(X[c]), self.method) for c in cols}
        self.center_ = pd.Series({c: s[0] for c, s in stats.items()}, dtype=float)
        self.scale_ = pd.Series({c: s[1] for c, s in stats.items()}, dtype=float)
        if self.method == "standard":
            self.mean_ = self.center_  # the name scikit-learn users look for
        return self

    def transform(self, X):
        X = self._start_transform(X)
        if not len(self.center_):
            return X
        scaled = {}
        for c, center in self.center_.items():
            arr = X[c].to_numpy()
            if arr.dtype.kind not in "fiu":
                arr = float_values(X[c])
            col = np.empty(len(arr), dtype=np.float32)
            np.subtract(arr, center, out=col, casting="unsafe")
            col *= np.float32(1.0 / self.scale_[c])
            scaled[c] = col
        return rebuild_frame(X, replaced=scaled)


class StandardScaler(Scaler):
    """z-score numeric columns (``scale`` with ``method="standard"``)."""

    method = "standard"
    columns = ()

    def __init__(self):
        pass
