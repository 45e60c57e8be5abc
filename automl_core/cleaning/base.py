"""Shared base of the cleaning transformers: DataFrame in, DataFrame out, fitted state in ``_``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

__all__ = ["FrameTransformer", "as_frame", "rebuild_frame", "float_values"]


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


def rebuild_frame(
    X: pd.DataFrame,
    replaced: dict[str, np.ndarray | pd.Series] | None = None,
    appended: dict[str, np.ndarray | pd.Series] | None = None,
    dropped: Sequence[str] = (),
) -> pd.DataFrame:
    """``X`` with some columns replaced (in place), some appended, some dropped; nothing copied.

    ``df[c] = array`` copies the array (pandas protects itself from later writes to it), and
    consolidating blocks copies whole tables; on a million rows those copies dominate a
    cleaner's time and peak memory. Here the kept columns are shared with ``X`` and the new
    arrays are used as they are (they are fresh arrays the cleaner made and nobody else holds).
    """
    replaced = replaced or {}
    drop = set(dropped)
    columns: dict[str, object] = {}
    for c in X.columns:
        if c not in drop:
            columns[c] = replaced[c] if c in replaced else X[c]
    columns.update(appended or {})
    if not columns:
        return pd.DataFrame(index=X.index)
    return pd.DataFrame(columns, index=X.index, copy=False)


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
