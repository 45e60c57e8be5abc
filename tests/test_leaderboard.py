"""``Results.leaderboard()``: the best trial of each model, best first (issue 16 item 4)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

import automl_core as ac
from automl_core.config import parse_config
from automl_core.report.leaderboard import LEADERBOARD_COLUMNS


def _table(rows: list[tuple]) -> pd.DataFrame:
    """A trial table: (trial_id, model, status, score, score_std, fit_time_s, predict_time_s)."""
    cols = ["trial_id", "param.model", "status", "score", "score_std", "fit_time_s"]
    cols.append("metric.predict_time_s")
    t = pd.DataFrame(rows, columns=cols)
    t["strategy"] = "random"
    return t


def test_the_best_trial_of_each_model_of_a_real_run(ray_session, tmp_path):
    df = load_breast_cancer(as_frame=True).frame.sample(200, random_state=0)
    res = ac.run(
        df,
        target="target",
        strategy="random",
        trials=6,
        folds=3,
        seed=0,
        models=[
            {"kind": "logistic_regression", "C": {"type": "float", "low": 0.01, "high": 10}},
            {"kind": "random_forest", "n_estimators": {"type": "int", "low": 5, "high": 20}},
        ],
        results_dir=tmp_path / "res",
        show_progress=False,
    )
    board = res.leaderboard()
    assert list(board.columns) == LEADERBOARD_COLUMNS
    t = res.table[res.table["status"] == "ok"]
    assert set(board["model"]) == set(t["param.model"])
    assert board["score"].is_monotonic_decreasing  # accuracy: best first
    for row in board.itertuples():
        mine = t[t["param.model"] == row.model]
        assert row.score == mine["score"].max() and row.trials == len(mine)
        best = t[t["trial_id"] == row.trial_id].iloc[0]
        assert best["param.model"] == row.model and best["fit_time_s"] == row.fit_time_s
        assert row.fit_time_s > 0 and row.score_std == best["score_std"]
    assert board.iloc[0]["trial_id"] == res.best.trial_id
    again = ac.Results.load(tmp_path / "res").leaderboard()  # the same from the saved folder
    pd.testing.assert_frame_equal(again, board)


def test_a_run_of_one_model_names_it_from_the_config():
    cfg = parse_config({"target": "y", "task": "classification", "models": ["svc"]})
    table = _table([(0, None, "ok", 0.9, 0.01, 0.2, 0.01), (1, None, "ok", 0.8, 0.02, 0.1, 0.01)])
    res = ac.Results(table=table.drop(columns="param.model"), metric="accuracy", mode="max",
                     config=cfg)  # fmt: skip
    board = res.leaderboard()
    assert board["model"].tolist() == ["svc"] and board["trials"].tolist() == [2]
    assert board["predict_time_s"].tolist() == [0.01]


def test_an_error_metric_goes_lowest_first_with_the_autopilots_ensemble():
    table = _table(
        [
            (0, "knn", "ok", 3.0, 0.1, 1.0, 0.05),
            (1, "ridge", "ok", 2.0, 0.2, 0.5, 0.01),
            (2, "knn", "ok", 2.5, 0.3, 1.5, 0.06),
            (3, "ridge", "failed", None, None, None, None),
            (4, "svr", "ok", float("nan"), None, 0.3, None),  # no finite score: not a row
        ]
    )
    # as info.json gives it back: trial ids as text, the out-of-fold score higher-is-better
    info = {"autopilot": {"ensemble": {"1": 2, "2": 1}, "ensemble_oof_score": -1.8}}
    board = ac.Results(table=table, metric="rmse", mode="min", info=info).leaderboard()
    assert board["model"].tolist() == ["ensemble", "ridge", "knn"]
    ens = board.iloc[0]
    assert ens["score"] == 1.8 and math.isnan(ens["score_std"]) and ens["trials"] == 2
    assert ens["fit_time_s"] == 0.5 + 1.5 and ens["predict_time_s"] == pytest.approx(0.07)
    assert ens["trial_id"] is pd.NA
    knn = board.set_index("model").loc["knn"]
    assert knn["score"] == 2.5 and knn["trial_id"] == 2 and knn["trials"] == 2


def test_no_scored_trial_gives_an_empty_board_with_its_columns():
    table = _table([(0, "knn", "failed", None, None, None, None)])
    board = ac.Results(table=table, metric="accuracy", mode="max").leaderboard()
    assert board.empty and list(board.columns) == LEADERBOARD_COLUMNS


def test_trials_without_a_predict_time_leave_it_missing():
    table = _table([(0, "knn", "ok", 0.9, 0.1, 1.0, None)]).drop(columns="metric.predict_time_s")
    board = ac.Results(table=table, metric="accuracy", mode="max").leaderboard()
    assert np.isnan(board["predict_time_s"].iloc[0])
