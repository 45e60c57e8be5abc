"""Column-type helpers shared by the cleaners and the automatic chain.

Detection is deliberately conservative: a column is called an id, a date or a constant only on
clear evidence, because a wrong guess silently throws information away.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as pdt

__all__ = [
    "numeric_columns",
    "categorical_columns",
    "is_text",
    "is_empty",
    "is_constant",
    "is_id_like",
    "datetime_unit",
    "infer_column_roles",
    "UNIX_SECONDS",
    "UNIX_MILLISECONDS",
]

#: plausible unix timestamps: 1979-07-05 .. 2099-12-03, in seconds and in milliseconds
UNIX_SECONDS = (3.0e8, 4.1e9)
UNIX_MILLISECONDS = (3.0e11, 4.1e12)

_TIME_NAME = re.compile(
    r"(time|date|timestamp|epoch|created|updated|modified|(^|_)at$|(^|_)ts($|_)|(^|_)last_)",
    re.IGNORECASE,
)
_ID_NAME = re.compile(r"(^id$|[_\- .]id$|^id[_\- .]|uuid|guid|(^|_)key$)", re.IGNORECASE)
_ID_CAMEL = re.compile(r"([a-z]Id|ID)$")
_DATE_TEXT = re.compile(r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def numeric_columns(X: pd.DataFrame) -> list[str]:
    """Columns holding numbers (booleans excluded: they are categories)."""
    return [c for c in X.columns if pdt.is_numeric_dtype(X[c]) and not pdt.is_bool_dtype(X[c])]


def is_text(col: pd.Series) -> bool:
    """Text, categorical or boolean values (what an encoder has to turn into numbers)."""
    return is_text_dtype(col.dtype)


def is_text_dtype(dtype) -> bool:
    """:func:`is_text` from the dtype alone (no Series built: cheap on wide tables)."""
    return (
        pdt.is_object_dtype(dtype)
        or pdt.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or pdt.is_bool_dtype(dtype)
    )


def categorical_columns(X: pd.DataFrame) -> list[str]:
    """Columns holding text, categories or booleans."""
    return [c for c, dtype in X.dtypes.items() if is_text_dtype(dtype)]


def is_empty(col: pd.Series) -> bool:
    """Every value missing."""
    return bool(col.isna().all())


def _spread_sample(col: pd.Series, size: int = 2000) -> pd.Series:
    """Up to ``size`` values taken at even steps over the whole column (cheap, order-robust)."""
    step = max(1, len(col) // size)
    return col.iloc[::step]


def is_constant(col: pd.Series) -> bool:
    """One single value and no gap (a column with one value *and* gaps still says something)."""
    if len(col) == 0 or col.isna().any():
        return False
    first = col.iloc[0]
    if (_spread_sample(col) != first).any():  # the usual answer, without a full pass
        return False
    if pdt.is_numeric_dtype(col) or pdt.is_bool_dtype(col):
        arr = col.to_numpy()
        return bool(arr.min() == arr.max())
    return bool(col.nunique(dropna=False) <= 1)


def _integral(arr: np.ndarray) -> bool:
    if arr.dtype.kind in "iu":
        return True
    if arr.dtype.kind != "f":
        return False
    finite = arr[np.isfinite(arr)]
    return bool(len(finite) and np.all(finite == np.round(finite)))


def is_id_like(col: pd.Series, name: str = "", unique_ratio: float = 0.95) -> bool:
    """A row identifier: (almost) one distinct value per row and no meaning as a number.

    Text columns qualify on uniqueness alone (one-hot encoding them would be useless). Integer
    columns also need an id-like name (``user_id``, ``uuid``, ``key``...) or a dense
    consecutive range (a row number); measured floats never qualify.
    """
    if pdt.is_bool_dtype(col) or col.count() < 20:
        return False
    sample = _spread_sample(col).dropna()
    if not is_text(col) and not _integral(sample.to_numpy()):
        return False  # measured floats: rejected on a sample, no full pass
    if len(sample) >= 20 and sample.nunique() / len(sample) < unique_ratio:
        return False  # repeats already in an evenly spread sample: not an id
    values = col.dropna()
    ratio = values.nunique() / len(values)
    if ratio < unique_ratio:
        return False
    if is_text(col):
        return True
    arr = values.to_numpy()
    if not _integral(arr):
        return False
    if _ID_NAME.search(name) or _ID_CAMEL.search(name):
        return True
    span = float(arr.max()) - float(arr.min()) + 1
    return span <= 1.5 * values.nunique()


def _parse_dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    with warnings.catch_warnings():
        # "could not infer format" is expected on a sample of mixed strings
        warnings.simplefilter("ignore")
        return pd.to_datetime(values, errors="coerce", format=fmt or "mixed")


def datetime_unit(col: pd.Series, name: str = "") -> str | None:
    """How ``col`` holds dates: ``"datetime"``, ``"s"``, ``"ms"``, ``"string"``; None if not dates.

    Numbers count as unix timestamps only with a time-like name (``last_activity``,
    ``created_at``, ``ts``...) and 99% of the values in the plausible range, so a large amount of
    money is not mistaken for a date. Text counts when 90% of a sample looks like ``2024-05-01``,
    ``05/01/2024`` or similar and parses.
    """
    if pdt.is_datetime64_any_dtype(col):
        return "datetime"
    values = col.dropna()
    if len(values) == 0 or pdt.is_bool_dtype(col):
        return None
    if pdt.is_numeric_dtype(col):
        if not _TIME_NAME.search(name):
            return None
        arr = values.to_numpy(dtype=np.float64)
        for unit, (lo, hi) in (("s", UNIX_SECONDS), ("ms", UNIX_MILLISECONDS)):
            if np.mean((arr >= lo) & (arr <= hi)) >= 0.99:
                return unit
        return None
    if not is_text(col) or isinstance(col.dtype, pd.CategoricalDtype):
        return None
    sample = values.iloc[:200].astype(str)
    if sample.str.match(_DATE_TEXT).mean() < 0.9:
        return None
    if _parse_dates(sample).notna().mean() < 0.9:
        return None
    return "string"


def infer_column_roles(X: pd.DataFrame, id_unique_ratio: float = 0.95) -> dict[str, str]:
    """Each column's role: ``empty``, ``constant``, ``datetime``, ``id``, ``numeric`` or ``category``.

    Checked in that order, so a unix timestamp (unique, integer) is a date, not an id.
    """
    roles: dict[str, str] = {}
    for c in X.columns:
        col = X[c]
        name = str(c)
        if is_empty(col):
            roles[c] = "empty"
        elif is_constant(col):
            roles[c] = "constant"
        elif datetime_unit(col, name) is not None:
            roles[c] = "datetime"
        elif is_id_like(col, name, id_unique_ratio):
            roles[c] = "id"
        elif is_text(col):
            roles[c] = "category"
        else:
            roles[c] = "numeric"
    return roles
