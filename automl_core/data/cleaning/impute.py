"""Filling gaps: statistics learned on the fitted rows, or ordered fills along the rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import FrameTransformer, float_values, rebuild_frame
from .columns import categorical_columns, numeric_columns

__all__ = ["Imputer", "NUMERIC_METHODS", "ORDERED_METHODS"]

NUMERIC_METHODS = (
    "mean",
    "median",
    "most_frequent",
    "constant",
    "ffill",
    "bfill",
    "linear",
    "polynomial",
)
#: methods that fill from neighbouring rows; they read the rows in the order given
ORDERED_METHODS = ("ffill", "bfill", "linear", "polynomial")


def _mode(values: pd.Series):
    counts = values.value_counts(dropna=True, sort=True)
    return counts.index[0] if len(counts) else None


class Imputer(FrameTransformer):
    """Fill missing values, numbers and text columns each by their own method.

    ``numeric``:

    - ``mean``, ``median``, ``most_frequent``: the statistic of the fitted rows.
    - ``constant``: ``fill_value``.
    - ``ffill`` / ``bfill``: the previous / next value in row order, for ordered data (time
      series); the rows of the frame being transformed are the context, so a gap with no earlier
      (later) value in that frame gets the fitted rows' median.
    - ``linear`` / ``polynomial``: interpolation along the row order (``polynomial`` is a spline
      of degree ``order``); gaps before the first or after the last value take the nearest value.

    ``categorical`` (text, categories, booleans): ``most_frequent`` of the fitted rows, or
    ``constant`` (``fill_text``). ``add_indicator`` adds a 0/1 ``<column>__missing`` column for
    every column that had gaps in the fitted rows. ``columns`` limits the work to those columns.
    A column with no value at all in the fitted rows is filled with ``fill_value`` /
    ``fill_text``.
    """

    def __init__(
        self,
        numeric: str = "mean",
        categorical: str = "most_frequent",
        fill_value: float = 0.0,
        fill_text: str = "missing",
        order: int = 2,
        add_indicator: bool = False,
        columns: Sequence[str] = (),
    ):
        self.numeric = numeric
        self.categorical = categorical
        self.fill_value = fill_value
        self.fill_text = fill_text
        self.order = order
        self.add_indicator = add_indicator
        self.columns = columns

    def fit(self, X, y=None):
        X = self._start_fit(X)
        if self.numeric not in NUMERIC_METHODS:
            raise ValueError(f"unknown numeric imputation {self.numeric!r} ({NUMERIC_METHODS})")
        if self.categorical not in ("most_frequent", "constant"):
            raise ValueError(f"unknown categorical imputation {self.categorical!r}")
        chosen = set(self._chosen(X, self.columns, list(X.columns)))
        self.fill_ = {}
        for c in numeric_columns(X):
            if c not in chosen:
                continue
            arr = float_values(X[c])
            gaps = np.isnan(arr)
            finite = arr[~gaps] if gaps.any() else arr
            method = self.numeric
            if not len(finite) or method == "constant":
                v = self.fill_value
            elif method == "mean":
                v = float(finite.mean())
            elif method == "most_frequent":
                v = float(_mode(pd.Series(finite)))
            else:  # median, and the fallback of the ordered methods
                v = float(np.median(finite))
            self.fill_[c] = v
        for c in categorical_columns(X):
            if c not in chosen:
                continue
            v = _mode(X[c]) if self.categorical == "most_frequent" else None
            self.fill_[c] = self.fill_text if v is None else v
        self.indicators_ = (
            [c for c in self.fill_ if X[c].isna().any()] if self.add_indicator else []
        )
        return self

    def _names_out(self, rename: dict[str, str]) -> list[str]:
        return [rename[c] for c in self.columns_in_] + [
            f"{rename[c]}__missing" for c in self.indicators_
        ]

    def _fill_numeric(self, arr: np.ndarray, mask: np.ndarray, fallback: float) -> np.ndarray:
        method = self.numeric
        if method in ORDERED_METHODS:
            s = pd.Series(arr)
            if method == "ffill":
                s = s.ffill()
            elif method == "bfill":
                s = s.bfill()
            elif method == "polynomial" and (~mask).sum() > self.order:
                s = s.interpolate(method="polynomial", order=self.order, limit_area="inside")
                s = s.ffill().bfill()
            else:  # linear, or too few points for the polynomial
                s = s.interpolate(method="linear", limit_direction="both")
            out = s.to_numpy(dtype=arr.dtype, copy=True)
            rest = np.isnan(out)
            if rest.any():
                out[rest] = fallback
            return out
        out = arr.copy()
        out[mask] = fallback
        return out

    def transform(self, X):
        X = self._start_transform(X)
        changed: dict[str, object] = {}
        for c, v in self.fill_.items():
            col = X[c]
            if isinstance(v, float) and not isinstance(col.dtype, pd.CategoricalDtype):
                if not pd.api.types.is_numeric_dtype(col):
                    raise ValueError(
                        f"impute: column {c!r} held numbers at fit and holds {col.dtype} now"
                    )
                arr = float_values(col)
                mask = np.isnan(arr)
                if mask.any():
                    changed[c] = self._fill_numeric(arr, mask, v)
            elif col.isna().any():
                if isinstance(col.dtype, pd.CategoricalDtype) and v not in col.cat.categories:
                    col = col.cat.add_categories([v])
                elif pd.api.types.is_bool_dtype(col) and not isinstance(v, (bool, np.bool_)):
                    col = col.astype(object)
                changed[c] = col.fillna(v)
        if not changed and not self.indicators_:
            return X
        indicators = {
            f"{c}__missing": X[c].isna().to_numpy().astype(np.float32) for c in self.indicators_
        }
        return rebuild_frame(X, replaced=changed, appended=indicators)
