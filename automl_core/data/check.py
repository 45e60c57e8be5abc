"""Checks on the user's table before anything runs: clear messages, never a deep stack trace.

What each problem gets (the choices where a problem could go either way are marked *):

- empty table, no feature columns, missing target column, target with no value or one class,
  duplicated column names, regression target that is not numeric or not finite: :class:`DataError`.
- rows with no target: dropped, counted in ``info["rows_without_target_dropped"]``.
- text in a numeric-looking column (90% or more of its values are numbers): :class:`DataError`
  naming the column, an offending value and its row. Common gap markers (``""``, ``NA``,
  ``n/a``, ``null``, ``none``, ``?``, ``-``...) are not offending: they become gaps, counted in
  ``info["gap_markers_as_missing"]``, and the column becomes numeric.
- * infinities in a feature: turned into gaps (imputed later like any gap), counted per column
  in ``info["infinities_as_missing"]``. An overflowed value is a missing measurement, and one
  such cell should not stop a whole experiment.
- * a column entirely empty: dropped, listed in ``info["empty_columns_dropped"]``; it holds no
  information, and failing would punish a harmless export artefact.
- a category at predict time never seen in training: not a table problem; ``one_hot`` and
  ``ordinal`` encode it safely (see :mod:`automl_core.data.cleaning.encode`).
- non-string column names: turned into strings (``info["columns_renamed_to_text"]``).

Reading a file (:func:`automl_core.data.read.read_table`) fails the same way, naming the file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

__all__ = [
    "DataError",
    "check_table_shape",
    "validate_table",
    "validate_features",
    "infer_task",
    "GAP_MARKERS",
]

#: text that means "no value" in exported tables (compared lower-cased, stripped)
GAP_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "-", "--", "missing", "#n/a"})
#: the share of number-like values that makes a text column "numeric-looking"
NUMERIC_LOOKING = 0.9


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


def _text_values(col: pd.Series) -> bool:
    return (pdt.is_object_dtype(col) or pdt.is_string_dtype(col)) and not isinstance(
        col.dtype, pd.CategoricalDtype
    )


def _as_numbers(col: pd.Series, name: str, info: dict[str, Any]) -> pd.Series | None:
    """``col`` as floats if it is numeric-looking text; None if it is ordinary text.

    Raises :class:`DataError` naming an offending value when a numeric-looking column also holds
    text that is not a gap marker.
    """
    values = col.dropna()
    if len(values) == 0:
        return None
    if not all(isinstance(v, (str, int, float, np.number)) for v in values.iloc[:50]):
        return None  # lists, dicts, dates...: not ours to judge
    sample = values.iloc[:2000].astype(str).str.strip()
    sample = sample[~sample.str.lower().isin(GAP_MARKERS)]
    if len(sample) == 0:
        return None
    share = pd.to_numeric(sample, errors="coerce").notna().mean()
    if share < NUMERIC_LOOKING:
        return None
    text = col.astype("string").str.strip()
    markers = text.str.lower().isin(GAP_MARKERS).fillna(False).to_numpy(dtype=bool)
    numbers = pd.to_numeric(text.mask(markers), errors="coerce")
    bad = numbers.isna().to_numpy() & text.notna().to_numpy() & ~markers
    if bad.any():
        where = np.flatnonzero(bad)
        row = col.index[where[0]]
        raise DataError(
            f"column {name!r} looks numeric ({share:.0%} of its values are numbers) but holds "
            f"text: {col.iloc[where[0]]!r} at row {row!r} ({len(where)} such value"
            f"{'s' if len(where) > 1 else ''}); fix or remove those values, or make the whole "
            "column text"
        )
    if markers.any():
        info.setdefault("gap_markers_as_missing", {})[name] = int(markers.sum())
    return numbers.astype(np.float64)


def _clean_features(X: pd.DataFrame, info: dict[str, Any]) -> pd.DataFrame:
    empty = [c for c in X.columns if X[c].isna().all()]
    if empty:
        info["empty_columns_dropped"] = list(empty)
        X = X.drop(columns=empty)
    changed: dict[str, pd.Series] = {}
    for c in X.columns:
        col = X[c]
        if _text_values(col):
            numbers = _as_numbers(col, c, info)
            if numbers is not None:
                changed[c] = numbers
                col = numbers
        if pdt.is_float_dtype(col):
            arr = col.to_numpy()
            inf = np.isinf(arr)
            if inf.any():
                info.setdefault("infinities_as_missing", {})[c] = int(inf.sum())
                changed[c] = pd.Series(np.where(inf, np.nan, arr), index=X.index, name=c)
    if changed:
        X = X.copy(deep=False)
        for c, values in changed.items():
            X[c] = values
    return X


def check_table_shape(df: pd.DataFrame, target: str) -> tuple[pd.DataFrame, bool]:
    """The checks that read no values: a DataFrame, not empty, column names each used once,
    ``target`` among them. ``ac.run`` makes them before it starts Ray (a typo in the target's
    name is then an error in about a second). Returns the table with its column names as text,
    and whether any was not text."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if df.empty or len(df.columns) == 0:
        raise DataError("the table is empty (no rows or no columns)")
    renamed = not all(isinstance(c, str) for c in df.columns)
    if renamed:
        df = df.set_axis([str(c) for c in df.columns], axis=1)
    dup = df.columns[df.columns.duplicated()].unique().tolist()
    if dup:
        raise DataError(f"column names appear more than once: {dup}; rename them")
    if target not in df.columns:
        raise DataError(
            f"target column {target!r} is not in the table (columns: {list(df.columns)})"
        )
    return df, renamed


def validate_table(df: pd.DataFrame, target: str, task: str | None = None):
    """Split ``df`` into features and target after checking it.

    Returns ``(X, y, task, info)``; ``info`` (JSON-ready) says what was changed or dropped: rows
    without target, empty columns, gap markers and infinities turned into gaps. Raises
    :class:`DataError` for the problems listed in the module docstring.
    """
    info: dict[str, Any] = {}
    df, renamed = check_table_shape(df, target)
    if renamed:
        info["columns_renamed_to_text"] = True
    y = df[target]
    keep = y.notna().to_numpy()
    dropped = int((~keep).sum())
    if not keep.any():
        raise DataError(f"target column {target!r} has no values")
    X = df.drop(columns=[target])
    if dropped:
        X, y = X[keep], y[keep]
    info["rows_without_target_dropped"] = dropped
    if X.shape[1] == 0:
        raise DataError(f"the table has no feature columns besides the target {target!r}")
    X = _clean_features(X, info)
    if X.shape[1] == 0:
        raise DataError(
            f"every feature column is empty ({info.get('empty_columns_dropped')}); nothing to learn"
        )
    task = task or infer_task(y)
    if task == "classification" and y.nunique() < 2:
        raise DataError(
            f"target column {target!r} has a single class ({y.iloc[0]!r}); nothing to learn"
        )
    if task == "regression":
        if not pdt.is_numeric_dtype(y) or pdt.is_bool_dtype(y):
            raise DataError(f"target column {target!r} is not numeric; a regression needs numbers")
        bad = ~np.isfinite(y.to_numpy(dtype=np.float64))
        if bad.any():
            raise DataError(
                f"target column {target!r} holds infinite values ({int(bad.sum())} rows, first "
                f"at row {y.index[np.flatnonzero(bad)[0]]!r}); a regression target must be finite"
            )
    return X, y, task, info


def validate_features(
    df: pd.DataFrame, columns: list[str], numeric: list[str] | None = None
) -> pd.DataFrame:
    """Check a predict-time table against the training ``columns``; apply the same fixes.

    Returns the ``columns`` of ``df``, in the training order (a table with its columns in
    another order is matched by name). Missing columns are a :class:`DataError` naming them
    (and naming the extra columns, which may be the same columns renamed); extra columns are
    left out. Infinities become gaps, as :func:`validate_table` does to the training table
    (the fitted pipeline then imputes them like any gap). Gap markers and text in a
    numeric-looking column are handled as in :func:`validate_table`.

    ``numeric``: the training columns that held numbers (the fitted pipeline records them).
    When given, only those columns are read as numbers (a text column whose values happen to
    look numeric here stays text), and one of them holding text that is not a number is a
    :class:`DataError` naming the column, the value and its row.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    if not all(isinstance(c, str) for c in df.columns):
        df = df.set_axis([str(c) for c in df.columns], axis=1)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        extra = [c for c in df.columns if c not in set(columns)]
        hint = f" (columns not seen in training: {extra})" if extra else ""
        raise DataError(f"columns {missing} were in the training table and are missing here{hint}")
    dup = sorted({c for c in df.columns[df.columns.duplicated()] if c in set(columns)})
    if dup:
        raise DataError(f"column names appear more than once: {dup}; rename them")
    X = df if list(df.columns) == list(columns) else df[list(columns)]
    info: dict[str, Any] = {}
    changed = {}
    as_numbers = set(columns) if numeric is None else set(numeric)
    # numpy float columns are checked for infinities a block at a time (one vectorised pass,
    # the copy bounded): per column, on a wide table, the checks cost more than the prediction
    floats = [i for i, dt in enumerate(X.dtypes) if isinstance(dt, np.dtype) and dt.kind == "f"]
    step = max(1, (1 << 22) // max(1, len(X)))
    for start in range(0, len(floats), step):
        positions = floats[start : start + step]
        hit = np.isinf(X.iloc[:, positions].to_numpy()).any(axis=0)
        for j in np.flatnonzero(hit):
            col = X.iloc[:, positions[j]]
            changed[col.name] = col.mask(np.isinf(col.to_numpy()))  # a gap, same dtype
    for c, dtype in X.dtypes.items():
        if isinstance(dtype, np.dtype) and dtype.kind in "fiub":
            continue  # done above, or always finite
        col = X[c]
        if _text_values(col) and c in as_numbers and col.notna().any():
            numbers = _as_numbers(col, c, info)
            if numbers is None and numeric is not None:
                text = col.dropna().astype(str).str.strip()
                words = text[~text.str.lower().isin(GAP_MARKERS)]
                if len(words):
                    raise DataError(
                        f"column {c!r} held numbers in the training table but holds text "
                        f"here: {words.iloc[0]!r} at row {words.index[0]!r}"
                    )
                numbers = pd.Series(np.nan, index=col.index, name=c)  # only gap markers
            if numbers is not None:
                changed[c] = numbers
        elif pdt.is_float_dtype(col):  # a nullable Float64 column
            arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
            inf = np.isinf(arr)
            if inf.any():
                changed[c] = col.mask(inf)
    if changed:
        X = X.copy(deep=False)
        for c, values in changed.items():
            X[c] = values
    return X
