"""Dates to numbers: unix timestamps, date strings or datetime columns to calendar features."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from pandas.tseries.api import guess_datetime_format

from .base import FrameTransformer, rebuild_frame
from .columns import _parse_dates, datetime_unit, is_text

__all__ = ["DatetimeFeatures", "DATE_FEATURES", "civil_from_seconds"]

DATE_FEATURES = ("year", "month", "day", "weekday", "hour", "elapsed")
_ELAPSED = {"seconds": 1.0, "hours": 3600.0, "days": 86400.0}
_PERIOD = {"month": 12, "day": 31, "weekday": 7, "hour": 24}


def civil_from_seconds(secs: np.ndarray) -> dict[str, np.ndarray]:
    """year, month, day, weekday (Monday=0), hour of unix seconds (UTC; NaN gives 1970-01-01).

    Through a ``DatetimeIndex`` of second resolution: pandas' C field accessors, ~20 ms per
    field on a million rows, no Python datetime objects.
    """
    whole = np.nan_to_num(np.floor(secs), nan=0.0).astype(np.int64)
    idx = pd.DatetimeIndex(whole.view("datetime64[s]"))
    return {
        "year": idx.year.to_numpy(),
        "month": idx.month.to_numpy(),
        "day": idx.day.to_numpy(),
        "weekday": idx.day_of_week.to_numpy(),
        "hour": idx.hour.to_numpy(),
    }


def _to_seconds(col: pd.Series, unit: str, fmt: str | None) -> np.ndarray:
    """Float unix seconds, NaN where the value is missing or does not parse."""
    if unit in ("s", "ms"):
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        return arr / 1000.0 if unit == "ms" else arr
    if unit == "string":
        col = _parse_dates(col, fmt)
    elif not pdt.is_datetime64_any_dtype(col):
        col = pd.to_datetime(col, errors="coerce")
    if getattr(col.dt, "tz", None) is not None:
        col = col.dt.tz_localize(None)  # wall-clock time where the event happened
    raw = col.to_numpy(dtype="datetime64[s]")
    out = raw.view(np.int64).astype(np.float64)
    out[np.isnat(raw)] = np.nan
    return out


class DatetimeFeatures(FrameTransformer):
    """Replace date columns by numeric features: year, month, day, weekday, hour, elapsed.

    ``columns``: the date columns (none named: every column that looks like dates in the fitted
    rows, see :func:`~automl_core.data.cleaning.columns.datetime_unit`). ``unit``: how they hold
    dates, ``s`` / ``ms`` (unix timestamps), ``string`` (parsed with the format guessed from the
    first fitted value, falling back to mixed parsing) or ``auto`` (detected per column; a
    named text column is parsed as dates even when detection has doubts).

    ``elapsed`` is ``reference - date`` in ``elapsed_unit``: positive for a date before the
    reference. ``reference`` is ``fit_max`` (the latest date in the fitted rows: "how long ago"),
    ``fit_min`` (the earliest: negative "time since the start") or an ISO date such as
    ``2024-06-30``. With ``cyclical`` month, day, weekday and hour become sin/cos pairs (December
    next to January). A feature constant in the fitted rows (hour of date-only strings) is left
    out. New columns are named ``<column>_<feature>`` and appended; the date column goes.
    Missing or unparsable dates give NaN features (impute after this cleaner).
    """

    def __init__(
        self,
        columns: Sequence[str] = (),
        unit: str = "auto",
        features: Sequence[str] = DATE_FEATURES,
        reference: str = "fit_max",
        elapsed_unit: str = "days",
        cyclical: bool = False,
    ):
        self.columns = columns
        self.unit = unit
        self.features = features
        self.reference = reference
        self.elapsed_unit = elapsed_unit
        self.cyclical = cyclical

    def fit(self, X, y=None):
        X = self._start_fit(X)
        unknown = [f for f in self.features if f not in DATE_FEATURES]
        if unknown:
            raise ValueError(f"unknown date features {unknown} (known: {DATE_FEATURES})")
        if self.columns:
            cols = self._chosen(X, self.columns, [])
        else:
            cols = [c for c in X.columns if datetime_unit(X[c], str(c)) is not None]
        self.units_, self.formats_, self.reference_, self.features_ = {}, {}, {}, {}
        for c in cols:
            unit = self.unit if self.unit != "auto" else datetime_unit(X[c], str(c))
            if unit is None and self.columns and is_text(X[c]):
                unit = "string"  # named as a date by the user: parse it, gaps where it fails
            if unit is None:
                raise ValueError(
                    f"datetime: column {c!r} does not look like dates; give unit='s', 'ms' or "
                    "'string'"
                )
            if unit == "datetime" and not pdt.is_datetime64_any_dtype(X[c]):
                unit = "string"
            fmt = None
            if unit == "string":
                first = X[c].dropna()
                fmt = guess_datetime_format(str(first.iloc[0])) if len(first) else None
            self.units_[c], self.formats_[c] = unit, fmt
            secs = _to_seconds(X[c], unit, fmt)
            if self.reference in ("fit_max", "fit_min"):
                ok = secs[~np.isnan(secs)]
                ref = (ok.max() if self.reference == "fit_max" else ok.min()) if len(ok) else 0.0
            else:
                ref = pd.Timestamp(self.reference).value / 1e9
            self.reference_[c] = float(ref)
            feats = self._features(secs, c)
            # a feature constant on the fitted rows carries nothing (hour of a date-only column)
            self.features_[c] = [
                name
                for name, v in feats.items()
                if np.nanmin(v, initial=np.inf) < np.nanmax(v, initial=-np.inf)
            ]
        return self

    def _features(self, secs: np.ndarray, c: str, keep=None) -> dict[str, np.ndarray]:
        missing = np.isnan(secs)
        civil = civil_from_seconds(np.where(missing, 0.0, secs))
        out: dict[str, np.ndarray] = {}
        for f in self.features:
            if f == "elapsed":
                values = ((self.reference_[c] - secs) / _ELAPSED[self.elapsed_unit]).astype(
                    np.float32
                )
                pairs = {"elapsed": values}
            elif self.cyclical and f in _PERIOD:
                angle = (civil[f] - (1 if f in ("month", "day") else 0)) * (2 * np.pi / _PERIOD[f])
                pairs = {f"{f}_sin": np.sin(angle), f"{f}_cos": np.cos(angle)}
            else:
                pairs = {f: civil[f]}
            for name, v in pairs.items():
                if keep is not None and name not in keep:
                    continue
                v = v.astype(np.float32)
                if missing.any():
                    v[missing] = np.nan
                out[name] = v
        return out

    def _names_out(self, rename: dict[str, str]) -> list[str]:
        kept = [rename[c] for c in self.columns_in_ if c not in self.units_]
        return kept + [f"{rename[c]}_{name}" for c in self.units_ for name in self.features_[c]]

    def transform(self, X):
        X = self._start_transform(X)
        if not self.units_:
            return X
        features = {}
        for c, unit in self.units_.items():
            secs = _to_seconds(X[c], unit, self.formats_[c])
            for name, v in self._features(secs, c, keep=self.features_[c]).items():
                features[f"{c}_{name}"] = v
        return rebuild_frame(X, appended=features, dropped=list(self.units_))
