"""The churn generator looks like a real export, reproducibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl_core.data.datasets import CHURN_TARGET, make_churn


@pytest.fixture(scope="module")
def churn():
    return make_churn(4000, seed=0)


def test_columns_and_types(churn):
    assert len(churn) == 4000
    assert list(churn.columns) == [
        "user_id",
        "signup_date",
        "last_activity",
        "plan",
        "country",
        "monthly_usage_hours",
        "sessions_30d",
        "avg_session_minutes",
        "support_tickets",
        "payment_failures",
        "auto_renew",
        "schema_version",
        CHURN_TARGET,
    ]
    assert churn["last_activity"].between(1.6e9, 1.72e9).all()  # unix seconds
    assert pd.to_datetime(churn["signup_date"], format="%Y-%m-%d").notna().all()
    assert set(churn["plan"]) == {"free", "basic", "pro", "enterprise"}
    assert churn["schema_version"].nunique() == 1


def test_the_mess_is_there(churn):
    assert 0.12 <= churn[CHURN_TARGET].mean() <= 0.18
    assert churn.duplicated().sum() == 80  # 2% exact copies
    assert churn.drop_duplicates()["user_id"].is_unique
    gaps = churn.isna().mean()
    assert 0.05 < gaps["monthly_usage_hours"] < 0.11 and gaps["plan"] == 0
    usage = churn["monthly_usage_hours"].dropna()
    q1, q3 = usage.quantile([0.25, 0.75])
    assert (usage > q3 + 3 * (q3 - q1)).sum() >= 10  # outliers
    assert churn["country"].value_counts(normalize=True).min() < 0.01  # rare categories


def test_same_seed_same_table_and_options():
    pd.testing.assert_frame_equal(make_churn(300, seed=5), make_churn(300, seed=5))
    assert not make_churn(300, seed=5).equals(make_churn(300, seed=6))
    small = make_churn(500, seed=1, churn_rate=0.4, duplicate_share=0.0, missing_share=0.0)
    assert small.duplicated().sum() == 0 and not small.isna().any().any()
    assert 0.33 < small[CHURN_TARGET].mean() < 0.47
    with pytest.raises(ValueError):
        make_churn(5)


def test_churn_is_learnable(churn):
    # inactivity drives churn: churners were active longer ago on average
    last = churn.groupby(CHURN_TARGET)["last_activity"].mean()
    assert last[1] < last[0]
    assert np.corrcoef(churn["payment_failures"], churn[CHURN_TARGET])[0, 1] > 0
