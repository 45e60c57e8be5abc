"""Dropping rows (duplicates, once, before the split) and columns (named or detected at fit)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import FrameTransformer
from .columns import is_constant, is_id_like

__all__ = ["DropDuplicates", "DropColumns"]


class DropDuplicates:
    """Dataset-stage cleaner: drop duplicated rows once, on the whole table, before the split.

    A row is a duplicate when its features (``subset`` of them, if given) and its target equal
    an earlier row's (``keep="first"``) or a later one's (``keep="last"``). Done before the split
    because a row present in both a training and a validation fold inflates the score.
    ``apply`` returns ``(X, y, {"duplicates_dropped": n})``.
    """

    def __init__(self, keep: str = "first", subset: Sequence[str] = ()):
        self.keep = keep
        self.subset = subset

    def apply(self, X: pd.DataFrame, y: pd.Series):
        cols = list(self.subset) or list(X.columns)
        missing = [c for c in cols if c not in X.columns]
        if missing:
            raise ValueError(f"drop_duplicates: subset columns {missing} are not in the table")
        both = X[cols].assign(__target__=np.asarray(y))
        # Hash each row once (vectorised), then compare exactly only the rows whose hash repeats:
        # equal rows have equal hashes, so no duplicate is missed, and no collision can drop a
        # row. About 4x faster than DataFrame.duplicated on a million mixed rows.
        hashes = pd.util.hash_pandas_object(both, index=False).to_numpy()
        candidates = pd.Series(hashes).duplicated(keep=False).to_numpy()
        keep = np.ones(len(X), dtype=bool)
        if candidates.any():
            keep[candidates] = ~both[candidates].duplicated(keep=self.keep).to_numpy()
        dropped = int((~keep).sum())
        if dropped == 0:
            return X, y, {"duplicates_dropped": 0}
        return X[keep], y[keep], {"duplicates_dropped": dropped}


class DropColumns(FrameTransformer):
    """Drop named columns, and columns detected on the fitted rows as useless.

    - ``columns``: always dropped (an error at fit if one is not in the table: a typo is loud).
    - ``drop_ids``: id-like columns (one distinct value per row: text, or integers named like an
      id or forming a row number; see :func:`~automl_core.data.cleaning.columns.is_id_like`).
    - ``drop_constant``: a single value and no gap.
    - ``max_missing``: columns whose share of missing values is at least this (1.0: only columns
      entirely empty in the fitted rows).

    What was dropped and why is in ``dropped_`` (column -> reason) after fit.
    """

    def __init__(
        self,
        columns: Sequence[str] = (),
        drop_ids: bool = True,
        drop_constant: bool = True,
        max_missing: float = 1.0,
        id_unique_ratio: float = 0.95,
    ):
        self.columns = columns
        self.drop_ids = drop_ids
        self.drop_constant = drop_constant
        self.max_missing = max_missing
        self.id_unique_ratio = id_unique_ratio

    def fit(self, X, y=None):
        X = self._start_fit(X)
        self._chosen(X, self.columns, [])  # raises on an unknown name
        dropped: dict[str, str] = {c: "named" for c in self.columns}
        n = max(len(X), 1)
        for c in X.columns:
            if c in dropped:
                continue
            col = X[c]
            missing = int(col.isna().sum())
            if missing == len(X) or missing / n >= self.max_missing:
                dropped[c] = "empty" if missing == len(X) else f"{missing / n:.0%} missing"
            elif self.drop_constant and missing == 0 and is_constant(col):
                dropped[c] = "constant"
            elif self.drop_ids and is_id_like(col, str(c), self.id_unique_ratio):
                dropped[c] = "id-like"
        self.dropped_ = dropped
        return self

    def _names_out(self, rename: dict[str, str]) -> list[str]:
        return [rename[c] for c in self.columns_in_ if c not in self.dropped_]

    def transform(self, X):
        X = self._start_transform(X)
        if not self.dropped_:
            return X
        return X.drop(columns=[c for c in self.dropped_ if c in X.columns])
