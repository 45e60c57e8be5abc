"""Shared base of the cleaning transformers: DataFrame in, DataFrame out, fitted state in ``_``.

They follow scikit-learn's estimator rules (``n_features_in_``, ``feature_names_in_``,
``get_feature_names_out``, so ``set_output`` works; array input checked as scikit-learn's own
estimators check it) and pass its ``check_estimator`` suite, less the checks listed with their
reason in ``tests/test_sklearn_checks.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = ["FrameTransformer", "as_frame", "rebuild_frame", "float_values"]


def as_frame(X, who: str = "this transformer") -> pd.DataFrame:
    """``X`` as a DataFrame with string column names (array input gets ``"0"``, ``"1"``...).

    A DataFrame passes as it is (no copy). Anything else goes through scikit-learn's
    ``check_array``, so it gets scikit-learn's messages: 2-d only ("Reshape your data"), no
    complex numbers, at least one row and one column. Sparse input is refused (the cleaners work
    column by column on dense data). In an object array, columns whose values are all numbers
    become numbers (scikit-learn's rule: "treat dtype object as numeric if possible"); text
    stays text.
    """
    if isinstance(X, pd.DataFrame):
        return X
    if isinstance(X, pd.Series):
        return X.to_frame(name=str(X.name) if X.name is not None else "0")
    if sparse.issparse(X):
        raise TypeError(
            f"{who}: sparse input is not supported (the cleaners work on dense columns); "
            "pass X.toarray() or a DataFrame"
        )
    arr = check_array(X, dtype=None, ensure_all_finite=False)
    frame = pd.DataFrame(arr, columns=[str(i) for i in range(arr.shape[1])], copy=False)
    return frame.infer_objects() if arr.dtype == object else frame


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

    Subclasses implement ``fit`` (start with :meth:`_start_fit`) and ``transform`` (start with
    :meth:`_start_transform`), and :meth:`_names_out` when they add, drop or rename columns.
    Hyperparameters are stored as given in ``__init__`` (scikit-learn's rule: no logic there),
    so ``clone`` and ``get_params`` work.

    After fit: ``columns_in_`` (the fitted columns, as text), ``n_features_in_`` and, when
    fitted on a DataFrame with text column names, ``feature_names_in_``. At transform a
    DataFrame is matched by column name: a missing column is an error naming it, extra columns
    are left out, columns in another order are put back in the fitted order; an array must have
    the fitted number of columns (taken in the fitted order).
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # true of every cleaner: gaps are kept or filled, never an error; text columns are
        # taken (encoded, passed through or dropped)
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _start_fit(self, X) -> pd.DataFrame:
        named = isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns)
        X = as_frame(X, type(self).__name__)
        if not all(isinstance(c, str) for c in X.columns):
            X = X.set_axis([str(c) for c in X.columns], axis=1)
        self.columns_in_ = list(X.columns)
        self.n_features_in_ = len(self.columns_in_)
        if named:
            self.feature_names_in_ = np.asarray(self.columns_in_, dtype=object)
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_  # refitted on an array: the old names no longer hold
        return X

    def _start_transform(self, X) -> pd.DataFrame:
        check_is_fitted(self, "columns_in_")
        name = type(self).__name__
        if not isinstance(X, pd.DataFrame):
            X = as_frame(X, name)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {name} is expecting "
                    f"{self.n_features_in_} features as input"
                )
            return X.set_axis(self.columns_in_, axis=1)
        if not all(isinstance(c, str) for c in X.columns):
            X = X.set_axis([str(c) for c in X.columns], axis=1)
        if list(X.columns) == self.columns_in_:
            return X  # the usual case inside a pipeline: no selection, no copy
        missing = [c for c in self.columns_in_ if c not in X.columns]
        if missing:
            raise ValueError(
                f"{name}: columns missing at transform (they were there at fit): {missing}"
            )
        return X[self.columns_in_]

    def _names_out(self, rename: dict[str, str]) -> list[str]:
        """The output column names, given a name for each fitted column (``rename``).

        Default: the fitted columns, unchanged. Override when the output differs.
        """
        return [rename[c] for c in self.columns_in_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the columns ``transform`` returns (scikit-learn's API; used by
        ``set_output``).

        ``input_features``: names for the fitted columns (default: their own names); when the
        transformer was fitted on a DataFrame they must be those names.
        """
        check_is_fitted(self, "columns_in_")
        names = list(self.columns_in_)
        if input_features is not None:
            given = [str(c) for c in input_features]
            if len(given) != self.n_features_in_:
                raise ValueError(
                    f"input_features should have length equal to number of features "
                    f"({self.n_features_in_}), got {len(given)}"
                )
            if hasattr(self, "feature_names_in_") and given != names:
                raise ValueError("input_features is not equal to feature_names_in_")
            names = given
        out = self._names_out(dict(zip(self.columns_in_, names)))
        return np.asarray(out, dtype=object)

    @staticmethod
    def _chosen(X: pd.DataFrame, columns: Sequence[str], default: list[str]) -> list[str]:
        """The named ``columns`` (all must exist) or, when none are named, ``default``."""
        if not columns:
            return default
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise ValueError(f"columns {missing} are not in the table (columns: {list(X.columns)})")
        return list(columns)
