"""Checks on the user's table before anything runs: clear messages, never a deep stack trace."""

from __future__ import annotations

import pandas as pd
from pandas.api import types as pdt

__all__ = ["DataError", "validate_table", "infer_task"]


class DataError(ValueError):
    """The table cannot be used as given; the message names the column and what is wrong."""


def infer_task(y: pd.Series) -> str:
    """classification for text/bool/category targets or few distinct integers; else regression."""
    if not pdt.is_numeric_dtype(y) or pdt.is_bool_dtype(y):
        return "classification"
    uniq = y.nunique(dropna=True)
    if pdt.is_integer_dtype(y) and uniq <= max(20, int(0.05 * len(y)) if len(y) < 400 else 20):
        return "classification"
    if pdt.is_float_dtype(y) and uniq <= 20 and (y.dropna() % 1 == 0).all():
        return "classification"
    return "regression"


def validate_table(df: pd.DataFrame, target: str, task: str | None):
    """Split ``df`` into features and target after checking it.

    Returns ``(X, y, task, info)``; ``info`` counts what was dropped (rows with no target).
    Raises :class:`DataError` for an empty table, a missing target column, a target with one
    class, a target with no value at all.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty or len(df.columns) == 0:
        raise DataError("the table is empty (no rows or no columns)")
    if target not in df.columns:
        raise DataError(f"target column {target!r} is not in the table (columns: {list(df.columns)})")
    y = df[target]
    keep = y.notna().to_numpy()
    dropped = int((~keep).sum())
    if not keep.any():
        raise DataError(f"target column {target!r} has no values")
    X = df.drop(columns=[target])[keep]
    y = y[keep]
    if X.shape[1] == 0:
        raise DataError(f"the table has no feature columns besides the target {target!r}")
    task = task or infer_task(y)
    if task == "classification" and y.nunique() < 2:
        raise DataError(f"target column {target!r} has a single class ({y.iloc[0]!r}); nothing to learn")
    if task == "regression" and not pdt.is_numeric_dtype(y):
        raise DataError(f"target column {target!r} is not numeric; a regression needs numbers")
    return X, y, task, {"rows_without_target_dropped": dropped}
