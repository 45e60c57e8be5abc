"""Permutation importance of each input column to a fitted pipeline (issue 16 item 4): on the
test split, out of fold, within a time cap, recorded on the results. The chart is in
``test_report.py``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

import automl_core as ac
from automl_core.evaluation.cv import make_folds
from automl_core.report import permutation_importance
from automl_core.report.feature_importance import record_feature_importance


def _iris_split():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    df = load_iris(as_frame=True).frame
    rng = np.random.default_rng(0)
    df["noise"] = rng.normal(size=len(df))  # unrelated to the species
    df["row_id"] = np.arange(len(df))  # an id column: the automatic cleaning drops it
    X, y = df.drop(columns="target"), df["target"]
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)


def _fitted_iris_pipeline(X, y):
    """A real pipeline as a run builds it: the automatic cleaning chain, then an SVC."""
    from automl_core.data.autoclean import default_cleaners
    from automl_core.evaluation.pipeline import build_pipeline
    from automl_core.plugins import get_registry
    from automl_core.search.config_space import Resolved

    cleaners = [c for c in default_cleaners(X, y, "classification") if c.stage == "pipeline"]
    svc = get_registry().get("model", "svc")(C=10.0)
    return build_pipeline(Resolved(cleaners, svc, [], "svc"), "classification", seed=0).fit(X, y)


def test_feature_importance_on_the_test_split_of_a_real_pipeline():
    X_tr, X_te, y_tr, y_te = _iris_split()
    pipe = _fitted_iris_pipeline(X_tr, y_tr)
    imp = permutation_importance(pipe, X_te, y_te, "accuracy", n_repeats=5, seed=0)
    assert list(imp.columns) == ["feature", "importance", "importance_std"]
    assert set(imp["feature"]) == set(X_te.columns)
    assert imp["importance"].is_monotonic_decreasing
    by = imp.set_index("feature")["importance"]
    # the petals carry the species; the id column never reaches the model; noise barely moves it
    assert imp["feature"].iloc[0].startswith("petal") and by.iloc[0] > 0.1
    assert by["row_id"] == 0.0 and abs(by["noise"]) < 0.05
    assert imp.attrs["on"] == "test" and imp.attrs["rows"] == len(X_te)
    assert imp.attrs["baseline"] == pytest.approx(pipe.score(X_te, y_te))
    # the same seed gives the same figures
    again = permutation_importance(pipe, X_te, y_te, "accuracy", n_repeats=5, seed=0)
    pd.testing.assert_frame_equal(imp, again)


def test_feature_importance_out_of_fold_without_a_test_split():
    X, _, y, _ = _iris_split()
    pipe = _fitted_iris_pipeline(X, y)  # refit on every training row: scoring it there would lie
    folds = make_folds(y, "classification", 3, True, None, seed=0)
    imp = permutation_importance(pipe, X, y, "accuracy", folds=folds, n_repeats=3, max_rows=20)
    assert imp.attrs["on"] == "out-of-fold" and imp.attrs["rows"] == 20  # one fold, subsampled
    assert imp.set_index("feature")["importance"]["row_id"] == 0.0
    with pytest.raises(ValueError, match="unknown metric 'acc'"):
        permutation_importance(pipe, X, y, "acc")


def test_feature_importance_for_an_error_metric_is_the_error_added():
    df = load_diabetes(as_frame=True).frame
    X, y = df.drop(columns="target"), df["target"]
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=0.1).fit(X.iloc[:300], y.iloc[:300])
    imp = permutation_importance(model, X.iloc[300:], y.iloc[300:], "rmse", n_repeats=3)
    assert imp.attrs["baseline"] > 0  # rmse itself, not its negation
    assert imp["importance"].iloc[0] > 1.0  # shuffling the best column adds rmse


def test_a_run_records_the_importance_on_its_test_split_or_out_of_fold():
    X, X_te, y, y_te = _iris_split()
    pipe = _fitted_iris_pipeline(X, y)
    res = ac.Results(table=pd.DataFrame(), metric="accuracy", mode="max", best_pipeline=pipe)
    assert record_feature_importance(res, X, y) is None  # neither a test split nor folds
    imp = record_feature_importance(res, X, y, X_te, y_te, seed=1, n_repeats=2)
    assert res.feature_importance is imp and res.info["feature_importance"]["on"] == "test"
    assert res.info["feature_importance"]["rows"] == len(X_te)
    json.dumps(res.info)  # info.json takes it as it is
    folds = make_folds(y, "classification", 3, True, None, seed=0)
    record_feature_importance(res, X, y, folds=folds, seed=1, n_repeats=2)
    assert res.info["feature_importance"]["on"] == "out-of-fold"
    assert res.info["feature_importance"]["rows"] == len(folds[0][1])


def test_feature_importance_cuts_repeats_then_rows_to_keep_its_time():
    df = load_diabetes(as_frame=True).frame
    X, y = df.drop(columns="target"), df["target"]
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=0.1).fit(X.iloc[:200], y.iloc[:200])
    Xt, yt = X.iloc[200:], y.iloc[200:]  # 242 rows, 10 columns
    full = permutation_importance(model, Xt, yt, "r2", n_repeats=4)
    assert (full.attrs["repeats"], full.attrs["rows"]) == (4, 242)
    tight = permutation_importance(model, Xt, yt, "r2", n_repeats=4, max_seconds=1e-9)
    assert (tight.attrs["repeats"], tight.attrs["rows"]) == (1, 100)  # MIN_ROWS
    roomy = permutation_importance(model, Xt, yt, "r2", n_repeats=4, max_seconds=600)
    pd.testing.assert_frame_equal(roomy, full)


class _CountingForest:
    """A real random forest (``n_jobs=2``, as a trial builds one) that counts its predictions."""

    calls = 0

    @classmethod
    def make(cls):
        from sklearn.ensemble import RandomForestClassifier

        class Counting(RandomForestClassifier):
            def predict_proba(self, X):
                cls.calls += 1
                return super().predict_proba(X)

        return Counting(n_estimators=60, n_jobs=2, random_state=0)


def _one_by_one(est, X, y, metric, n_repeats, seed):
    """The importance as a plain loop computes it: one scorer call per shuffled copy."""
    from sklearn.metrics import get_scorer

    from automl_core.evaluation.metrics import METRICS

    scorer, rng = get_scorer(METRICS[metric].scorer), np.random.default_rng(seed)
    base = scorer(est, X, y)
    out = {}
    for col in X.columns:
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled[col] = X[col].array.take(rng.permutation(len(X)))
            drops.append(base - scorer(est, shuffled, y))
        out[str(col)] = (np.mean(drops), np.std(drops))
    return out


@pytest.mark.parametrize("metric", ["accuracy", "log_loss"])
@pytest.mark.parametrize("batch_cells", [2_000_000, 1_000])
def test_shuffled_copies_are_predicted_in_batches_with_the_figures_of_one_by_one_scoring(
    monkeypatch, metric, batch_cells
):
    from automl_core.report import feature_importance as fi

    monkeypatch.setattr(fi, "BATCH_CELLS", batch_cells)
    X_tr, X_te, y_tr, y_te = _iris_split()  # 45 test rows, 6 columns
    model = _CountingForest.make().fit(X_tr, y_tr)
    _CountingForest.calls = 0
    imp = permutation_importance(model, X_te, y_te, metric, n_repeats=4, seed=3)
    copies = 6 * 4
    per_batch = max(1, batch_cells // X_te.size)
    batches = -(-copies // per_batch)
    assert _CountingForest.calls == 1 + batches  # the baseline, then one call per batch
    assert batches == (1 if batch_cells > 10_000 else 8)  # 1 000 cells: 3 copies of 270
    expected = _one_by_one(model, X_te, y_te, metric, 4, seed=3)
    for row in imp.itertuples():
        mean, std = expected[row.feature]
        assert row.importance == pytest.approx(mean, abs=1e-12)
        assert row.importance_std == pytest.approx(std, abs=1e-12)


def test_a_shuffled_column_keeps_its_dtype():
    """The pipeline sees the dtypes it was fitted on: a categorical column stays categorical."""
    from sklearn.base import BaseEstimator, RegressorMixin

    class DtypeStrict(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            self.dtypes_ = X.dtypes.copy()
            self.mean_ = float(np.mean(y))
            return self

        def predict(self, X):
            assert X.dtypes.equals(self.dtypes_), X.dtypes
            return np.where(X["colour"] == "red", self.mean_ + 1, self.mean_ - 1)

    rng = np.random.default_rng(0)
    colour = pd.Categorical(rng.choice(["red", "blue"], 200))
    X = pd.DataFrame({"colour": colour, "size": pd.array(rng.integers(0, 9, 200), "Int64")})
    y = pd.Series(np.where(X["colour"] == "red", 1.0, -1.0) + rng.normal(0, 0.1, 200))
    imp = permutation_importance(DtypeStrict().fit(X, y), X, y, "r2", n_repeats=2)
    by = imp.set_index("feature")["importance"]
    assert by["colour"] > 0.5 and by["size"] == 0.0


def test_a_model_without_an_instance_dict_is_scored_copy_by_copy():
    class Slotted:
        """A fitted rule with __slots__ (and no base class without them): no instance dict."""

        __slots__ = ("calls",)

        def __init__(self):
            self.calls = 0

        def __sklearn_tags__(self):
            from sklearn.utils import Tags, TargetTags

            return Tags(estimator_type="regressor", target_tags=TargetTags(required=True))

        def predict(self, X):
            self.calls += 1
            return 2.0 * X["a"].to_numpy()

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
    model = Slotted()
    imp = permutation_importance(model, X, 2.0 * X["a"], "r2", n_repeats=3)
    assert model.calls == 1 + 2 * 3  # the baseline, then one call per shuffled copy
    by = imp.set_index("feature")["importance"]
    assert by["a"] > 1.0 and by["b"] == 0.0


def test_a_batch_is_sized_by_the_cells_the_model_receives():
    """A step that widens each row (as an image loader turns a path into pixels) sizes the
    batches: 600 rows x 1 column become 600 x 1 000 cells inside, more than a batch holds."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from automl_core.report import feature_importance as fi

    class CountingRidge(Ridge):
        calls = 0

        def predict(self, X):
            CountingRidge.calls += 1
            return super().predict(X)

    widen = FunctionTransformer(lambda X: np.repeat(X.to_numpy(float), 1_000, axis=1) / 1_000)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=600)})
    y = 3 * X["a"]
    pipe = Pipeline([("widen", widen), ("model", CountingRidge(alpha=1e-6))]).fit(X, y)
    assert fi._cells_per_row(pipe, X) == 1_000
    CountingRidge.calls = 0
    imp = permutation_importance(pipe, X, y, "r2", n_repeats=3)
    assert CountingRidge.calls == 1 + 3  # 600 000 cells a copy: one copy a call
    assert imp["importance"].iloc[0] > 1.0
    # the plain table of the same rows goes in one batch
    ridge = CountingRidge(alpha=1e-6).fit(X, y)
    CountingRidge.calls = 0
    permutation_importance(ridge, X, y, "r2", n_repeats=3)
    assert CountingRidge.calls == 1 + 1


def test_the_time_cap_times_no_more_copies_than_a_batch_holds(monkeypatch):
    """Under ``max_seconds`` one prediction of stacked copies is timed: never more copies than
    a batch would hold (a wide pipeline's copies are scored one a call, and so timed)."""
    from sklearn.linear_model import Ridge

    from automl_core.report import feature_importance as fi

    seen_rows = []

    class RowsRidge(Ridge):
        def predict(self, X):
            seen_rows.append(len(X))
            return super().predict(X)

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = X["a"] - X["b"]
    model = RowsRidge(alpha=1e-6).fit(X, y)
    permutation_importance(model, X, y, "r2", n_repeats=2, max_seconds=60)
    assert max(seen_rows) == 200 * 4  # the timed batch of 4 copies (all 4 copies in one batch)
    monkeypatch.setattr(fi, "BATCH_CELLS", 400)  # one copy (200 x 2 cells) a batch
    seen_rows.clear()
    permutation_importance(model, X, y, "r2", n_repeats=2, max_seconds=60)
    assert max(seen_rows) == 200
