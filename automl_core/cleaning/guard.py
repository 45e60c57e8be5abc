"""The last step before the model: a clear message instead of an estimator's deep error."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import FrameTransformer, as_frame
from .columns import categorical_columns

__all__ = ["NumericGuard"]


class NumericGuard(FrameTransformer):
    """Last step before the model: every column must be numeric, finite and without gaps.

    Turns the errors estimators raise deep inside (``could not convert string to float``,
    ``Input contains NaN``) into one that names the columns and the cleaner that fixes them.
    Checks column by column, so no float64 copy of the whole table is made.
    """

    def fit(self, X, y=None):
        X = self._start_fit(X)
        self._check(X)
        return self

    def transform(self, X):
        X = as_frame(X)
        self._check(X)
        return X

    @staticmethod
    def _check(X: pd.DataFrame) -> None:
        text = categorical_columns(X)
        if text:
            raise ValueError(
                f"columns {text} still hold text or categories when they reach the model; "
                "add a one_hot (or ordinal) cleaner"
            )
        gaps, infinite = [], []
        for c in X.columns:
            arr = X[c].to_numpy()
            if arr.dtype.kind not in "fc":
                if arr.dtype.kind == "O" or X[c].hasnans:
                    arr = X[c].to_numpy(dtype=np.float64, na_value=np.nan)
                else:
                    continue  # integers and booleans: always finite
            if not np.isfinite(arr).all():
                (gaps if np.isnan(arr).any() else infinite).append(c)
        if gaps:
            raise ValueError(f"columns {gaps} still have missing values; add an impute cleaner")
        if infinite:
            raise ValueError(
                f"columns {infinite} hold infinite values; validate the table with "
                "automl_core.datacheck.validate_table (it turns them into gaps) and impute"
            )
