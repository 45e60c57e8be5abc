"""Cleaners learn from the training folds only, inside a real cross-validated evaluation.

The last pipeline step is a small real classifier that keeps a copy of what reaches it, so the
test sees the transformed training rows of each fold and the transformed validation rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from automl_core.data.cleaning import ClassWeights, Imputer, NumericGuard, Resampler, Scaler
from automl_core.evaluation.cv import cross_validate, make_folds
from automl_core.evaluation.pipeline import AutoPipeline

SEEN: dict[str, list] = {"fit": [], "weights": [], "predict": []}


class Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; records the frames (and weights) it is given."""

    def fit(self, X, y, sample_weight=None):
        SEEN["fit"].append((X.copy(), np.asarray(y).copy()))
        SEEN["weights"].append(None if sample_weight is None else np.asarray(sample_weight))
        values, counts = np.unique(y, return_counts=True)
        self.classes_, self.majority_ = values, values[np.argmax(counts)]
        return self

    def predict(self, X):
        SEEN["predict"].append(X.copy())
        return np.full(len(X), self.majority_)


class RecorderWithoutWeights(Recorder):
    def fit(self, X, y):
        return super().fit(X, y)


@pytest.fixture
def table():
    """60 rows; the validation rows of fold 0 hold extreme values and the gaps sit elsewhere."""
    rng = np.random.default_rng(1)
    n = 60
    y = pd.Series(np.r_[np.zeros(45, int), np.ones(15, int)], name="y")
    X = pd.DataFrame({"a": rng.normal(10, 2, n), "b": rng.normal(0, 1, n)})
    folds = make_folds(y, "classification", folds=3, shuffle=True, stratified=None, seed=0)
    tr, va = folds[0]
    X.loc[va, "a"] = 1e6  # if validation rows leaked into any statistic, it would show
    X.loc[tr[:5], "a"] = np.nan
    for v in SEEN.values():
        v.clear()
    return X, y, folds


def _fold0(X, y, folds):
    tr, va = folds[0]
    return X.iloc[tr], X.iloc[va]


def test_imputer_fill_comes_from_the_training_folds(table):
    X, y, folds = table
    pipe = AutoPipeline(
        [("impute", Imputer(numeric="mean")), ("guard", NumericGuard()), ("m", Recorder())]
    )
    cross_validate(pipe, X, y, folds, "accuracy", train_score=False)
    train, _ = _fold0(X, y, folds)
    expected = train["a"].mean()  # pandas skips the gaps; no validation row inside
    assert expected < 100
    fitted_rows, _ = SEEN["fit"][0]
    gaps = train["a"].isna().to_numpy()
    np.testing.assert_allclose(fitted_rows["a"].to_numpy()[gaps], expected)


def test_scaler_statistics_come_from_the_training_folds(table):
    X, y, folds = table
    X = X.fillna(10.0)
    pipe = AutoPipeline([("scale", Scaler()), ("guard", NumericGuard()), ("m", Recorder())])
    cross_validate(pipe, X, y, folds, "accuracy", train_score=False)
    train, valid = _fold0(X, y, folds)
    fitted_rows, _ = SEEN["fit"][0]
    # the training rows come out with mean 0 and std 1: their own statistics, nobody else's
    assert fitted_rows["a"].mean() == pytest.approx(0, abs=1e-5)
    assert fitted_rows["a"].std(ddof=0) == pytest.approx(1, abs=1e-5)
    # the validation rows are scaled with the training statistics
    mean, std = train["a"].mean(), train["a"].std(ddof=0)
    np.testing.assert_allclose(SEEN["predict"][0]["a"], (valid["a"] - mean) / std, rtol=1e-5)


def test_resampling_touches_training_rows_only(table):
    X, y, folds = table
    X = X.fillna(0.0)
    pipe = AutoPipeline(
        [("resample", Resampler(method="smote")), ("guard", NumericGuard()), ("m", Recorder())]
    )
    cross_validate(pipe, X, y, folds, "accuracy", train_score=False)
    for (tr, va), (fitted_X, fitted_y), predicted in zip(folds, SEEN["fit"], SEEN["predict"]):
        assert len(fitted_X) > len(tr)
        assert np.bincount(fitted_y).tolist() == [np.sum(y.iloc[tr] == 0)] * 2
        pd.testing.assert_frame_equal(predicted, X.iloc[va])  # validation rows as they were


def test_class_weights_reach_the_model_or_become_oversampling(table):
    X, y, folds = table
    X = X.fillna(0.0)
    pipe = AutoPipeline([("cw", ClassWeights()), ("m", Recorder())])
    cross_validate(pipe, X, y, folds, "accuracy", train_score=False)
    (fitted_X, fitted_y), w = SEEN["fit"][0], SEEN["weights"][0]
    assert len(fitted_X) == len(folds[0][0])
    assert w[fitted_y == 0].sum() == pytest.approx(w[fitted_y == 1].sum())
    for v in SEEN.values():
        v.clear()
    pipe = AutoPipeline([("cw", ClassWeights()), ("m", RecorderWithoutWeights())])
    cross_validate(pipe, X, y, folds, "accuracy", train_score=False)
    _, fitted_y = SEEN["fit"][0]
    assert np.bincount(fitted_y)[0] == np.bincount(fitted_y)[1]
    assert len(SEEN["predict"][0]) == len(folds[0][1])
