"""ac.run and ac.tune end to end on the session's real local Ray."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

import automl_core as ac
from automl_core.results import TABLE_COLUMNS

pytestmark = pytest.mark.usefixtures("ray_session")


@pytest.fixture(scope="module")
def cancer():
    df = load_breast_cancer(as_frame=True).frame.sample(300, random_state=0)
    rng = np.random.default_rng(0)
    df["plan"] = rng.choice(["basic", "pro", None], len(df))
    df.loc[df.sample(20, random_state=1).index, "mean radius"] = np.nan
    return df


def test_run_returns_table_best_and_a_fitted_pipeline(cancer, tmp_path):
    res = ac.run(
        cancer,
        target="target",
        strategy="random",
        trials=6,
        seed=0,
        results_dir=tmp_path / "res",
        show_progress=False,
    )
    t = res.table
    assert list(t.columns[: len(TABLE_COLUMNS)]) == TABLE_COLUMNS
    assert len(t) == 6 and (t["status"] == "ok").all()
    assert t["trial_id"].tolist() == list(range(6))
    # parameters as real values: the model choice is a name, never an index
    assert set(t["param.model"]) <= {"logistic_regression", "random_forest", "svc"}
    assert res.best.score == t["score"].max()
    assert res.best.params["model"] == t.loc[t["score"].idxmax(), "param.model"]
    assert t["score_std"].notna().all() and t["fit_time_s"].gt(0).all()
    assert t["node"].notna().all() and t["seed"].nunique() == 6
    pred = res.best_pipeline.predict(cancer.drop(columns="target").head(7))
    assert len(pred) == 7 and set(pred) <= {0, 1}
    files = {p.name for p in (tmp_path / "res").iterdir()}
    assert {
        "table.csv",
        "table.parquet",
        "config.json",
        "best_pipeline.joblib",
        "info.json",
        "cleaners.toml",
    } <= files
    back = ac.Results.load(tmp_path / "res")
    pd.testing.assert_series_equal(back.table["score"], t["score"])
    assert back.config == res.config
    assert (back.best_pipeline.predict(cancer.drop(columns="target").head(7)) == pred).all()


def test_grid_and_random_give_the_same_columns(cancer):
    models = [
        {"kind": "svc", "C": {"type": "choice", "values": [0.1, 10.0]}},
        {"kind": "logistic_regression", "C": {"type": "choice", "values": [1.0]}},
    ]
    g = ac.run(
        cancer, target="target", strategy="grid", models=models, trials=10, show_progress=False
    )
    r = ac.run(
        cancer, target="target", strategy="random", models=models, trials=3, show_progress=False
    )
    assert list(g.table.columns) == list(r.table.columns)
    assert len(g.table) == 3  # the grid has 3 points; it ends before the 10-trial budget
    assert sorted(g.table["param.svc.C"].dropna()) == [0.1, 10.0]


def test_failed_and_nan_trials_are_rows_and_the_run_goes_on():
    def objective(p):
        if p["x"] == "raise":
            raise RuntimeError("this trial breaks")
        if p["x"] == "nan":
            return float("nan")
        return 1.0

    res = ac.tune(
        objective,
        {"x": ac.Choice(["raise", "nan", "ok"])},
        strategy="grid",
        trials=3,
        show_progress=False,
    )
    t = res.table.set_index("param.x")
    assert t.loc["raise", "status"] == "failed" and "this trial breaks" in t.loc["raise", "error"]
    assert t.loc["nan", "status"] == "failed" and "NaN" in t.loc["nan", "error"]
    assert t.loc["ok", "status"] == "ok" and res.best.params == {"x": "ok"}


def test_tune_any_function_with_metrics_and_epochs():
    def objective(params, report):
        acc = 0.0
        for epoch in range(1, 4):
            acc = 1 - abs(params["lr"] - 0.01) - 0.1 / epoch
            report(epoch=epoch, val_acc=acc, train_loss=1 / epoch)
        return {"val_acc": acc, "layers": params["layers"]}

    res = ac.tune(
        objective,
        {"lr": ac.Float(1e-4, 1e-1, log=True), "layers": ac.Int(1, 4)},
        strategy="random",
        trials=6,
        metric="val_acc",
        mode="max",
        seed=0,
        show_progress=False,
    )
    t = res.table
    assert (t["status"] == "ok").all()
    assert t["param.layers"].between(1, 4).all()
    assert pd.api.types.is_integer_dtype(t["param.layers"])
    assert (t["metric.layers"] == t["param.layers"]).all()
    h = res.history
    assert set(h["metric"]) >= {"val_acc", "train_loss"}
    assert h.groupby("trial_id")["epoch"].max().eq(3).all()
    best = t.loc[t["score"].idxmax()]
    assert res.best.trial_id == best["trial_id"]


def test_same_seed_same_table(cancer):
    kw = dict(
        target="target",
        strategy="random",
        trials=4,
        seed=7,
        show_progress=False,
        models=["logistic_regression", "random_forest"],
    )
    a = ac.run(cancer, **kw).table
    b = ac.run(cancer, **kw).table
    cols = ["trial_id", "score", "seed", "config_hash"] + [c for c in a if c.startswith("param.")]
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_math_threads_are_pinned_to_the_trial_cpus():
    def objective(p):
        from threadpoolctl import threadpool_info

        return float(max(i["num_threads"] for i in threadpool_info()) if threadpool_info() else 1)

    res = ac.tune(
        objective, {"x": ac.Choice([1, 2])}, strategy="grid", trials=2, show_progress=False
    )
    assert (res.table["score"] == 1.0).all()


def test_time_budget_alone(cancer):
    res = ac.run(
        cancer,
        target="target",
        time_budget_s=6,
        seed=0,
        show_progress=False,
        models=["logistic_regression"],
    )
    assert len(res.table) >= 1
    assert set(res.table["status"]) <= {"ok", "cancelled"}


def test_regularizers_reach_the_model(cancer):
    res = ac.run(
        cancer,
        target="target",
        trials=2,
        seed=0,
        show_progress=False,
        models=[{"kind": "logistic_regression", "regularizers": [{"kind": "l1", "strength": 0.5}]}],
    )
    est = res.best_pipeline.steps[-1][1]
    assert est.l1_ratio == 1.0 and math.isclose(est.C, 2.0)


def test_bad_table_is_a_clear_error(cancer):
    with pytest.raises(ac.DataError, match="'nope' is not in the table"):
        ac.run(cancer, target="nope", trials=1, show_progress=False)


def test_compare_runs_each_strategy_on_the_same_folds(cancer):
    models = [{"kind": "svc", "C": {"type": "choice", "values": [0.1, 10.0]}}]
    cmp = ac.compare(
        cancer,
        "target",
        strategies=["grid", "random"],
        trials=3,
        seed=1,
        models=models,
        show_progress=False,
    )
    assert set(cmp.table["strategy"]) == {"grid", "random"}
    assert len(cmp.table) == 5  # the grid has 2 points, random runs its 3 trials
    for _, c in cmp.per_trial.groupby("strategy"):
        assert c["best_so_far"].is_monotonic_increasing
    assert {"strategy", "finished_s", "best_so_far"} <= set(cmp.per_second.columns)
    assert cmp.summary()["best_score"].notna().all()
    # same folds: the same C scores exactly the same under both strategies (SVC is deterministic)
    grid = cmp.results["grid"].table.set_index("param.svc.C")["score"]
    for _, row in cmp.results["random"].table.iterrows():
        assert row["score"] == grid.loc[row["param.svc.C"]]


def test_cleaning_gain_is_measured_on_the_same_folds(tmp_path):
    from automl_core.data.datasets import make_churn

    df = make_churn(n_rows=600, seed=1)
    res = ac.run(
        df,
        target="churn_label",
        trials=2,
        seed=0,
        cleaning_gain=True,
        models=["logistic_regression"],
        show_progress=False,
        results_dir=tmp_path,
    )
    gain = res.info["cleaning_gain"]
    best = res.table.loc[res.table["trial_id"] == res.best.trial_id].iloc[0]
    # the cleaned side is the best trial's own pipeline on the same folds: the same score
    assert gain["cleaned_score"] == pytest.approx(best["score"])
    assert gain["gain"] == pytest.approx(gain["cleaned_score"] - gain["baseline_score"])
    assert res.info["duplicates_dropped"] > 0
    chain = (tmp_path / "cleaners.toml").read_text()
    assert 'kind = "datetime"' in chain and 'kind = "drop_duplicates"' in chain
    # the chain written there runs again as it is
    from automl_core.data.autoclean import load_chain

    assert [c.kind for c in load_chain(chain)] == [c.kind for c in res.config.cleaners]
