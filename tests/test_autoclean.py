"""The automatic chain: built from the data, readable, written and read back as TOML."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from automl_core.config import parse_config
from automl_core.data.autoclean import (
    apply_dataset_stage,
    default_cleaners,
    describe_chain,
    dump_chain,
    load_chain,
)
from automl_core.data.check import validate_table
from automl_core.data.datasets import CHURN_TARGET, make_churn
from automl_core.evaluation.before_after import MinimalPreprocessor, compare_cleaning
from automl_core.evaluation.cv import cross_validate, make_folds
from automl_core.evaluation.pipeline import build_pipeline
from automl_core.plugins import get_registry
from automl_core.search.config_space import Resolved


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Models here are tiny: BLAS threads on a shared 2-core machine only slow them down."""
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def churn():
    X, y, task, _ = validate_table(make_churn(1000, seed=1), CHURN_TARGET)
    return X, y, task


def test_default_chain_on_the_churn_table(churn):
    X, y, task = churn
    chain = default_cleaners(X, y, task)
    kinds = [s.kind for s in chain]
    assert kinds == [
        "drop_duplicates",
        "datetime",
        "drop_columns",
        "impute",
        "scale",
        "one_hot",
        "class_weight",  # about 15% churners
    ]
    by_kind = {s.kind: s for s in chain}
    assert set(by_kind["datetime"].columns) == {"signup_date", "last_activity"}
    assert by_kind["drop_columns"].columns == ("user_id",)
    assert by_kind["drop_columns"].drop_constant  # schema_version goes at fit


def test_default_chain_adapts_to_the_table():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100), "b": rng.normal(size=100)})
    y = pd.Series(rng.normal(size=100))
    assert [s.kind for s in default_cleaners(X, y, "regression")] == [
        "drop_duplicates",
        "drop_columns",
        "impute",
        "scale",
    ]
    balanced = pd.Series([0, 1] * 50)
    assert "class_weight" not in [s.kind for s in default_cleaners(X, balanced, "classification")]


def test_default_chain_runs_end_to_end_and_drops_what_it_should(churn):
    X, y, task = churn
    chain = default_cleaners(X, y, task)
    X2, y2, info = apply_dataset_stage(chain, X, y, task)
    assert info["duplicates_dropped"] > 0 and len(X2) == len(X) - info["duplicates_dropped"]
    model = get_registry().get("model", "logistic_regression")()
    pipe = build_pipeline(Resolved(chain, model, [], "logistic_regression"), task, 0).fit(X2, y2)
    cleaned = pipe[:-1].transform(X2)
    assert "user_id" not in cleaned and "schema_version" not in cleaned
    assert "last_activity_elapsed" in cleaned and "plan=free" in cleaned
    assert cleaned.notna().all().all()
    assert set(cleaned.dtypes) == {np.dtype(np.float32), np.dtype(np.uint8)}  # scaled, one-hot
    folds = make_folds(y2, task, 3, True, None, 0)
    assert cross_validate(pipe, X2, y2, folds, "roc_auc")["score"] > 0.7


def test_describe_chain_is_readable(churn):
    X, y, task = churn
    text = describe_chain(default_cleaners(X, y, task), X)
    assert "1. drop_duplicates() [whole table, before the split]" in text
    assert "datetime(columns=['signup_date', 'last_activity'])" in text
    assert "drops user_id (named), schema_version (constant)" in text
    assert describe_chain([]) == "Cleaning chain: (none)"


def test_chain_round_trips_through_toml_and_json_and_into_a_config(churn):
    X, y, task = churn
    chain = default_cleaners(X, y, task)
    text = dump_chain(chain)
    assert "null" not in text and text.count("\n[[cleaners]]\n") == len(chain)
    assert load_chain(text) == chain
    assert load_chain(dump_chain(chain, "json"), "json") == chain
    import tomllib

    cfg = parse_config({"target": CHURN_TARGET, "task": task, **tomllib.loads(text)})
    assert list(cfg.cleaners) == chain


def test_minimal_preprocessor_only_makes_the_table_runnable():
    X = pd.DataFrame(
        {
            "n": [1.0, np.nan, 3.0],
            "c": ["b", "a", None],
            "when": pd.to_datetime(["2024-01-01", None, "2024-01-03"]),
        }
    )
    out = (
        MinimalPreprocessor()
        .fit(X)
        .transform(
            pd.DataFrame({"n": [np.nan], "c": ["zzz"], "when": pd.to_datetime(["2024-01-02"])})
        )
    )
    assert out.to_numpy().tolist() == [[2.0, -1.0, 1704153600.0]]


def test_before_after_on_the_same_folds(churn):
    X, y, task = churn
    chain = default_cleaners(X, y, task)
    X, y, _ = apply_dataset_stage(chain, X, y, task)
    folds = make_folds(y, task, 3, True, None, 0)
    model = get_registry().get("model", "logistic_regression")()
    result = compare_cleaning(
        X, y, task, "roc_auc", folds, Resolved(chain, model, [], "logistic_regression")
    )
    assert len(result["baseline_fold_scores"]) == len(result["cleaned_fold_scores"]) == 3
    assert result["gain"] == pytest.approx(result["cleaned_score"] - result["baseline_score"])
    assert result["gain"] > 0.05  # unscaled timestamps and raw codes hurt a linear model
    rmse = compare_cleaning(
        X.drop(columns=["plan"]),
        X["monthly_usage_hours"].fillna(0.0),
        "regression",
        "rmse",
        make_folds(y, "regression", 3, True, False, 0),
        Resolved(
            default_cleaners(X, y, "regression"),
            get_registry().get("model", "linear_regression")(),
            [],
            "linear_regression",
        ),
    )
    assert rmse["mode"] == "min"
    assert rmse["gain"] == pytest.approx(rmse["baseline_score"] - rmse["cleaned_score"])


def test_default_chain_handles_datetime_and_categorical_dtypes():
    n = 60
    X = pd.DataFrame(
        {
            "when": pd.date_range("2023-01-01", periods=n, freq="37h"),
            "grade": pd.Categorical(["a", "b", "c"] * 20, categories=["a", "b", "c", "unused"]),
            "flag": [True, False] * 30,
            "x": np.arange(n, dtype=float),
        }
    )
    y = pd.Series([0, 1, 1] * 20)
    chain = default_cleaners(X, y, "classification")
    assert [s.kind for s in chain][:2] == ["drop_duplicates", "datetime"]
    steps = [s.build("classification") for s in chain if s.stage == "pipeline"]
    out = X
    for step in steps:
        out = step.fit(out, y).transform(out)
    assert "when_hour" in out and "grade=unused" not in out and "flag=True" in out
    assert out.notna().all().all()


def test_describe_chain_shows_search_ranges():
    from automl_core.search.space import Choice

    impute = get_registry().get("cleaner", "impute")(numeric=Choice(["mean", "median"]))
    assert "numeric={'type': 'choice', 'values': ['mean', 'median']}" in describe_chain([impute])
