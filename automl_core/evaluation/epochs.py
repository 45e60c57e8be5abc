"""Epoch-by-epoch cross-validation, for estimators that train in epochs (neural networks).

The epoch protocol: the pipeline's final estimator has ``iter_epochs(X, y[, sample_weight])``,
a generator that trains one epoch per step, yields that epoch's training statistics (keys
starting with ``train_``; ``"last": True`` on its final step) and leaves the estimator usable
for prediction after each step (after the last one, holding its final weights). It may also
have ``bind_resources(cpus, gpus)`` (told what the trial was given) and ``evaluate(X, y) ->
{"loss": ..., ["accuracy": ...]}`` (reported as ``val_loss``, ``val_accuracy``).

:func:`cross_validate_epochs` advances every fold one epoch at a time (lockstep), so after each
epoch the trial can report the fold means of its metrics. Schedulers (ASHA, HyperBand) compare
trials on those reports and stop the bad ones between epochs.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from .cv import score

__all__ = ["has_epoch_protocol", "cross_validate_epochs"]


def has_epoch_protocol(estimator: Any) -> bool:
    """True when ``estimator`` (a pipeline's last step) trains epoch by epoch."""
    return callable(getattr(estimator, "iter_epochs", None))


@dataclass
class _Fold:
    est: Any  # the pipeline's final estimator, training
    X_fit: Any  # cleaned training rows (after any resampling): what the network trains on
    y_fit: Any
    X_train: Any  # cleaned training rows as they are (for the train score)
    y_train: Any
    X_val: Any  # cleaned validation rows
    y_val: Any
    epochs: Any  # the estimator's epoch iterator
    fit_time: float = 0.0
    done: bool = False
    n_epochs: int = 0
    row: dict[str, float] = field(default_factory=dict)


def _takes_sample_weight(est) -> bool:
    return "sample_weight" in inspect.signature(est.iter_epochs).parameters


def _fit_steps(steps, X, y, est):
    """Fit the cleaning steps on the training rows as ``AutoPipeline.fit`` does (keep the two
    in step): resamplers
    change the rows; weighting steps give ``sample_weight`` (or over-sample when the estimator
    takes no weights). Returns ``(X, y, fit params, rows changed)``."""
    changed = False
    for _, step in steps:
        if hasattr(step, "fit_resample"):
            X, y = step.fit_resample(X, y)
            changed = True
        else:
            X = step.fit_transform(X, y)
    params: dict[str, Any] = {}
    weighting = [step for _, step in steps if hasattr(step, "sample_weight")]
    if weighting and _takes_sample_weight(est):
        params["sample_weight"] = np.prod([step.sample_weight(y) for step in weighting], axis=0)
    else:
        for step in weighting:
            X, y = step.resample_instead(X, y)
            changed = True
    return X, y, params, changed


def _transform(steps, X):
    for _, step in steps:
        X = step.transform(X)
    return X


def _start(pipeline, X, y, tr, va, ctx) -> _Fold:
    pipe = clone(pipeline)
    steps, est = list(pipe.steps[:-1]), pipe.steps[-1][1]
    if ctx is not None and hasattr(est, "bind_resources"):
        est.bind_resources(ctx.cpus, ctx.gpus)
    Xtr, ytr = X.iloc[tr], y.iloc[tr]
    t0 = time.perf_counter()
    X_fit, y_fit, params, changed = _fit_steps(steps, Xtr, ytr, est)
    fit_time = time.perf_counter() - t0
    X_train = _transform(steps, Xtr) if changed else X_fit
    X_val = _transform(steps, X.iloc[va])
    return _Fold(
        est,
        X_fit,
        y_fit,
        X_train,
        ytr,
        X_val,
        y.iloc[va],
        est.iter_epochs(X_fit, y_fit, **params),
        fit_time,
    )


def _epoch_row(fold: _Fold, stats: dict[str, Any], metric: str) -> dict[str, float]:
    """One fold's metrics after an epoch: the training stats the estimator gave, and the
    validation loss/accuracy and ``metric`` computed here on the fold's validation rows."""
    row = {k: float(v) for k, v in stats.items() if k.startswith("train_")}
    if hasattr(fold.est, "evaluate"):
        row.update(
            {f"val_{k}": float(v) for k, v in fold.est.evaluate(fold.X_val, fold.y_val).items()}
        )
    if metric == "accuracy" and "val_accuracy" in row:
        row["score"] = row["val_accuracy"]  # the same number: spare a second forward pass
    else:
        row["score"] = score(fold.est, fold.X_val, fold.y_val, metric)
    return row


def cross_validate_epochs(
    pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    folds,
    metric: str,
    extra_metrics=(),
    ctx=None,
    train_score: bool = False,
) -> dict[str, Any]:
    """Cross-validate an epoch-trained pipeline, reporting fold means after every epoch.

    Per fold, a clone of the pipeline fits its cleaning steps on the fold's training rows only,
    then its final estimator trains one epoch at a time, every fold in lockstep. After each
    epoch ``ctx.report(epoch=e, score=..., train_loss=..., val_loss=..., train_accuracy=...,
    val_accuracy=...)`` gets the means over folds (``score`` is ``metric`` on the validation
    rows; accuracies for classifiers only). A fold that stopped early (early stopping) keeps
    counting with its final values, so the means stay over the same folds. ``ctx`` may be None.

    Returns what :func:`automl_core.evaluation.cv.cross_validate` returns (``score``,
    ``score_std``, ``fold_scores``, ``fit_time_s``, ``train_score``, ``metric.<extra>``), plus
    ``epochs_run`` (mean over folds) and the final ``val_loss``.
    """
    state = [_start(pipeline, X, y, tr, va, ctx) for tr, va in folds]
    epoch = 0
    while True:
        advanced = False
        for fold in state:
            if fold.done:
                continue
            t0 = time.perf_counter()
            stats = next(fold.epochs, None)
            fold.fit_time += time.perf_counter() - t0
            if stats is None:
                fold.done = True
                continue
            advanced = True
            fold.n_epochs += 1
            fold.row = _epoch_row(fold, stats, metric)
            if stats.get("last"):
                fold.done = True  # its estimator already holds its final weights
                fold.epochs.close()  # free the training state (optimizer, device tensors) now
        if not advanced:
            break
        epoch += 1
        last = all(f.done for f in state)
        if ctx is not None:
            keys = [k for k in state[0].row if all(k in f.row for f in state)]
            means = {k: float(np.mean([f.row[k] for f in state])) for k in keys}
            ctx.report(epoch=epoch, last=last, **means)
        if last:
            break
    scores = [f.row["score"] for f in state]
    out: dict[str, Any] = {
        "score": float(np.mean(scores)),
        "score_std": float(np.std(scores)),
        "fold_scores": [float(s) for s in scores],
        "fit_time_s": float(sum(f.fit_time for f in state)),
    }
    if train_score:
        out["train_score"] = float(
            np.mean([score(f.est, f.X_train, f.y_train, metric) for f in state])
        )
    for m in extra_metrics:
        out[f"metric.{m}"] = float(np.mean([score(f.est, f.X_val, f.y_val, m) for f in state]))
    out["epochs_run"] = float(np.mean([f.n_epochs for f in state]))
    if all("val_loss" in f.row for f in state):
        out["val_loss"] = float(np.mean([f.row["val_loss"] for f in state]))
    if not math.isfinite(out["score"]):
        raise FloatingPointError(f"{metric} is not finite on some fold: {scores}")
    return out
