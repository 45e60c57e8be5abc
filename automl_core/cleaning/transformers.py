"""The core cleaning transformers (the catalogue grows in sibling modules)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from .columns import categorical_columns, numeric_columns

__all__ = ["DropDuplicates", "Imputer", "OneHotEncoder", "StandardScaler", "NumericGuard"]


class _FrameTransformer(TransformerMixin, BaseEstimator):
    """Base: remembers the input columns so predict-time frames are checked against them."""

    def _check_frame(self, X) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(X)
            X.columns = [str(c) for c in X.columns]
        return X

    def _check_columns(self, X: pd.DataFrame) -> None:
        missing = [c for c in self.columns_in_ if c not in X.columns]
        if missing:
            raise ValueError(f"{type(self).__name__}: columns missing at transform: {missing}")


class DropDuplicates:
    """Dataset-stage cleaner: drop fully duplicated rows (features and target) before the split."""

    def __init__(self, keep: str = "first"):
        self.keep = keep

    def apply(self, X: pd.DataFrame, y: pd.Series):
        both = X.assign(__target__=y.to_numpy())
        keep = ~both.duplicated(keep=self.keep)
        dropped = int((~keep).sum())
        return X[keep.to_numpy()], y[keep.to_numpy()], {"duplicates_dropped": dropped}


class Imputer(_FrameTransformer):
    """Fill gaps: numbers by mean/median/most_frequent/constant, categories by mode/constant."""

    def __init__(self, numeric="mean", categorical="most_frequent", fill_value=0.0):
        self.numeric = numeric
        self.categorical = categorical
        self.fill_value = fill_value

    def fit(self, X, y=None):
        X = self._check_frame(X)
        self.columns_in_ = list(X.columns)
        self.fill_ = {}
        for c in numeric_columns(X):
            col = X[c]
            if self.numeric == "mean":
                v = col.mean()
            elif self.numeric == "median":
                v = col.median()
            elif self.numeric == "most_frequent":
                m = col.mode(dropna=True)
                v = m.iloc[0] if len(m) else np.nan
            elif self.numeric == "constant":
                v = self.fill_value
            else:
                raise ValueError(f"unknown numeric imputation {self.numeric!r}")
            # a column with no value at all in these rows: fall back to 0 rather than keep NaN
            self.fill_[c] = 0.0 if pd.isna(v) else v
        for c in categorical_columns(X):
            if self.categorical == "most_frequent":
                m = X[c].mode(dropna=True)
                v = m.iloc[0] if len(m) else "missing"
            else:
                v = "missing"
            self.fill_[c] = v
        return self

    def transform(self, X):
        X = self._check_frame(X)
        self._check_columns(X)
        fills = {c: v for c, v in self.fill_.items() if X[c].isna().any()}
        return X.fillna(fills) if fills else X


class OneHotEncoder(_FrameTransformer):
    """One column per category of each text/categorical column; unseen categories encode as 0s."""

    def __init__(self, drop_first: bool = False, max_categories: int = 50):
        self.drop_first = drop_first
        self.max_categories = max_categories

    def fit(self, X, y=None):
        X = self._check_frame(X)
        self.columns_in_ = list(X.columns)
        self.categories_ = {}
        for c in categorical_columns(X):
            counts = X[c].astype("string").value_counts(dropna=True)
            cats = list(counts.index[: self.max_categories])
            cats.sort()
            if self.drop_first and cats:
                cats = cats[1:]
            self.categories_[c] = cats
        return self

    def transform(self, X):
        X = self._check_frame(X)
        self._check_columns(X)
        if not self.categories_:
            return X
        parts = [X.drop(columns=list(self.categories_))]
        for c, cats in self.categories_.items():
            codes = pd.Categorical(X[c].astype("string"), categories=cats).codes
            onehot = np.zeros((len(X), len(cats)), dtype=np.float32)
            rows = np.flatnonzero(codes >= 0)
            onehot[rows, codes[rows]] = 1.0
            parts.append(
                pd.DataFrame(onehot, columns=[f"{c}={v}" for v in cats], index=X.index)
            )
        return pd.concat(parts, axis=1)


class StandardScaler(_FrameTransformer):
    """z-score the numeric columns with the mean and std of the fitted rows."""

    def fit(self, X, y=None):
        X = self._check_frame(X)
        self.columns_in_ = list(X.columns)
        num = numeric_columns(X)
        self.mean_ = X[num].mean()
        std = X[num].std(ddof=0)
        self.scale_ = std.where(std > 0, 1.0).fillna(1.0)
        self.mean_ = self.mean_.fillna(0.0)
        return self

    def transform(self, X):
        X = self._check_frame(X)
        self._check_columns(X)
        cols = list(self.mean_.index)
        if not cols:
            return X
        out = X.copy()
        out[cols] = (X[cols] - self.mean_) / self.scale_
        return out


class NumericGuard(_FrameTransformer):
    """Last step before the model: every column must be numeric and finite-or-NaN-free.

    Turns the errors estimators raise deep inside (``could not convert string to float``) into
    one that names the column and the cleaner that fixes it.
    """

    def fit(self, X, y=None):
        X = self._check_frame(X)
        self.columns_in_ = list(X.columns)
        self._check(X)
        return self

    def transform(self, X):
        X = self._check_frame(X)
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
        num = X.to_numpy(dtype=float, na_value=np.nan) if len(X.columns) else np.empty((0, 0))
        if np.isnan(num).any():
            bad = [c for c in X.columns if X[c].isna().any()]
            raise ValueError(f"columns {bad} still have missing values; add an impute cleaner")
