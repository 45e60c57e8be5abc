"""Builtin cleaner specs for tables: rows, columns, gaps, dates, encodings, scales, outliers."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, get_args

import pandas as pd
from pydantic import Field, field_validator

# the transformers are imported in build(): automl_core.data.cleaning imports scikit-learn (~0.7 s),
# and every process that builds the plugin registry (a driver, a cluster node's plugin check)
# imports these specs
from ...search.space import Searchable
from ...specs import CleanerSpec

NumericImpute = Literal[
    "mean", "median", "most_frequent", "constant", "ffill", "bfill", "linear", "polynomial"
]
CategoricalImpute = Literal["most_frequent", "constant"]
DateFeature = Literal["year", "month", "day", "weekday", "hour", "elapsed"]
#: the same as automl_core.data.cleaning.DATE_FEATURES (a test checks), without importing it
DATE_FEATURES: tuple[str, ...] = get_args(DateFeature)
Share = Annotated[float, Field(ge=0, le=1)]
PositiveFloat = Annotated[float, Field(gt=0)]
#: column names; empty means "every column the cleaner applies to"
Columns = tuple[str, ...]


class DropDuplicatesSpec(CleanerSpec):
    """Drop duplicated rows once, before the split; the count is in the results.

    ``keep``: which copy stays. ``subset``: the feature columns compared (empty: all of them);
    the target is always compared too.
    """

    kind: Literal["drop_duplicates"] = "drop_duplicates"
    keep: Literal["first", "last"] = "first"
    subset: Columns = ()
    stage: ClassVar = "dataset"

    def build(self, task):
        from ...data.cleaning import DropDuplicates

        return DropDuplicates(keep=self.keep, subset=self.subset)


class DropColumnsSpec(CleanerSpec):
    """Drop named columns, and id-like, constant or (too) empty columns found in the fitted rows.

    ``columns``: always dropped. ``drop_ids``: one distinct value per row (text, or integers
    named like an id or forming a row number). ``drop_constant``: one value, no gap.
    ``max_missing``: drop a column whose share of gaps reaches this (1.0: entirely empty only).
    ``id_unique_ratio``: the share of distinct values that makes a column id-like.
    """

    kind: Literal["drop_columns"] = "drop_columns"
    columns: Columns = ()
    drop_ids: Searchable[bool] = True
    drop_constant: Searchable[bool] = True
    max_missing: Searchable[Annotated[float, Field(gt=0, le=1)]] = 1.0
    id_unique_ratio: Annotated[float, Field(gt=0, le=1)] = 0.95

    def build(self, task):
        from ...data.cleaning import DropColumns

        return DropColumns(
            columns=self.columns,
            drop_ids=self.drop_ids,
            drop_constant=self.drop_constant,
            max_missing=self.max_missing,
            id_unique_ratio=self.id_unique_ratio,
        )


class ImputeSpec(CleanerSpec):
    """Fill missing values; statistics come from the training folds only.

    ``numeric``: ``mean``, ``median``, ``most_frequent``, ``constant`` (``fill_value``), or for
    ordered rows (time series) ``ffill``, ``bfill``, ``linear`` or ``polynomial`` interpolation
    (a spline of degree ``order``) along the row order. ``categorical``: ``most_frequent`` or
    ``constant`` (``fill_text``). ``add_indicator``: add a 0/1 ``<column>__missing`` column for
    each column that had gaps. ``columns``: only these (empty: all).
    """

    kind: Literal["impute"] = "impute"
    numeric: Searchable[NumericImpute] = "mean"
    categorical: Searchable[CategoricalImpute] = "most_frequent"
    fill_value: float = 0.0
    fill_text: str = "missing"
    order: Searchable[Annotated[int, Field(ge=1, le=5)]] = 2
    add_indicator: Searchable[bool] = False
    columns: Columns = ()

    def build(self, task):
        from ...data.cleaning import Imputer

        return Imputer(
            numeric=self.numeric,
            categorical=self.categorical,
            fill_value=self.fill_value,
            fill_text=self.fill_text,
            order=self.order,
            add_indicator=self.add_indicator,
            columns=self.columns,
        )


class DatetimeSpec(CleanerSpec):
    """Turn date columns (unix s/ms, date strings, datetimes) into numeric features.

    ``columns``: the date columns (empty: detected in the fitted rows). ``unit``: ``auto``, ``s``,
    ``ms`` or ``string``. ``features``: any of year, month, day, weekday, hour, elapsed.
    ``elapsed`` is ``reference - date`` in ``elapsed_unit``; ``reference`` is ``fit_max`` (latest
    fitted date), ``fit_min`` or an ISO date like ``2024-06-30``. ``cyclical``: month, day,
    weekday and hour as sin/cos pairs.
    """

    kind: Literal["datetime"] = "datetime"
    columns: Columns = ()
    unit: Literal["auto", "s", "ms", "string"] = "auto"
    features: tuple[DateFeature, ...] = Field(default=DATE_FEATURES, min_length=1)
    reference: str = "fit_max"
    elapsed_unit: Literal["seconds", "hours", "days"] = "days"
    cyclical: Searchable[bool] = False

    @field_validator("reference")
    @classmethod
    def _reference(cls, v: str) -> str:
        if v in ("fit_max", "fit_min"):
            return v
        try:
            pd.Timestamp(v)
        except (ValueError, TypeError):
            raise ValueError(
                f"reference must be fit_max, fit_min or an ISO date, got {v!r}"
            ) from None
        return v

    def build(self, task):
        from ...data.cleaning import DatetimeFeatures

        return DatetimeFeatures(
            columns=self.columns,
            unit=self.unit,
            features=self.features,
            reference=self.reference,
            elapsed_unit=self.elapsed_unit,
            cyclical=self.cyclical,
        )


class OneHotSpec(CleanerSpec):
    """One-hot encode text/categorical columns; unseen categories at predict time never crash.

    Categories rarer than ``min_frequency`` (a share of the fitted rows) or beyond the
    ``max_categories`` most frequent are grouped into ``<column>=__other__``, which also takes
    unseen categories (all zeros when there is no such column). ``drop_first``: drop the first
    category's column. ``columns``: only these (empty: every text/category/boolean column).
    """

    kind: Literal["one_hot"] = "one_hot"
    drop_first: Searchable[bool] = False
    max_categories: Searchable[Annotated[int, Field(ge=1)]] = 50
    min_frequency: Searchable[Annotated[float, Field(ge=0, lt=1)]] = 0.0
    columns: Columns = ()

    def build(self, task):
        from ...data.cleaning import OneHotEncoder

        return OneHotEncoder(
            drop_first=self.drop_first,
            max_categories=self.max_categories,
            min_frequency=self.min_frequency,
            columns=self.columns,
        )


class OrdinalSpec(CleanerSpec):
    """Encode each category as an integer code; unseen and missing get ``unknown_value``.

    ``order``: ``lexical`` (sorted as text) or ``frequency`` (most frequent first).
    ``columns``: only these (empty: every text/category/boolean column).
    """

    kind: Literal["ordinal"] = "ordinal"
    order: Searchable[Literal["lexical", "frequency"]] = "lexical"
    unknown_value: int = -1
    columns: Columns = ()

    def build(self, task):
        from ...data.cleaning import OrdinalEncoder

        return OrdinalEncoder(
            columns=self.columns, order=self.order, unknown_value=self.unknown_value
        )


class ScaleSpec(CleanerSpec):
    """Scale numeric columns: ``standard`` (z-score), ``minmax`` ([0, 1]) or ``robust``.

    ``robust`` centres on the median and divides by the interquartile range, so outliers do not
    set the scale. Statistics come from the training folds only; output is float32.
    ``columns``: only these (empty: every numeric column).
    """

    kind: Literal["scale"] = "scale"
    method: Searchable[Literal["standard", "minmax", "robust"]] = "standard"
    columns: Columns = ()

    def build(self, task):
        from ...data.cleaning import Scaler

        return Scaler(method=self.method, columns=self.columns)


class StandardScaleSpec(CleanerSpec):
    """z-score numeric columns (the same as ``scale`` with ``method = "standard"``)."""

    kind: Literal["standard_scale"] = "standard_scale"

    def build(self, task):
        from ...data.cleaning import StandardScaler

        return StandardScaler()


class OutliersSpec(CleanerSpec):
    """Clip numeric outliers to bounds learned on the training folds.

    ``method="iqr"``: ``[q1 - factor * IQR, q3 + factor * IQR]``; ``method="zscore"``:
    ``mean +/- threshold * std``. Columns with no spread are left alone. ``columns``: only
    these (empty: every numeric column).
    """

    kind: Literal["outliers"] = "outliers"
    method: Searchable[Literal["iqr", "zscore"]] = "iqr"
    factor: Searchable[PositiveFloat] = 1.5
    threshold: Searchable[PositiveFloat] = 3.0
    columns: Columns = ()

    def build(self, task):
        from ...data.cleaning import OutlierClipper

        return OutlierClipper(
            method=self.method, factor=self.factor, threshold=self.threshold, columns=self.columns
        )


TABULAR_CLEANERS = [
    DropDuplicatesSpec,
    DropColumnsSpec,
    ImputeSpec,
    DatetimeSpec,
    OneHotSpec,
    OrdinalSpec,
    ScaleSpec,
    StandardScaleSpec,
    OutliersSpec,
]
