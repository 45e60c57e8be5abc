"""scikit-learn's own test suite (``check_estimator``) on the estimators and the cleaners.

Every check scikit-learn yields runs, through ``parametrize_with_checks``. The few that cannot
apply are marked expected-to-fail, with the reason, through scikit-learn's own mechanism
(``expected_failed_checks``), strictly: a check that starts passing fails the test, so the list
stays true. What those checks would have verified is tested directly below them.

The estimators run a real search for every check (about a hundred fits), so they get the
smallest real configuration: one trial of a linear model, 2 folds, on the warm local process
pool (``executor="local"``: trials start in milliseconds, where Ray Tune starts actors per run).

Image cleaners are not here: scikit-learn's checks feed 2-d tables of numbers, which are not
images (their tests are in ``test_cleaning_images.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl_core import AutoMLClassifier, AutoMLRegressor
from automl_core.data.cleaning import (
    ClassWeights,
    DatetimeFeatures,
    DropColumns,
    FrameTransformer,
    Imputer,
    NumericGuard,
    OneHotEncoder,
    OrdinalEncoder,
    OutlierClipper,
    Resampler,
    Scaler,
    StandardScaler,
)

TINY = {"trials": 1, "folds": 2, "executor": "local"}

ESTIMATORS = [
    AutoMLClassifier(models=["logistic_regression"], **TINY),
    AutoMLRegressor(models=["linear_regression"], **TINY),
    Imputer(),
    Scaler(),
    StandardScaler(),
    OneHotEncoder(),
    OrdinalEncoder(),
    OutlierClipper(),
    DropColumns(),
    DatetimeFeatures(),
    NumericGuard(),
    Resampler(),
    ClassWeights(),
]

#: checks that cannot apply, by class, with the reason (scikit-learn's expected_failed_checks)
DATAFRAME_OUT = (
    "transform returns a pandas DataFrame, which keeps each column's dtype (float32 input "
    "stays float32 where a cleaner passes a column through; Scaler writes float32, OneHot "
    "uint8); the check reads `X_trans.dtype`, which only an array has "
    "(test_output_dtypes_are_kept_per_column checks it instead)"
)
SCALER_NAME = (
    "scikit-learn's check calls set_params(with_mean=False) on any estimator named Scaler or "
    "StandardScaler (a special case for its own StandardScaler); ours has no with_mean. "
    "Sparse input is refused with a message naming it (test_sparse_input_is_refused_clearly)"
)
GUARD_DICT = (
    "NumericGuard takes numbers only (its tags say no strings), so the check puts a dict in a "
    "cell and wants numpy's TypeError 'argument must be a string or a number'; the guard "
    "refuses the column with a ValueError naming it and the cleaner that fixes it "
    "(test_numeric_guard_refuses_a_dict_cell_by_name)"
)


def expected_failed_checks(estimator) -> dict[str, str]:
    if not isinstance(estimator, FrameTransformer):
        return {}  # the estimators pass every check
    out = {"check_transformer_preserve_dtypes": DATAFRAME_OUT}
    if isinstance(estimator, Scaler):  # StandardScaler too
        out["check_estimator_sparse_array"] = SCALER_NAME
        out["check_estimator_sparse_matrix"] = SCALER_NAME
    if isinstance(estimator, NumericGuard):
        out["check_dtype_object"] = GUARD_DICT
    return out


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True
)
def test_sklearn_check(estimator, check):
    check(estimator)


# -- what the expected-to-fail checks would have verified, tested directly ---------------------


def test_output_dtypes_are_kept_per_column():
    X = pd.DataFrame(
        {
            "f32": np.array([1.0, np.nan, 3.0, 4.0], dtype=np.float32),
            "f64": [1.0, 2.0, np.nan, 4.0],
            "i": [1, 2, 3, 4],
            "c": ["a", "b", "a", None],
        }
    )
    out = Imputer().fit_transform(X)
    assert out.dtypes.to_dict() == {
        "f32": np.float32,
        "f64": np.float64,
        "i": np.int64,
        "c": X["c"].dtype,
    }
    for passthrough in (OutlierClipper(), DropColumns(drop_ids=False), Resampler()):
        assert (passthrough.fit_transform(X).dtypes == X.dtypes).all(), passthrough
    assert (Scaler().fit_transform(X)[["f32", "f64", "i"]].dtypes == np.float32).all()


@pytest.mark.parametrize("cls", [Scaler, StandardScaler])
@pytest.mark.parametrize("container", [sparse.csr_matrix, sparse.csc_array])
def test_sparse_input_is_refused_clearly(cls, container):
    X = container(np.eye(4))
    with pytest.raises(TypeError, match=f"{cls.__name__}: sparse input is not supported"):
        cls().fit(X)
    fitted = cls().fit(np.eye(4))
    with pytest.raises(TypeError, match="sparse input is not supported"):
        fitted.transform(X)


def test_numeric_guard_refuses_a_dict_cell_by_name():
    X = np.random.default_rng(0).uniform(size=(6, 3)).astype(object)
    NumericGuard().fit(X)  # numbers held as objects are numbers
    X[0, 1] = {"foo": "bar"}
    with pytest.raises(ValueError, match=r"columns \['1'\] still hold text"):
        NumericGuard().fit(X)


@pytest.mark.parametrize("cls", [AutoMLClassifier, AutoMLRegressor])
def test_estimator_tags_say_what_is_true(cls):
    """Gaps and infinities are cleaned (so allow_nan), text columns encoded, sparse refused."""
    tags = cls().__sklearn_tags__()
    assert tags.input_tags.allow_nan and tags.input_tags.string
    assert not tags.input_tags.sparse
    guard = NumericGuard().__sklearn_tags__()
    assert not guard.input_tags.allow_nan and not guard.input_tags.string
