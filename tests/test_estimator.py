"""AutoMLClassifier / AutoMLRegressor as scikit-learn estimators, on the session's local Ray."""

from __future__ import annotations

import inspect

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import automl_core as ac
from automl_core import AutoMLClassifier, AutoMLRegressor
from automl_core.data.check import DataError
from automl_core.interfaces.estimator import _as_frame

pytestmark = pytest.mark.usefixtures("ray_session")

FAST = {"models": ["logistic_regression"], "folds": 2}


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.mark.parametrize("cls", [AutoMLClassifier, AutoMLRegressor])
def test_init_only_stores_params_so_clone_and_set_params_work(cls):
    est = cls(trials=3, models=["random_forest"], seed=7)
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert sorted(est.get_params()) == sorted(names)
    twin = clone(est)
    assert twin is not est and twin.get_params() == est.get_params()
    assert est.set_params(trials=5, strategy="grid") is est
    assert est.get_params()["trials"] == 5 and est.strategy == "grid"
    assert not any(k.endswith("_") for k in vars(est))  # nothing learned before fit
    with pytest.raises(NotFittedError):
        est.predict(np.zeros((2, 3)))
    assert is_classifier(est) == (cls is AutoMLClassifier)
    assert is_regressor(est) == (cls is AutoMLRegressor)


@pytest.mark.parametrize("cls", [AutoMLClassifier, AutoMLRegressor])
def test_docstrings_warn_that_loading_a_pickle_runs_code(cls):
    assert "only load files you trust" in cls.__doc__


def test_column_names_become_strings():
    assert list(_as_frame(np.zeros((2, 3))).columns) == ["x0", "x1", "x2"]
    assert list(_as_frame(pd.DataFrame({0: [1], "b": [2]})).columns) == ["0", "b"]


def test_cross_val_score_runs_an_experiment_per_fold(iris):
    X, y = iris
    scores = cross_val_score(AutoMLClassifier(trials=3, **FAST), X, y, cv=2)
    assert len(scores) == 2 and scores.min() > 0.8


def test_last_step_of_a_pipeline_and_joblib_round_trip(iris, tmp_path):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), AutoMLClassifier(trials=2, **FAST)).fit(X, y)
    auto = pipe[-1]
    assert list(auto.classes_) == [0, 1, 2] and auto.n_features_in_ == 4
    proba = pipe.predict_proba(X[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)
    assert pipe.score(X, y) > 0.8
    assert isinstance(auto.results_, ac.Results) and len(auto.results_.table) == 2
    assert auto.best_score_ == auto.results_.best.score

    joblib.dump(pipe, tmp_path / "pipe.joblib")
    loaded = joblib.load(tmp_path / "pipe.joblib")
    assert (loaded.predict(X) == pipe.predict(X)).all()
    assert loaded[-1].results_.table.equals(auto.results_.table)
    # the run's config travels as its JSON form (its class is built at runtime)
    assert loaded[-1].results_.config["task"] == "classification"

    joblib.dump(auto.best_pipeline_, tmp_path / "best.joblib")
    best = joblib.load(tmp_path / "best.joblib")
    Xs = pd.DataFrame(StandardScaler().fit(X).transform(X), columns=["x0", "x1", "x2", "x3"])
    assert (best.predict(Xs) == auto.best_pipeline_.predict(Xs)).all()


def test_regressor_on_a_dataframe_keeps_feature_names(tmp_path):
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    est = AutoMLRegressor(trials=2, models=["linear_regression"], folds=2).fit(X, y)
    assert list(est.feature_names_in_) == list(X.columns)
    assert est.score(X, y) > 0.3
    # columns in another order are put back in the order seen in fit
    assert np.allclose(est.predict(X[X.columns[::-1]]), est.predict(X))
    # a missing column is a DataError naming it (tests/test_harden_predict.py has the rest)
    with pytest.raises(DataError, match=r"columns \['bp', 's1'.*missing here"):
        est.predict(X.iloc[:, :3])
    with pytest.raises(ValueError, match="X has 3 features, but AutoMLRegressor is expecting 10"):
        est.predict(X.to_numpy()[:, :3])
    assert not hasattr(est, "predict_proba")
    est2 = joblib.load(joblib.dump(est, tmp_path / "reg.joblib")[0])
    assert np.allclose(est2.predict(X), est.predict(X))
