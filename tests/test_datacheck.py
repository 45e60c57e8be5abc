"""Bad data gets a DataError naming the column and the problem, never a library trace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from automl_core.data.autoclean import default_cleaners
from automl_core.data.check import DataError, validate_features, validate_table
from automl_core.evaluation.pipeline import build_pipeline
from automl_core.plugins import get_registry
from automl_core.search.config_space import Resolved


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Models here are tiny: BLAS threads on a shared 2-core machine only slow them down."""
    with threadpool_limits(1):
        yield


def _table(n=40, **extra):
    rng = np.random.default_rng(0)
    data = {"x": rng.normal(size=n), "c": rng.choice(["a", "b"], size=n), "y": [0, 1] * (n // 2)}
    data.update(extra)
    return pd.DataFrame(data)


def test_a_clean_table_passes_untouched():
    X, y, task, info = validate_table(_table(), "y")
    assert task == "classification" and list(X.columns) == ["x", "c"] and len(y) == 40
    assert info == {"rows_without_target_dropped": 0}


@pytest.mark.parametrize(
    "df, message",
    [
        (pd.DataFrame(), "empty"),
        (pd.DataFrame({"x": [], "y": []}), "empty"),
        (_table(), "target column 'label' is not in the table"),
    ],
)
def test_empty_table_and_missing_target(df, message):
    with pytest.raises(DataError, match=message):
        validate_table(df, "label")


def test_target_with_one_class():
    with pytest.raises(DataError, match="target column 'y' has a single class"):
        validate_table(_table(y=[1] * 40), "y", "classification")


def test_rows_without_target_are_dropped_and_counted():
    df = _table()
    df.loc[[3, 7, 11], "y"] = np.nan
    X, y, _, info = validate_table(df, "y")
    assert info["rows_without_target_dropped"] == 3 and len(X) == len(y) == 37
    with pytest.raises(DataError, match="no values"):
        validate_table(_table(y=[np.nan] * 40), "y")


def test_text_in_a_numeric_column_names_column_value_and_row():
    values = [str(v) for v in np.arange(40) * 1.5]
    values[17] = "twelve"
    with pytest.raises(DataError) as err:
        validate_table(_table(amount=values), "y")
    msg = str(err.value)
    assert "'amount'" in msg and "'twelve'" in msg and "row 17" in msg


def test_gap_markers_in_a_numeric_column_become_gaps():
    values = [str(v) for v in range(40)]
    values[2], values[5] = "n/a", "?"
    X, _, _, info = validate_table(_table(amount=values), "y")
    assert X["amount"].dtype == np.float64 and X["amount"].isna().sum() == 2
    assert info["gap_markers_as_missing"] == {"amount": 2}


def test_text_columns_stay_text():
    X, *_ = validate_table(_table(), "y")
    assert X["c"].dtype != np.float64


def test_infinities_become_gaps_and_are_counted():
    x = np.arange(40.0)
    x[[1, 9]] = [np.inf, -np.inf]
    X, _, _, info = validate_table(_table(x=x), "y")
    assert X["x"].isna().sum() == 2 and info["infinities_as_missing"] == {"x": 2}
    target = np.linspace(0, 1, 40)
    target[4] = np.inf
    with pytest.raises(DataError, match="target column 'y' holds infinite values"):
        validate_table(_table(y=target), "y", "regression")


def test_entirely_empty_column_is_dropped_with_a_note():
    X, _, _, info = validate_table(_table(blank=[None] * 40), "y")
    assert "blank" not in X and info["empty_columns_dropped"] == ["blank"]
    df = pd.DataFrame({"blank": [np.nan] * 4, "y": [0, 1, 0, 1]})
    with pytest.raises(DataError, match="every feature column is empty"):
        validate_table(df, "y")


def test_duplicated_and_non_text_column_names():
    df = pd.DataFrame([[1, 2, 0], [3, 4, 1]] * 5, columns=["a", "a", "y"])
    with pytest.raises(DataError, match=r"more than once: \['a'\]"):
        validate_table(df, "y")
    df = pd.DataFrame(np.c_[np.arange(10.0), [0, 1] * 5], columns=[0, 1])
    X, _, _, info = validate_table(df, "1")
    assert list(X.columns) == ["0"] and info["columns_renamed_to_text"]


def test_regression_target_must_be_numeric():
    with pytest.raises(DataError, match="not numeric"):
        validate_table(_table(y=["a", "b"] * 20), "y", "regression")


def test_unseen_category_at_predict_time_is_handled():
    X, y, task, _ = validate_table(_table(), "y")
    reg = get_registry()
    chain = default_cleaners(X, y, task)
    model = reg.get("model", "logistic_regression")()
    pipe = build_pipeline(Resolved(chain, model, [], "logistic_regression"), task, 0).fit(X, y)
    new = pd.DataFrame({"x": [0.1, np.nan], "c": ["never-seen", None]})
    assert len(pipe.predict(validate_features(new, list(X.columns)))) == 2
    ordinal = [reg.get("cleaner", "impute")(), reg.get("cleaner", "ordinal")()]
    pipe = build_pipeline(Resolved(ordinal, model, [], "logistic_regression"), task, 0).fit(X, y)
    assert len(pipe.predict(new)) == 2


def test_predict_table_with_missing_columns():
    with pytest.raises(DataError, match=r"columns \['c'\] were in the training table"):
        validate_features(pd.DataFrame({"x": [1.0]}), ["x", "c"])
