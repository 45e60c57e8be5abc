"""Behaviour of each tabular transformer on small hand-made frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_core.data.cleaning import (
    DatetimeFeatures,
    DropColumns,
    DropDuplicates,
    Imputer,
    NumericGuard,
    OneHotEncoder,
    OrdinalEncoder,
    OutlierClipper,
    Scaler,
    StandardScaler,
    datetime_unit,
    infer_column_roles,
)
from automl_core.data.cleaning.dates import civil_from_seconds

NAN = np.nan


def test_drop_duplicates_counts_and_compares_the_target():
    X = pd.DataFrame({"a": [1, 1, 1, 2], "b": ["x", "x", "x", "y"]})
    y = pd.Series([0, 0, 1, 0])
    Xo, yo, info = DropDuplicates().apply(X, y)
    assert info == {"duplicates_dropped": 1}
    assert list(Xo.index) == [0, 2, 3] and list(yo) == [0, 1, 0]
    _, _, info = DropDuplicates(subset=("a",)).apply(X, y)
    assert info["duplicates_dropped"] == 1  # same a and same target: rows 0 and 1


def test_drop_columns_detects_ids_constants_and_empty_columns():
    n = 50
    X = pd.DataFrame(
        {
            "user_id": np.arange(1000, 1000 + n)[::-1],
            "row": np.arange(n),  # a row number: dense range, id-like without an id name
            "code": [f"u{i:04d}" for i in range(n)],
            "const": 7,
            "empty": NAN,
            "half": [NAN, 1.0] * (n // 2),
            "price": np.linspace(1, 100, n) ** 1.5,  # unique floats: a measurement
            "spend": np.arange(n) * 37,  # unique integers, sparse range, no id name
            "city": ["a", "b"] * (n // 2),
        }
    )
    dc = DropColumns().fit(X)
    assert dc.dropped_ == {
        "user_id": "id-like",
        "row": "id-like",
        "code": "id-like",
        "const": "constant",
        "empty": "empty",
    }
    assert list(dc.transform(X).columns) == ["half", "price", "spend", "city"]
    assert "half" in DropColumns(max_missing=0.5).fit(X).dropped_
    assert DropColumns(columns=("city",), drop_ids=False, drop_constant=False).fit(X).dropped_ == {
        "city": "named",
        "empty": "empty",
    }
    with pytest.raises(ValueError, match="typo"):
        DropColumns(columns=("typo",)).fit(X)


def test_roles_put_timestamps_before_ids():
    n = 40
    X = pd.DataFrame(
        {
            "last_login": np.arange(n) * 86_400 + 1_700_000_000,
            "signup": pd.date_range("2020-01-01", periods=n).strftime("%Y-%m-%d"),
            "amount": np.arange(n) * 1e9,  # huge numbers, no time-like name: not a date
            "plan": ["a", "b"] * (n // 2),
        }
    )
    assert infer_column_roles(X) == {
        "last_login": "datetime",
        "signup": "datetime",
        "amount": "numeric",
        "plan": "category",
    }
    assert datetime_unit(pd.Series([1.7e12, 1.6e12] * 10), "event_ts") == "ms"
    assert datetime_unit(pd.Series(["12", "13"] * 10), "date") is None


def test_impute_statistics_and_categories():
    X = pd.DataFrame({"a": [1.0, NAN, 3.0, 10.0], "c": ["x", "x", None, "y"]})
    assert Imputer(numeric="mean").fit_transform(X)["a"].tolist() == [1.0, 14 / 3, 3.0, 10.0]
    assert Imputer(numeric="median").fit_transform(X)["a"][1] == 3.0
    assert Imputer(numeric="constant", fill_value=-1).fit_transform(X)["a"][1] == -1
    out = Imputer(categorical="constant", fill_text="?").fit_transform(X)
    assert out["c"].tolist() == ["x", "x", "?", "y"]
    assert Imputer().fit_transform(X)["c"][2] == "x"
    ind = Imputer(add_indicator=True).fit_transform(X)
    assert ind["a__missing"].tolist() == [0, 1, 0, 0] and ind["c__missing"].tolist() == [0, 0, 1, 0]
    only_a = Imputer(columns=("a",)).fit_transform(X)
    assert only_a["c"].isna().sum() == 1 and only_a["a"].notna().all()


def test_impute_ordered_fills_follow_row_order():
    X = pd.DataFrame({"t": [NAN, 1.0, NAN, NAN, 4.0, NAN]})
    fit = pd.DataFrame({"t": [0.0, 10.0, 20.0]})  # median 10: the fallback
    assert Imputer(numeric="ffill").fit(fit).transform(X)["t"].tolist() == [10, 1, 1, 1, 4, 4]
    assert Imputer(numeric="bfill").fit(fit).transform(X)["t"].tolist() == [1, 1, 4, 4, 4, 10]
    assert Imputer(numeric="linear").fit(fit).transform(X)["t"].tolist() == [1, 1, 2, 3, 4, 4]
    quad = pd.DataFrame({"t": [0.0, 1.0, NAN, 9.0, 16.0, NAN, 36.0]})  # x**2
    out = Imputer(numeric="polynomial", order=2).fit(fit).transform(quad)["t"]
    assert out[2] == pytest.approx(4.0) and out[5] == pytest.approx(25.0)
    # too few points for the degree: falls back to linear, no crash
    few = pd.DataFrame({"t": [1.0, NAN, 3.0]})
    assert Imputer(numeric="polynomial", order=3).fit(fit).transform(few)["t"][1] == 2.0


def test_impute_gap_in_a_column_that_had_none_at_fit():
    fit = pd.DataFrame({"a": [1.0, 2.0, 3.0], "c": ["x", "y", "y"]})
    out = Imputer().fit(fit).transform(pd.DataFrame({"a": [NAN], "c": [None]}))
    assert out["a"][0] == 2.0 and out["c"][0] == "y"


def test_civil_dates_match_pandas():
    rng = np.random.default_rng(0)
    secs = rng.integers(-2_000_000_000, 4_000_000_000, size=5000).astype(float)
    ours = civil_from_seconds(secs)
    ref = pd.to_datetime(secs, unit="s")
    for name, expected in [
        ("year", ref.year),
        ("month", ref.month),
        ("day", ref.day),
        ("weekday", ref.day_of_week),
        ("hour", ref.hour),
    ]:
        np.testing.assert_array_equal(ours[name], np.asarray(expected), err_msg=name)


def test_datetime_features_from_seconds_milliseconds_and_strings():
    X = pd.DataFrame(
        {
            "ts": [1_704_067_200, 1_686_100_000, NAN],  # 2024-01-01 00:00, 2023-06-07 01:06
            "ms_time": [1_704_067_200_000, 1_686_100_000_000, 1_686_100_000_000],
            "d": ["2024-01-01", "2024-03-15", "garbage"],
            "x": [1.0, 2.0, 3.0],
        }
    )
    # "d" is a third garbage: too doubtful to detect, parsed when named
    assert DatetimeFeatures().fit(X).units_ == {"ts": "s", "ms_time": "ms"}
    dt = DatetimeFeatures(columns=("ts", "ms_time", "d")).fit(X)
    assert dt.units_ == {"ts": "s", "ms_time": "ms", "d": "string"}
    out = dt.transform(X)
    assert "ts" not in out and out["x"].tolist() == [1.0, 2.0, 3.0]
    assert out["ts_year"].tolist()[:2] == [2024, 2023] and out["ts_month"].tolist()[:2] == [1, 6]
    assert out["ts_weekday"][0] == 0 and out["ts_hour"][1] == 1  # a Monday; 01:06
    assert np.isnan(out["ts_month"][2])  # missing timestamp -> missing features
    assert out["ts_elapsed"][0] == 0 and out["ts_elapsed"][1] == pytest.approx(207.95, abs=0.01)
    assert "d_hour" not in out  # constant in the fitted rows (date-only strings)
    assert out["d_month"].tolist()[:2] == [1, 3] and np.isnan(out["d_month"][2])
    assert out["ms_time_day"].tolist() == out["ts_day"].tolist()[:2] + [out["ts_day"][1]]
    cyc = DatetimeFeatures(columns=("ts",), features=("month",), cyclical=True).fit_transform(X)
    assert cyc["ts_month_sin"][0] == pytest.approx(0.0, abs=1e-6)  # January
    assert cyc["ts_month_cos"][0] == pytest.approx(1.0)
    ref = DatetimeFeatures(columns=("ts",), features=("elapsed",), reference="2024-01-02")
    assert ref.fit_transform(X)["ts_elapsed"][0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="does not look like dates"):
        DatetimeFeatures(columns=("x",)).fit(X)


def test_one_hot_rare_unseen_missing_and_drop_first():
    fit = pd.DataFrame({"c": ["a"] * 6 + ["b"] * 3 + ["rare"]})
    enc = OneHotEncoder(min_frequency=0.2).fit(fit)
    assert enc.feature_names_ == ["c=a", "c=b", "c=__other__"]
    new = pd.DataFrame({"c": ["b", "rare", "never-seen", None]})
    out = enc.transform(new)
    assert out.to_numpy().tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 1], [0, 0, 0]]
    assert (out.dtypes == np.uint8).all()
    plain = OneHotEncoder().fit(fit).transform(new)  # no rare group: unseen -> all zeros
    assert plain.loc[2].sum() == 0 and list(plain.columns) == ["c=a", "c=b", "c=rare"]
    first = OneHotEncoder(drop_first=True, max_categories=2).fit(fit)
    assert first.feature_names_ == ["c=b", "c=__other__"]
    assert first.transform(new).to_numpy().tolist() == [[1, 0], [0, 1], [0, 1], [0, 0]]
    assert first.transform(pd.DataFrame({"c": ["a"]})).to_numpy().tolist() == [[0, 0]]


def test_one_hot_keeps_other_columns_and_index():
    X = pd.DataFrame({"n": [1.0, 2.0], "flag": [True, False], "c": ["x", "y"]}, index=[10, 20])
    out = OneHotEncoder().fit_transform(X)
    assert list(out.index) == [10, 20]
    assert list(out.columns) == ["n", "flag=False", "flag=True", "c=x", "c=y"]


def test_ordinal_unseen_and_missing_get_the_reserved_code():
    fit = pd.DataFrame({"c": ["b", "a", "b", "c"]})
    new = pd.DataFrame({"c": ["a", "b", "z", None]})
    assert OrdinalEncoder().fit(fit).transform(new)["c"].tolist() == [0, 1, -1, -1]
    freq = OrdinalEncoder(order="frequency", unknown_value=99).fit(fit).transform(new)
    assert freq["c"].tolist() == [1, 0, 99, 99]


@pytest.mark.parametrize(
    "method, center, scale",
    [("standard", 2.5, np.sqrt(1.25)), ("minmax", 1.0, 3.0), ("robust", 2.5, 1.5)],
)
def test_scale_methods(method, center, scale):
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "c": list("abcd"), "flat": 5.0})
    sc = Scaler(method=method).fit(X)
    assert sc.center_["a"] == pytest.approx(center) and sc.scale_["a"] == pytest.approx(scale)
    out = sc.transform(X)
    assert out["a"].dtype == np.float32 and out["c"].tolist() == list("abcd")
    np.testing.assert_allclose(out["a"], (X["a"] - center) / scale, rtol=1e-6)
    assert (out["flat"] == 0).all()  # no spread: scale 1, not a division by zero


def test_standard_scaler_stays_compatible():
    X = pd.DataFrame({"a": [1.0, 3.0]})
    s = StandardScaler().fit(X)
    assert s.mean_["a"] == 2.0 and s.transform(X)["a"].tolist() == [-1.0, 1.0]


def test_outliers_clip_by_iqr_and_zscore():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0], "mostly_zero": [0, 0, 0, 0, 9]})
    iqr = OutlierClipper(factor=1.5).fit(X)
    assert iqr.bounds_["a"] == (-1.0, 7.0) and "mostly_zero" not in iqr.bounds_
    assert iqr.transform(X)["a"].tolist() == [1, 2, 3, 4, 7]
    assert iqr.transform(X)["mostly_zero"].tolist() == [0, 0, 0, 0, 9]
    z = OutlierClipper(method="zscore", threshold=1.0).fit(X)
    lo, hi = z.bounds_["a"]
    out = z.transform(X)["a"]
    assert out.max() == pytest.approx(hi) and out.min() >= lo


def test_numeric_guard_names_the_columns():
    with pytest.raises(ValueError, match=r"\['c'\].*one_hot"):
        NumericGuard().fit(pd.DataFrame({"a": [1.0], "c": ["x"]}))
    with pytest.raises(ValueError, match=r"\['a'\].*impute"):
        NumericGuard().fit(pd.DataFrame({"a": [NAN], "b": [1]}))
    with pytest.raises(ValueError, match=r"\['a'\].*infinite"):
        NumericGuard().fit(pd.DataFrame({"a": [np.inf]}))


MIXED = pd.DataFrame(
    {
        "a": [1.0, NAN, 3.0, 4.0, 5.0, 6.0],
        "c": ["x", "y", None, "x", "y", "x"],
        "day": ["2024-01-01", "2024-02-03", "2024-03-05", "2024-04-07", "2024-05-09", None],
        "const": 1,
    }
)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Imputer(add_indicator=True),
        OneHotEncoder,
        lambda: OneHotEncoder(drop_first=True, min_frequency=0.4),
        OrdinalEncoder,
        Scaler,
        OutlierClipper,
        DropColumns,
        lambda: DatetimeFeatures(columns=("day",), cyclical=True),
    ],
    ids=lambda m: repr(m()),
)
def test_feature_names_out_are_the_transformed_columns(make):
    t = make().fit(MIXED)
    out = t.transform(MIXED)
    names = t.get_feature_names_out()
    assert list(names) == list(out.columns) and names.dtype == object
    assert t.n_features_in_ == 4 and list(t.feature_names_in_) == list(MIXED.columns)
    # set_output("pandas") (scikit-learn's wrapper) gives the same table
    pd.testing.assert_frame_equal(
        make().set_output(transform="pandas").fit(MIXED).transform(MIXED), out
    )


def test_feature_names_out_follow_given_input_names():
    arr = MIXED[["a", "c"]].to_numpy()
    imp = Imputer(add_indicator=True).fit(arr)  # an array: columns "0", "1"
    assert not hasattr(imp, "feature_names_in_")
    assert list(imp.get_feature_names_out()) == ["0", "1", "0__missing", "1__missing"]
    assert list(imp.get_feature_names_out(["a", "c"])) == ["a", "c", "a__missing", "c__missing"]
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        Imputer().fit(MIXED).get_feature_names_out(["a", "b", "c", "d"])


def test_transform_matches_columns_by_name():
    imp = Imputer().fit(MIXED)
    shuffled = MIXED[["const", "day", "c", "a"]].assign(extra=0)
    out = imp.transform(shuffled)
    assert list(out.columns) == list(MIXED.columns)  # fitted order, extra left out
    pd.testing.assert_frame_equal(out, imp.transform(MIXED))
    with pytest.raises(ValueError, match=r"columns missing at transform .*\['c'\]"):
        imp.transform(MIXED.drop(columns="c"))
    # an array is positional: the fitted number of columns, scikit-learn's message otherwise
    sc = Scaler().fit(MIXED[["a", "const"]].to_numpy())
    with pytest.raises(ValueError, match="X has 1 features, but Scaler is expecting 2"):
        sc.transform(np.ones((3, 1)))
    with pytest.raises(ValueError, match="Reshape your data"):
        sc.transform(np.ones(2))


def test_object_arrays_of_numbers_are_numbers():
    X = np.array([[1, "a"], [NAN, "b"], [3, "a"]], dtype=object)
    out = Imputer().fit(X).transform(X)
    assert out["0"].dtype == np.float64 and out["0"].tolist() == [1.0, 2.0, 3.0]
    assert out["1"].tolist() == ["a", "b", "a"]


def test_image_cleaners_name_their_pixel_columns():
    from automl_core.data.cleaning import ImageGrayscale, ImageNormalize, ImageResize

    images = np.random.default_rng(0).integers(0, 255, size=(2, 5, 6, 3), dtype=np.uint8)
    for t, shape in [
        (ImageResize(height=3, width=4), (3, 4, 3)),
        (ImageGrayscale(), (5, 6, 1)),
        (ImageNormalize(), (5, 6, 3)),
    ]:
        out = t.fit(images).transform(images)
        assert list(t.get_feature_names_out()) == list(out.columns)
        assert out.shape[1] == int(np.prod(shape))
