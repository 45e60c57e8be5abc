"""Example data shaped like the real thing, for tests, benchmarks and the demo."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["make_churn", "CHURN_TARGET"]

CHURN_TARGET = "churn_label"
#: the generated table's "today": activity is measured back from here (fixed: reproducible)
_NOW = pd.Timestamp("2024-06-30 23:59:59").value // 10**9
_PLANS = ["free", "basic", "pro", "enterprise"]
_PLAN_P = [0.45, 0.30, 0.20, 0.05]
_COUNTRIES = ["US", "DE", "FR", "GB", "ES", "IT", "NL", "BR", "IN", "JP", "IS", "LU"]
_COUNTRY_P = [0.30, 0.15, 0.12, 0.10, 0.08, 0.07, 0.05, 0.05, 0.04, 0.03, 0.006, 0.004]


def _solve_intercept(logit: np.ndarray, rate: float) -> float:
    """The intercept that makes the mean churn probability ``rate`` (bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(1 / (1 + np.exp(-(logit + mid)))) < rate:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def make_churn(
    n_rows: int = 5000,
    seed: int = 0,
    churn_rate: float = 0.15,
    duplicate_share: float = 0.02,
    missing_share: float = 0.08,
    outlier_share: float = 0.01,
) -> pd.DataFrame:
    """A subscription churn table with the mess of a real export.

    Columns: ``user_id`` (unique integer id), ``signup_date`` (``YYYY-MM-DD`` text),
    ``last_activity`` (unix seconds), ``plan`` and ``country`` (text categories, two rare
    countries), ``monthly_usage_hours`` (gaps and a few huge outliers), ``sessions_30d`` and
    ``avg_session_minutes`` (gaps), ``support_tickets``, ``payment_failures``, ``auto_renew``
    (boolean), ``schema_version`` (constant), and the target ``churn_label`` (0/1, about
    ``churn_rate`` churners). ``duplicate_share`` of the ``n_rows`` rows are exact copies of
    other rows. Churn depends on inactivity, usage, tickets, payment failures, plan and auto
    renewal, so cleaning and models have something to find. The same seed gives the same table.
    """
    if n_rows < 10:
        raise ValueError("make_churn needs n_rows >= 10")
    rng = np.random.default_rng(seed)
    n_dup = int(round(n_rows * duplicate_share))
    n = n_rows - n_dup
    plan = rng.choice(len(_PLANS), size=n, p=_PLAN_P)
    country = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P)
    tenure_days = rng.gamma(2.0, 250.0, size=n).astype(np.int64) + 30
    inactive_days = rng.exponential(12.0, size=n)
    inactive_days = np.minimum(inactive_days, tenure_days - 1)
    last_activity = (_NOW - inactive_days * 86400 - rng.integers(0, 86400, size=n)).astype(np.int64)
    signup = pd.to_datetime(_NOW - tenure_days * 86400, unit="s").strftime("%Y-%m-%d")
    plan_boost = np.array([0.6, 1.0, 1.5, 2.2])[plan]
    usage = rng.gamma(2.0, 10.0, size=n) * plan_boost * np.exp(-inactive_days / 60)
    sessions = rng.poisson(np.maximum(usage / 1.5, 0.2)).astype(np.float64)
    avg_minutes = np.clip(rng.normal(25, 8, size=n), 1, None)
    tickets = rng.poisson(0.6, size=n)
    failures = rng.poisson(np.where(plan == 0, 0.05, 0.25), size=n)
    auto_renew = rng.random(n) < np.array([0.2, 0.6, 0.7, 0.9])[plan]

    logit = (
        0.07 * inactive_days
        - 0.04 * usage
        + 0.45 * tickets
        + 0.9 * failures
        + np.array([0.7, 0.0, -0.4, -1.2])[plan]
        - 0.8 * auto_renew
        + rng.normal(0, 0.5, size=n)
    )
    b0 = _solve_intercept(logit, churn_rate)
    churn = (rng.random(n) < 1 / (1 + np.exp(-(logit + b0)))).astype(np.int64)

    def gaps(values: np.ndarray, share: float) -> np.ndarray:
        values = values.astype(np.float64)
        values[rng.random(n) < share] = np.nan
        return values

    usage_obs = usage.copy()
    spikes = rng.random(n) < outlier_share
    usage_obs[spikes] *= rng.uniform(20, 60, size=int(spikes.sum()))  # logging glitches
    df = pd.DataFrame(
        {
            "user_id": rng.choice(9_000_000, size=n, replace=False) + 1_000_000,
            "signup_date": signup,
            "last_activity": last_activity,
            "plan": np.array(_PLANS)[plan],
            "country": np.array(_COUNTRIES)[country],
            "monthly_usage_hours": gaps(np.round(usage_obs, 2), missing_share),
            "sessions_30d": gaps(sessions, missing_share / 2),
            "avg_session_minutes": gaps(np.round(avg_minutes, 1), missing_share),
            "support_tickets": tickets,
            "payment_failures": failures,
            "auto_renew": auto_renew,
            "schema_version": np.full(n, 2, dtype=np.int64),
            CHURN_TARGET: churn,
        }
    )
    if n_dup:
        copies = df.iloc[rng.choice(n, size=n_dup, replace=True)]
        df = pd.concat([df, copies], ignore_index=True)
        df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    return df
