"""Resampling and class weights on their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_core.data.cleaning import ClassWeights, OneHotEncoder, Resampler


@pytest.fixture
def imbalanced():
    rng = np.random.default_rng(0)
    n = 200
    y = pd.Series(np.r_[np.zeros(170, int), np.ones(30, int)], name="y")
    X = pd.DataFrame(
        {
            "x": rng.normal(y * 3, 1),
            "gap": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "cat": rng.choice(["a", "b", "c"], size=n),
        }
    )
    return X, y


@pytest.mark.parametrize("method", ["over", "under", "smote"])
def test_methods_balance_the_classes(imbalanced, method):
    X, y = imbalanced
    Xr, yr = Resampler(method=method).fit_resample(X, y)
    counts = np.bincount(yr)
    assert counts[0] == counts[1] == (30 if method == "under" else 170)
    assert len(Xr) == len(yr) and list(Xr.columns) == list(X.columns)
    assert isinstance(yr, pd.Series) and yr.name == "y"


def test_ratio_sets_the_minority_share(imbalanced):
    X, y = imbalanced
    _, yr = Resampler(method="over", ratio=0.5).fit_resample(X, y)
    assert np.bincount(yr).tolist() == [170, 85]
    _, yr = Resampler(method="under", ratio=0.5).fit_resample(X, y)
    assert np.bincount(yr).tolist() == [60, 30]


def test_smote_synthesises_between_minority_neighbours(imbalanced):
    X, y = imbalanced
    Xe = OneHotEncoder().fit_transform(X)
    Xr, yr = Resampler(method="smote", seed=3).fit_resample(Xe, y)
    new = Xr.iloc[len(Xe) :]
    minority = Xe[y.to_numpy() == 1]
    assert new["x"].between(minority["x"].min(), minority["x"].max()).all()
    assert not new["x"].isin(minority["x"]).all()  # synthetic values, not copies
    onehot = new[["cat=a", "cat=b", "cat=c"]]
    assert set(np.unique(onehot)) <= {0.0, 1.0} and (onehot.sum(axis=1) == 1).all()
    assert new["gap"].notna().sum() > 0
    again, _ = Resampler(method="smote", seed=3).fit_resample(Xe, y)
    pd.testing.assert_frame_equal(Xr, again)  # the seed fixes the draws


def test_resampler_passes_rows_through_at_transform(imbalanced):
    X, y = imbalanced
    r = Resampler(method="over").fit(X, y)
    assert r.transform(X) is X


def test_regression_targets_are_refused():
    X = pd.DataFrame({"x": np.arange(50.0)})
    with pytest.raises(ValueError, match="classification"):
        Resampler().fit_resample(X, pd.Series(np.linspace(0, 1, 50)))


def test_class_weights(imbalanced):
    X, y = imbalanced
    cw = ClassWeights().fit(X, y)
    w = cw.sample_weight(y)
    assert w[y == 0].sum() == pytest.approx(w[y == 1].sum()) == pytest.approx(100)
    assert np.all(ClassWeights(power=0).fit(X, y).sample_weight(y) == 1)
    half = ClassWeights(power=0.5).fit(X, y).sample_weight(y)
    assert 1 < half[y == 1][0] < w[y == 1][0]
    _, yr = cw.resample_instead(X, y)
    assert np.bincount(yr).tolist() == [170, 170]
