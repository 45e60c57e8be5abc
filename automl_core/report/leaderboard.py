"""The leaderboard: the best trial of each model, best first (AutoGluon's ``leaderboard()``).

A model is a model choice of the run (its label: the kind, ``svc_2`` for a second svc). Each row
is that model's best successful trial, with its cross-validated score and the spread over the
folds, the seconds its fit took (summed over the folds) and its prediction of the validation
rows took (summed over the folds: every training row predicted once; missing where trials do
not record it), and how many trials of the model scored. When the autopilot chose an ensemble,
one more row, ``ensemble``, gives its out-of-fold score and its members' summed times.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._common import mode_of, ok_trials, table_of

__all__ = ["LEADERBOARD_COLUMNS", "leaderboard_frame"]

LEADERBOARD_COLUMNS = [
    "model",
    "score",
    "score_std",
    "fit_time_s",
    "predict_time_s",
    "trials",
    "trial_id",
]
#: where a trial's prediction time is recorded (a metric of the trial)
PREDICT_COLUMN = "metric.predict_time_s"


def _model_column(data: Any, ok: pd.DataFrame) -> pd.Series:
    """Each trial's model label: the ``model`` parameter, or the only model of the run."""
    if "param.model" in ok.columns and ok["param.model"].notna().all():
        return ok["param.model"].astype(str)
    label = "model"
    config = getattr(data, "config", None)
    if config is not None and getattr(config, "task", None):
        from ..search.config_space import config_models, labels

        try:
            label = labels(config_models(config))[0]
        except Exception:  # a config the registry here cannot read: the label is cosmetic
            pass
    return pd.Series(label, index=ok.index)


def leaderboard_frame(data: Any) -> pd.DataFrame:
    """The leaderboard of ``data`` (a ``Results`` or a table); see the module docstring."""
    table = table_of(data)
    ok = ok_trials(table).copy()
    if ok.empty:
        return pd.DataFrame(columns=LEADERBOARD_COLUMNS)
    descending = mode_of(data) == "max"
    ok["model"] = _model_column(data, ok)
    if PREDICT_COLUMN not in ok.columns:
        ok[PREDICT_COLUMN] = np.nan
    ok = ok.sort_values(["score", "trial_id"], ascending=[not descending, True], kind="stable")
    best = ok.groupby("model", sort=False).head(1)
    counts = ok.groupby("model").size()
    out = pd.DataFrame(
        {
            "model": best["model"].to_numpy(),
            "score": best["score"].to_numpy(float),
            "score_std": pd.to_numeric(best.get("score_std"), errors="coerce").to_numpy(float),
            "fit_time_s": pd.to_numeric(best.get("fit_time_s"), errors="coerce").to_numpy(float),
            "predict_time_s": pd.to_numeric(best[PREDICT_COLUMN], errors="coerce").to_numpy(float),
            "trials": [int(counts[m]) for m in best["model"]],
            "trial_id": best["trial_id"].to_numpy(),
        }
    )
    ens = _ensemble_row(data, ok)
    if ens is not None:
        out = pd.concat([out, pd.DataFrame([ens])], ignore_index=True)
        out = out.sort_values("score", ascending=not descending, kind="stable")
    out["trial_id"] = out["trial_id"].astype("Int64")
    return out.reset_index(drop=True)[LEADERBOARD_COLUMNS]


def _ensemble_row(data: Any, ok: pd.DataFrame) -> dict[str, Any] | None:
    auto = (getattr(data, "info", None) or {}).get("autopilot") or {}
    weights = auto.get("ensemble")
    if not weights or auto.get("ensemble_oof_score") is None:
        return None
    members = ok[ok["trial_id"].isin([int(t) for t in weights])]
    score = float(auto["ensemble_oof_score"])  # higher is better: an error metric is negated
    return {
        "model": "ensemble",
        "score": -score if mode_of(data) == "min" else score,
        "score_std": np.nan,  # one score over all out-of-fold rows, no per-fold spread
        "fit_time_s": float(pd.to_numeric(members["fit_time_s"], errors="coerce").sum()),
        "predict_time_s": float(pd.to_numeric(members[PREDICT_COLUMN], errors="coerce").sum())
        if members[PREDICT_COLUMN].notna().any()
        else np.nan,
        "trials": len(weights),
        "trial_id": pd.NA,
    }
