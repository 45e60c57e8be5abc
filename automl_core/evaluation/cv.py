"""Cross-validation of one pipeline on fixed folds: the work inside every trial.

The folds are computed once per experiment (from its seed), so every trial, every strategy and
the before/after comparison score on the same rows. Each fold fits a fresh clone of the
pipeline on its training rows only, so cleaners never see the validation rows.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold

from ..data.check import DataError
from .metrics import METRICS

__all__ = ["make_folds", "split_rows", "cross_validate", "score"]


#: rows each validation fold of a regression needs: r2 is undefined on a single row
REGRESSION_ROWS_PER_FOLD = 2


def make_folds(
    y: pd.Series, task: str, folds: int, shuffle: bool, stratified: bool | None, seed: int
):
    """Fold indices (train, validation) as numpy arrays, stratified for classification.

    Checked before any trial: :class:`~automl_core.data.check.DataError` saying what is needed
    when the rows cannot make ``folds`` folds every trial can fit and score (a regression:
    :data:`REGRESSION_ROWS_PER_FOLD` rows per validation fold; a classification: two classes
    in every fold's training rows). A class with fewer rows than ``folds`` cannot be in every
    fold: the folds are then not stratified (unless ``stratified=True`` was asked for, an
    error), which is fine on a large table and checked on a small one.
    """
    n = len(y)
    per_fold = REGRESSION_ROWS_PER_FOLD if task == "regression" else 1
    if n < folds * per_fold:
        each = f"{per_fold} rows per validation fold" if per_fold > 1 else "1 row per fold"
        raise DataError(
            f"{n} row{'s' if n != 1 else ''} cannot make {folds} cross-validation folds: "
            f"{folds}-fold cross-validation of a {task} needs {each}, so at least "
            f"{folds * per_fold} rows (add rows, or lower cv.folds; 2 is the fewest)"
        )
    strat = task == "classification" if stratified is None else stratified
    if strat:
        counts = y.value_counts()
        if counts.min() < folds:
            if stratified:
                raise DataError(_class_too_small(counts, folds))
            strat = False  # a rare class on a large table: plain folds, checked below
    rs = seed if shuffle else None
    splitter = (StratifiedKFold if strat else KFold)(
        n_splits=folds, shuffle=shuffle, random_state=rs
    )
    out = [(tr, va) for tr, va in splitter.split(np.zeros(n), y)]
    if task == "classification":
        for i, (tr, _) in enumerate(out):
            if y.iloc[tr].nunique() < 2:
                raise DataError(
                    f"{folds}-fold cross-validation cannot work on these {n} rows: the "
                    f"training rows of fold {i + 1} hold a single class, so no model can learn "
                    "there. " + _class_too_small(y.value_counts(), folds)
                )
    return out


def _class_too_small(counts: pd.Series, folds: int) -> str:
    rare = counts.idxmin()
    return (
        f"Stratified {folds}-fold cross-validation needs at least {folds} rows of every class; "
        f"class {rare!r} has {int(counts.min())}: add rows of it, drop them, or lower cv.folds "
        "(2 is the fewest)"
    )


def split_rows(X, y: pd.Series, task: str, seed: int, *, train_size=None, test_size=None):
    """``train_test_split``, stratified for classification when every class has 2+ rows.

    A held-out ``test_size`` too small (or too large) for the classes is a
    :class:`~automl_core.data.check.DataError` saying the least share that works; a
    ``train_size`` (a subsample) that cannot hold every class is drawn without stratifying.
    """
    from sklearn.model_selection import train_test_split

    strat = y if task == "classification" and y.value_counts().min() >= 2 else None
    if test_size is not None:
        _check_test_rows(y, task, test_size, stratified=strat is not None)
    elif strat is not None and train_size is not None:
        n_train = train_size if isinstance(train_size, int) else math.floor(train_size * len(y))
        n_classes = y.nunique()
        if min(n_train, len(y) - n_train) < n_classes:
            strat = None  # an internal subsample: any rows will do
    return train_test_split(
        X, y, train_size=train_size, test_size=test_size, stratify=strat, random_state=seed
    )


def _check_test_rows(y: pd.Series, task: str, test_size, stratified: bool) -> None:
    """The checks ``train_test_split`` would fail on, with what is needed, before any trial."""
    n = len(y)
    n_test = test_size if isinstance(test_size, int) else math.ceil(test_size * n)
    n_train = n - n_test
    need = REGRESSION_ROWS_PER_FOLD if task == "regression" else 1
    if stratified:
        need = max(need, int(y.nunique()))
    what = (
        f"the {need} classes (a stratified split holds out at least one row of each)"
        if stratified and need > 1
        else f"the {need} row{'s' if need > 1 else ''} a {task} test score needs"
    )
    if n_test < need:
        raise DataError(
            f"test_size={test_size} holds out {n_test} of {n} rows, fewer than {what}; "
            f"give test_size >= {math.ceil(1000 * need / n) / 1000:g}, or add rows"
        )
    if n_train < need:
        raise DataError(
            f"test_size={test_size} leaves {n_train} of {n} rows to train on, fewer than "
            f"{what.replace('holds out', 'keeps')}; lower test_size"
        )


def score(fitted, X, y, metric: str) -> float:
    m = METRICS[metric]
    return float(m.sign * get_scorer(m.scorer)(fitted, X, y))


def bind_resources(pipeline, resources: tuple[int, float] | None):
    """Tell the pipeline's model the trial's CPUs and GPUs, when it takes them
    (``bind_resources(cpus, gpus)``: the boosting plugin's models use a GPU this way). After
    ``clone``, which drops it."""
    if resources is not None:
        model = pipeline.steps[-1][1] if hasattr(pipeline, "steps") else pipeline
        if hasattr(model, "bind_resources"):
            model.bind_resources(*resources)
    return pipeline


def cross_validate(
    pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    folds,
    metric: str,
    extra_metrics=(),
    train_score: bool = False,
    resources: tuple[int, float] | None = None,
) -> dict[str, Any]:
    """Mean and std of ``metric`` over ``folds``, plus extra metrics, train score, fit and
    predict time. ``resources`` (the trial's CPUs and GPUs) go to a model that can use them."""
    scores, trains, fit_times, predict_times = [], [], [], []
    extras: dict[str, list[float]] = {m: [] for m in extra_metrics}
    for tr, va in folds:
        est = bind_resources(clone(pipeline), resources)
        Xtr, ytr = X.iloc[tr], y.iloc[tr]
        Xva, yva = X.iloc[va], y.iloc[va]
        t0 = time.perf_counter()
        est.fit(Xtr, ytr)
        fit_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        scores.append(score(est, Xva, yva, metric))
        predict_times.append(time.perf_counter() - t0)
        if train_score:
            trains.append(score(est, Xtr, ytr, metric))
        for m in extra_metrics:
            extras[m].append(score(est, Xva, yva, m))
    out: dict[str, Any] = {
        "score": float(np.mean(scores)),
        "score_std": float(np.std(scores)),
        "fold_scores": [float(s) for s in scores],
        "fit_time_s": float(np.sum(fit_times)),
        "predict_time_s": float(np.sum(predict_times)),
    }
    if train_score:
        out["train_score"] = float(np.mean(trains))
    for m, vals in extras.items():
        out[f"metric.{m}"] = float(np.mean(vals))
    if not math.isfinite(out["score"]):
        raise FloatingPointError(f"{metric} is not finite on some fold: {scores}")
    return out
