"""Shared base of the cleaning transformers: DataFrame in, DataFrame out, fitted state in ``_``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["FrameTransformer", "as_frame", "frame_from_columns", "float_values"]


def as_frame(X) -> pd.DataFrame:
    """``X`` as a DataFrame with string column names (numpy input gets ``"0"``, ``"1"``...)."""
    if isinstance(X, pd.DataFrame):
        return X
    X = pd.DataFrame(X)
    X.columns = [str(c) for c in X.columns]
    return X


def float_values(col: pd.Series) -> np.ndarray:
    """The column as a float numpy array, NaN for missing, without a copy when already float."""
    arr = col.to_numpy()
    if arr.dtype.kind == "f":
        return arr
    return col.to_numpy(dtype=np.float64, na_value=np.nan)


def frame_from_columns(
    columns: dict[str, np.ndarray | pd.Series], index: pd.Index
) -> pd.DataFrame:
    """A DataFrame from 1-D arrays without consolidating them (consolidation copies everything)."""
    if not columns:
        return pd.DataFrame(index=index)
    return pd.DataFrame(columns, index=index, copy=False)


class FrameTransformer(TransformerMixin, BaseEstimator):
    """Base: remembers the input columns so predict-time frames are checked against them.

    Subclasses implement ``fit`` (set ``columns_in_`` with :meth:`_start_fit`) and ``transform``
    (call :meth:`_start_transform` first). Hyperparameters are stored as given in ``__init__``
    (scikit-learn's rule: no logic there), so ``clone`` and ``get_params`` work.
    """

    def _start_fit(self, X) -> pd.DataFrame:
        X = as_frame(X)
        self.columns_in_ = list(X.columns)
        return X

    def _start_transform(self, X) -> pd.DataFrame:
        X = as_frame(X)
        missing = [c for c in self.columns_in_ if c not in X.columns]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: columns missing at transform (they were there at fit): "
                f"{missing}"
            )
        return X

    @staticmethod
    def _chosen(X: pd.DataFrame, columns: Sequence[str], default: list[str]) -> list[str]:
        """The named ``columns`` (all must exist) or, when none are named, ``default``."""
        if not columns:
            return default
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise ValueError(f"columns {missing} are not in the table (columns: {list(X.columns)})")
        return list(columns)
