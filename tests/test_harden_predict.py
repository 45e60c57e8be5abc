"""Predicting on new rows (issue 15, item 9): extra columns, another order, infinities, a
missing column. Real fitted models: an ``ac.run`` on the session's Ray (its
``Results.best_pipeline``) and an ``AutoMLClassifier`` on the warm local pool."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import automl_core as ac
from automl_core import AutoMLClassifier
from automl_core.data.check import DataError

pytestmark = pytest.mark.usefixtures("ray_session")


def _table(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    y = 3 * x1 - 2 * x2 + (color == "red") + rng.normal(scale=0.1, size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": y})


@pytest.fixture(scope="module")
def reg():
    """A regression run (linear model: predictions move with every feature)."""
    res = ac.run(
        _table(), "y", models=["linear_regression"], trials=1, folds=2, show_progress=False
    )
    return res.best_pipeline


@pytest.fixture(scope="module")
def clf():
    df = _table()
    X, y = df.drop(columns="y"), (df["y"] > df["y"].median()).astype(int)
    return AutoMLClassifier(
        models=["logistic_regression"], trials=1, folds=2, executor="local"
    ).fit(X, y)


@pytest.fixture(scope="module")
def new_rows() -> pd.DataFrame:
    return _table(12, seed=1).drop(columns="y")


def test_fitted_pipeline_records_its_training_columns(reg):
    assert reg.training_columns_ == ["x1", "x2", "color"]
    assert reg.training_numeric_ == ["x1", "x2"]


def test_extra_columns_are_ignored(reg, clf, new_rows):
    extra = new_rows.assign(y=1.0, note="text nobody trained on", id=range(len(new_rows)))
    np.testing.assert_array_equal(reg.predict(extra), reg.predict(new_rows))
    np.testing.assert_array_equal(clf.predict(extra), clf.predict(new_rows))
    np.testing.assert_array_equal(clf.predict_proba(extra), clf.predict_proba(new_rows))
    assert clf.score(extra, clf.predict(new_rows)) == 1.0


def test_columns_in_another_order_are_matched_by_name(reg, clf, new_rows):
    shuffled = new_rows[["color", "x2", "x1"]]
    np.testing.assert_array_equal(reg.predict(shuffled), reg.predict(new_rows))
    np.testing.assert_array_equal(clf.predict_proba(shuffled), clf.predict_proba(new_rows))
    # a position-only array is the training columns in order; another width is an error
    np.testing.assert_array_equal(reg.predict(new_rows.to_numpy()), reg.predict(new_rows))
    with pytest.raises(DataError, match=r"X has 2 columns but the pipeline was fitted on 3"):
        reg.predict(new_rows[["x1", "x2"]].to_numpy())


def test_infinity_is_a_gap_as_in_training(reg, clf, new_rows):
    """Training turns infinities into gaps (datacheck.validate_table) that the imputer fills;
    predict does the same, so an infinite value predicts like a missing one, which predicts like
    the imputer's fill value (the training median)."""
    with_inf = new_rows.copy()
    with_inf.loc[0, "x1"], with_inf.loc[1, "x2"] = np.inf, -np.inf
    with_gap = new_rows.copy()
    with_gap.loc[0, "x1"], with_gap.loc[1, "x2"] = np.nan, np.nan
    pred = reg.predict(with_inf)
    assert np.isfinite(pred).all()
    np.testing.assert_array_equal(pred, reg.predict(with_gap))
    imputer = next(step for _, step in reg.steps if hasattr(step, "fill_"))
    with_fill = new_rows.copy()
    with_fill.loc[0, "x1"], with_fill.loc[1, "x2"] = imputer.fill_["x1"], imputer.fill_["x2"]
    np.testing.assert_allclose(pred, reg.predict(with_fill), rtol=1e-6)
    np.testing.assert_array_equal(clf.predict_proba(with_inf), clf.predict_proba(with_gap))
    assert new_rows.loc[0, "x1"] != np.inf  # the caller's table is left as it was


def test_a_missing_column_is_a_data_error_naming_it(reg, clf, new_rows):
    lacking = new_rows.drop(columns="x2")
    with pytest.raises(DataError, match=r"columns \['x2'\] were in the training table"):
        reg.predict(lacking)
    for method in (clf.predict, clf.predict_proba):
        with pytest.raises(DataError, match=r"columns \['x2'\] were in the training table"):
            method(lacking)
    # a renamed column: missing under its old name, and the message shows the new one
    renamed = new_rows.rename(columns={"color": "colour"})
    with pytest.raises(DataError, match=r"\['color'\].*not seen in training: \['colour'\]"):
        reg.predict(renamed)


def test_numbers_read_as_text_are_numbers_and_words_are_named(reg, new_rows):
    as_text = new_rows.astype({"x1": str})
    as_text.loc[2, "x1"] = "n/a"  # a gap marker: a gap, like NaN
    gap = new_rows.copy()
    gap.loc[2, "x1"] = np.nan
    np.testing.assert_allclose(reg.predict(as_text), reg.predict(gap), rtol=1e-6)
    worded = new_rows.astype({"x2": object})
    worded.loc[3, "x2"] = "twelve"
    with pytest.raises(DataError, match=r"column 'x2' .*'twelve' at row 3"):
        reg.predict(worded)
    # a text column whose new values look like numbers stays text (an unseen category)
    numeric_looking = new_rows.assign(color=["7"] * len(new_rows))
    assert np.isfinite(reg.predict(numeric_looking)).all()
