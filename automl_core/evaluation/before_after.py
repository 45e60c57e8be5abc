"""Before/after: the same model with minimal preprocessing and with the cleaning chain.

Both are cross-validated on the same folds, so the difference is the gain from cleaning alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as pdt

from ..data.cleaning import FrameTransformer, NumericGuard
from ..data.cleaning.encode import _lookup
from .cv import cross_validate
from .metrics import METRICS
from .pipeline import AutoPipeline, build_pipeline

__all__ = ["MinimalPreprocessor", "compare_cleaning", "baseline_pipeline"]


class MinimalPreprocessor(FrameTransformer):
    """Just enough for any model to run, nothing that would count as cleaning.

    Text, category and boolean columns become integer codes in order of first appearance in the
    fitted rows (unseen and missing: -1); datetime columns become unix seconds; gaps in numbers
    take the fitted rows' median (0 for a column with no value). No scaling, no dropping, no
    date features, no outlier handling, no class balancing.
    """

    def fit(self, X, y=None):
        X = self._start_fit(X)
        self.codes_: dict[str, dict] = {}
        self.fill_: dict[str, float] = {}
        for c in X.columns:
            col = X[c]
            if pdt.is_datetime64_any_dtype(col):
                col = self._seconds(col)
            if pdt.is_numeric_dtype(col) and not pdt.is_bool_dtype(col):
                arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
                ok = arr[~np.isnan(arr)]
                self.fill_[c] = float(np.median(ok)) if len(ok) else 0.0
            else:
                uniques = pd.unique(col.dropna())
                self.codes_[c] = {v: i for i, v in enumerate(uniques)}
        return self

    @staticmethod
    def _seconds(col: pd.Series) -> pd.Series:
        raw = col.to_numpy(dtype="datetime64[s]")
        out = raw.view(np.int64).astype(np.float64)
        out[np.isnat(raw)] = np.nan
        return pd.Series(out, index=col.index)

    def transform(self, X):
        X = self._start_transform(X)
        out = {}
        for c in self.columns_in_:
            if c in self.codes_:
                out[c] = _lookup(X[c], self.codes_[c], -1).astype(np.float64)
            else:
                col = self._seconds(X[c]) if pdt.is_datetime64_any_dtype(X[c]) else X[c]
                arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
                out[c] = np.where(np.isnan(arr), self.fill_[c], arr)
        return pd.DataFrame(out, index=X.index)


def baseline_pipeline(resolved, task: str, seed: int, n_jobs: int = 1) -> AutoPipeline:
    """minimal preprocessing -> numeric guard -> the resolved model (and its regularizers)."""
    model = resolved.model.build(task, resolved.regularizers, seed=seed, n_jobs=n_jobs)
    return AutoPipeline(
        [
            ("minimal", MinimalPreprocessor()),
            ("numeric_guard", NumericGuard()),
            (resolved.model_label, model),
        ]
    )


def compare_cleaning(
    X: pd.DataFrame,
    y: pd.Series,
    task: str,
    metric: str,
    folds,
    resolved,
    seed: int = 0,
    n_jobs: int = 1,
) -> dict[str, Any]:
    """Score ``resolved.model`` with minimal preprocessing and with ``resolved.cleaners``.

    ``X, y`` are the table after the dataset-stage cleaners (the rows ``folds`` index: call
    :func:`automl_core.data.autoclean.apply_dataset_stage` first); ``folds`` are the experiment's
    fold indices, used for both sides; ``resolved`` is an :class:`~automl_core.search.config_space.
    Resolved` whose cleaners are the chain used (the default chain when the config named none).

    Returns ``baseline_score``, ``cleaned_score``, ``gain`` (positive when cleaning helped,
    whatever the metric's direction), their fold scores and standard deviations, fit times,
    ``metric`` and ``mode``. If the baseline cannot run at all (a model that cannot take the raw
    codes) ``baseline_score`` and ``gain`` are None and ``baseline_error`` says why; an error of
    the cleaned pipeline is raised, since the experiment itself would fail on it.
    """
    mode = METRICS[metric].mode
    cleaned = cross_validate(
        build_pipeline(resolved, task, seed, n_jobs), X, y, folds, metric, train_score=False
    )
    out: dict[str, Any] = {
        "metric": metric,
        "mode": mode,
        "cleaned_score": cleaned["score"],
        "cleaned_std": cleaned["score_std"],
        "cleaned_fold_scores": cleaned["fold_scores"],
        "cleaned_fit_time_s": cleaned["fit_time_s"],
    }
    try:
        base = cross_validate(
            baseline_pipeline(resolved, task, seed, n_jobs), X, y, folds, metric, train_score=False
        )
    except Exception as exc:  # the baseline is a reference, not the experiment: report, go on
        out.update(baseline_score=None, gain=None, baseline_error=f"{type(exc).__name__}: {exc}")
        return out
    out.update(
        baseline_score=base["score"],
        baseline_std=base["score_std"],
        baseline_fold_scores=base["fold_scores"],
        baseline_fit_time_s=base["fit_time_s"],
    )
    diff = cleaned["score"] - base["score"]
    out["gain"] = diff if mode == "max" else -diff
    return out
