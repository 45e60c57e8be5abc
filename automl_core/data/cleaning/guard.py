"""The last step before the model: a clear message instead of an estimator's deep error."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .base import FrameTransformer
from .columns import categorical_columns

__all__ = ["NumericGuard"]

#: at most this many cells are copied at once to check float columns (32 MiB of float64)
_BLOCK_CELLS = 1 << 22


class NumericGuard(FrameTransformer):
    """Last step before the model: every column must be numeric, finite and without gaps.

    Turns the errors estimators raise deep inside (``could not convert string to float``,
    ``Input contains NaN``) into one that names the columns and the cleaner that fixes them.
    Checks column by column, so no float64 copy of the whole table is made.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # what it lets through: numbers only, no gap, no infinity (the base says gaps and text
        # are fine for the cleaners; here they are the error)
        tags.input_tags.allow_nan = False
        tags.input_tags.string = False
        return tags

    def fit(self, X, y=None):
        X = self._start_fit(X)
        self._check(X)
        return self

    def transform(self, X):
        X = self._start_transform(X)
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
        # numpy float columns are checked a block of columns at a time (one vectorised pass;
        # the copy is bounded by _BLOCK_CELLS); the rest column by column
        floats, others = [], []
        for i, dtype in enumerate(X.dtypes):
            if isinstance(dtype, np.dtype) and dtype.kind in "fc":
                floats.append(i)
            elif not (isinstance(dtype, np.dtype) and dtype.kind in "iub"):
                others.append(i)  # numpy ints/booleans are always finite: skipped
        step = max(1, _BLOCK_CELLS // max(1, len(X)))
        for start in range(0, len(floats), step):
            positions = floats[start : start + step]
            block = X.iloc[:, positions].to_numpy()
            finite = np.isfinite(block).all(axis=0)
            for j in np.flatnonzero(~finite):
                c = X.columns[positions[j]]
                (gaps if np.isnan(block[:, j]).any() else infinite).append(c)
        for i in others:
            col = X.iloc[:, i]
            arr = col.to_numpy()
            if arr.dtype.kind not in "fc":
                if arr.dtype.kind == "O" or col.hasnans:
                    arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
                else:
                    continue
            if not np.isfinite(arr).all():
                (gaps if np.isnan(arr).any() else infinite).append(X.columns[i])
        if gaps:
            raise ValueError(
                f"columns {gaps} still have missing values (NaN); add an impute cleaner"
            )
        if infinite:
            raise ValueError(
                f"columns {infinite} hold infinite values (inf); validate the table with "
                "automl_core.data.check.validate_table (it turns them into gaps) and impute"
            )
