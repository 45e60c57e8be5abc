"""Every builtin cleaner passes the conformance kit, defaults and the variants that matter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_core.builtins.cleaners import (
    BUILTIN_CLEANERS,
    ClassWeightSpec,
    DatetimeSpec,
    DropColumnsSpec,
    DropDuplicatesSpec,
    ImageBinarizeSpec,
    ImageNormalizeSpec,
    ImageResizeSpec,
    ImputeSpec,
    OneHotSpec,
    OrdinalSpec,
    OutliersSpec,
    ResampleSpec,
    ScaleSpec,
)
from automl_core.plugins import get_registry
from automl_core.search.space import Choice, Float
from automl_core.testing import check_spec


@pytest.mark.parametrize("cls", BUILTIN_CLEANERS, ids=lambda c: c.__name__)
def test_builtin_cleaner_defaults_conform(cls):
    check_spec(cls())


def test_every_builtin_is_registered():
    kinds = set(get_registry().kinds("cleaner"))
    assert {c.model_fields["kind"].default for c in BUILTIN_CLEANERS} <= kinds


VARIANTS = [
    DropDuplicatesSpec(keep="last", subset=("a",)),
    DropColumnsSpec(columns=("a",), max_missing=0.5),
    *[ImputeSpec(numeric=m) for m in ("median", "most_frequent", "constant", "ffill", "bfill")],
    ImputeSpec(numeric="linear", categorical="constant", add_indicator=True),
    ImputeSpec(numeric="polynomial", order=3),
    OneHotSpec(drop_first=True, min_frequency=0.34, max_categories=2),
    OrdinalSpec(order="frequency", unknown_value=-9),
    *[ScaleSpec(method=m) for m in ("standard", "minmax", "robust")],
    OutliersSpec(method="zscore", threshold=1.0),
    OutliersSpec(method="iqr", factor=0.5),
    *[ResampleSpec(method=m) for m in ("over", "under", "smote")],
    ClassWeightSpec(power=0.5),
    ImageResizeSpec(height=3, width=4),
    ImageBinarizeSpec(threshold=0.2),
    *[ImageNormalizeSpec(method=m) for m in ("standard", "per_image")],
]


@pytest.mark.parametrize("spec", VARIANTS, ids=lambda s: repr(s)[:60])
def test_cleaner_variants_conform(spec):
    check_spec(spec)


def test_datetime_conforms_on_a_table_with_dates():
    rng = np.random.default_rng(0)
    n = 120
    ts = rng.integers(1_600_000_000, 1_700_000_000, size=n)
    X = pd.DataFrame(
        {
            "created_at": ts,
            "day": pd.to_datetime(ts, unit="s").strftime("%Y-%m-%d"),
            "x": rng.normal(size=n),
        }
    )
    y = pd.Series(rng.integers(0, 2, size=n))
    check_spec(DatetimeSpec(), data=(X, y))
    check_spec(DatetimeSpec(columns=("created_at",), unit="s", cyclical=True), data=(X, y))
    check_spec(DatetimeSpec(reference="2024-01-01", elapsed_unit="hours"), data=(X, y))


def test_searchable_options_accept_ranges_and_stay_unresolved():
    spec = ImputeSpec(numeric=Choice(["mean", "linear", "polynomial"]), order=Choice([2, 3]))
    assert set(spec.search_fields()) == {"numeric", "order"}
    check_spec(spec)  # unresolved: schema checks only
    assert ImageBinarizeSpec(threshold=Float(0.1, 0.9)).search_fields()
    assert OutliersSpec(factor=Float(1.0, 3.0)).search_fields()
    assert ScaleSpec(method=Choice(["standard", "robust"])).search_fields()


def test_invalid_options_are_rejected_with_the_field_name():
    with pytest.raises(ValueError, match="reference"):
        DatetimeSpec(reference="not a date")
    with pytest.raises(ValueError, match="threshold"):
        ImageBinarizeSpec(threshold=1.5)
    with pytest.raises(ValueError, match="numeric"):
        ImputeSpec(numeric="magic")


def test_resampling_cleaners_refuse_regression():
    with pytest.raises(ValueError, match="classification"):
        ResampleSpec().build("regression")
    with pytest.raises(ValueError, match="classification"):
        ClassWeightSpec().build("regression")
