"""Text and categories to numbers: one-hot and ordinal encoding, safe on unseen categories."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import FrameTransformer, rebuild_frame
from .columns import categorical_columns

__all__ = ["OneHotEncoder", "OrdinalEncoder", "OTHER"]

#: the column suffix that collects rare (and, when present, unseen) categories
OTHER = "__other__"


def _lookup(col: pd.Series, positions: dict, default: int) -> np.ndarray:
    """Position of each value in ``positions`` (``default`` when unseen, -1 when missing).

    Factorizes once (hashing in C), then maps the few distinct values through a dict, instead
    of a Python-level lookup per row.
    """
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    lut = np.array([positions.get(u, default) for u in uniques] + [-1], dtype=np.int64)
    return lut[codes]  # code -1 (missing) picks the trailing -1


class OneHotEncoder(FrameTransformer):
    """One 0/1 column per category of each text/categorical/boolean column.

    Categories seen in the fitted rows in at least ``min_frequency`` of them (a share, 0 keeps
    all) and among the ``max_categories`` most frequent get a column ``<column>=<value>``; the
    others are grouped into ``<column>=__other__``. At predict time an unseen category goes to
    ``__other__`` when that column exists and is all zeros otherwise: never an error. A missing
    value is all zeros (impute first to give it a category). ``drop_first`` drops the first kept
    category's column (sorted by text), for linear models without regularisation. ``columns``
    limits the encoding to those columns. Output columns are appended after the others, as
    uint8 0/1: a quarter of float32's memory (on a million rows with 60 indicator columns the
    difference is ~180 MB), and models read them as floats together with the other columns.
    """

    def __init__(
        self,
        drop_first: bool = False,
        max_categories: int = 50,
        min_frequency: float = 0.0,
        columns: Sequence[str] = (),
    ):
        self.drop_first = drop_first
        self.max_categories = max_categories
        self.min_frequency = min_frequency
        self.columns = columns

    def fit(self, X, y=None):
        X = self._start_fit(X)
        cols = self._chosen(X, self.columns, categorical_columns(X))
        n = max(len(X), 1)
        self.categories_: dict[str, list] = {}
        self.other_: dict[str, bool] = {}
        #: the category whose column drop_first removed (it encodes as all zeros)
        self.dropped_: dict[str, object] = {}
        for c in cols:
            counts = X[c].value_counts(dropna=True, sort=True)
            counts = counts[counts > 0]  # a Categorical lists its unused categories too
            kept = counts[counts / n >= self.min_frequency].index[: self.max_categories]
            kept = sorted(kept, key=str)
            self.other_[c] = len(kept) < len(counts)
            if self.drop_first and kept:
                self.dropped_[c] = kept[0]
                kept = kept[1:]
            self.categories_[c] = kept
        self.feature_names_ = [f"{c}={v}" for c, cats in self.categories_.items() for v in cats] + [
            f"{c}={OTHER}" for c, other in self.other_.items() if other
        ]
        return self

    def _names_out(self, rename: dict[str, str]) -> list[str]:
        kept = [rename[c] for c in self.columns_in_ if c not in self.categories_]
        encoded = [f"{rename[c]}={v}" for c, cats in self.categories_.items() for v in cats]
        other = [f"{rename[c]}={OTHER}" for c, other in self.other_.items() if other]
        return kept + encoded + other  # the order of feature_names_ (see fit)

    def transform(self, X):
        X = self._start_transform(X)
        if not self.categories_:
            return X
        n = len(X)
        # one uint8 block, column-major so each output column is contiguous: no copy later
        block = np.zeros((n, len(self.feature_names_)), dtype=np.uint8, order="F")
        start = 0
        other_at = start + sum(len(v) for v in self.categories_.values())
        hit = np.empty(n, dtype=bool)
        for c, cats in self.categories_.items():
            positions = {v: start + i for i, v in enumerate(cats)}
            if c in self.dropped_:
                positions[self.dropped_[c]] = -1  # known, encoded as all zeros
            default = -1
            if self.other_[c]:
                default = other_at
                other_at += 1
            pos = _lookup(X[c], positions, default)
            # one sequential pass per output column beats a scattered fancy assignment
            targets = range(start, start + len(cats))
            for j in [*targets, default] if default >= 0 else targets:
                np.equal(pos, j, out=hit)
                block[:, j] = hit
            start += len(cats)
        encoded = pd.DataFrame(block, index=X.index, columns=self.feature_names_, copy=False)
        rest = X.drop(columns=list(self.categories_))
        return pd.concat([rest, encoded], axis=1)


class OrdinalEncoder(FrameTransformer):
    """Each category becomes an integer code (as float32), in place of the text column.

    Codes follow ``order``: ``lexical`` (sorted as text) or ``frequency`` (most frequent first,
    in the fitted rows). Unseen categories at predict time and missing values get the reserved
    code ``unknown_value`` (default -1): never an error. ``columns`` limits the encoding.
    """

    def __init__(
        self, columns: Sequence[str] = (), order: str = "lexical", unknown_value: int = -1
    ):
        self.columns = columns
        self.order = order
        self.unknown_value = unknown_value

    def fit(self, X, y=None):
        X = self._start_fit(X)
        if self.order not in ("lexical", "frequency"):
            raise ValueError(f"unknown ordinal order {self.order!r} (lexical, frequency)")
        cols = self._chosen(X, self.columns, categorical_columns(X))
        self.categories_ = {}
        for c in cols:
            counts = X[c].value_counts(dropna=True, sort=True)
            cats = list(counts[counts > 0].index)
            self.categories_[c] = sorted(cats, key=str) if self.order == "lexical" else cats
        return self

    def transform(self, X):
        X = self._start_transform(X)
        if not self.categories_:
            return X
        encoded = {}
        for c, cats in self.categories_.items():
            pos = _lookup(X[c], {v: i for i, v in enumerate(cats)}, -1)
            codes = pos.astype(np.float32)
            codes[pos < 0] = self.unknown_value
            encoded[c] = codes
        return rebuild_frame(X, replaced=encoded)
