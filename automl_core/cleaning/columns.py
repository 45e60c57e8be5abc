"""Column-type helpers shared by the cleaners."""

from __future__ import annotations

import pandas as pd
from pandas.api import types as pdt

__all__ = ["numeric_columns", "categorical_columns"]


def numeric_columns(X: pd.DataFrame) -> list[str]:
    """Columns holding numbers (booleans excluded: they are categories)."""
    return [
        c for c in X.columns if pdt.is_numeric_dtype(X[c]) and not pdt.is_bool_dtype(X[c])
    ]


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """Columns holding text, categories or booleans."""
    return [
        c
        for c in X.columns
        if pdt.is_object_dtype(X[c])
        or pdt.is_string_dtype(X[c])
        or isinstance(X[c].dtype, pd.CategoricalDtype)
        or pdt.is_bool_dtype(X[c])
    ]
