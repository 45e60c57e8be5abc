"""The autopilot's trial: cross-validation that also returns out-of-fold predictions.

The out-of-fold predictions (class probabilities, or values for regression) let the driver
build an ensemble of the best trials after the search without fitting anything again: each
row's prediction comes from a model that never saw it. They travel back as one base64 string
of float32 (compact in Ray's result and not a column of the results table).
"""

from __future__ import annotations

import base64
import math
import time
from typing import Any

import numpy as np
from sklearn.base import clone

from ..evaluation.cv import bind_resources, score
from ..evaluation.objective import PipelineObjective

__all__ = ["AutopilotObjective", "BestOOF", "encode_oof", "decode_oof", "OOF_KEY"]

#: the metrics key holding the encoded out-of-fold predictions
OOF_KEY = "oof"
#: past this many floats (rows x classes) a trial sends no out-of-fold predictions
MAX_OOF_VALUES = 2_000_000


def encode_oof(values: np.ndarray) -> str:
    arr = np.ascontiguousarray(values, dtype=np.float32)
    shape = "x".join(str(s) for s in arr.shape)
    return shape + ":" + base64.b64encode(arr.tobytes()).decode("ascii")


def decode_oof(text: str) -> np.ndarray:
    shape, data = text.split(":", 1)
    dims = tuple(int(s) for s in shape.split("x"))
    return np.frombuffer(base64.b64decode(data), dtype=np.float32).reshape(dims)


def _fold_prediction(est, X, classes) -> np.ndarray:
    """Probabilities over ``classes`` (one-hot of ``predict`` for a model without them)."""
    if classes is None:
        return np.asarray(est.predict(X), dtype=float)
    out = np.zeros((len(X), len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    if hasattr(est, "predict_proba"):
        try:
            proba = est.predict_proba(X)
            for j, c in enumerate(est.classes_):
                out[:, index[c]] = proba[:, j]
            return out
        except (AttributeError, NotImplementedError):
            pass
    for r, c in enumerate(est.predict(X)):
        out[r, index[c]] = 1.0
    return out


class AutopilotObjective(PipelineObjective):
    """Cross-validates like :class:`PipelineObjective`, plus out-of-fold predictions."""

    def __call__(self, params: dict[str, Any], ctx) -> dict[str, Any]:
        pipe = self.pipeline(params, seed=ctx.seed, n_jobs=ctx.cpus)
        classes = np.unique(self.y.to_numpy()) if self.task == "classification" else None
        width = 1 if classes is None else len(classes)
        keep = len(self.y) * width <= MAX_OOF_VALUES
        oof = np.zeros((len(self.y), width)) if keep else None
        scores, fit_times, predict_times = [], [], []
        for tr, va in self.folds:
            est = bind_resources(clone(pipe), (ctx.cpus, ctx.gpus))
            Xva, yva = self.X.iloc[va], self.y.iloc[va]
            t0 = time.perf_counter()
            est.fit(self.X.iloc[tr], self.y.iloc[tr])
            fit_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            scores.append(score(est, Xva, yva, self.cfg.metric))
            predict_times.append(time.perf_counter() - t0)
            if oof is not None:
                oof[va] = _fold_prediction(est, Xva, classes).reshape(len(va), width)
        out: dict[str, Any] = {
            "score": float(np.mean(scores)),
            "score_std": float(np.std(scores)),
            "fit_time_s": float(np.sum(fit_times)),
            "predict_time_s": float(np.sum(predict_times)),
            # a typical fold's fit (the first fit in a fresh worker also pays lazy imports)
            "fold_fit_s": float(np.median(fit_times)),
        }
        if not math.isfinite(out["score"]):
            raise FloatingPointError(f"{self.cfg.metric} is not finite on some fold: {scores}")
        if oof is not None:
            out[OOF_KEY] = encode_oof(oof)
        return out


class BestOOF:
    """Keeps the out-of-fold predictions in the records of the ``top_k`` best trials only.

    Called with each finished trial's record (the engine's ``on_trial``). The ensemble reads
    the predictions of the ``top_k`` best ok trials and no others, and a trial that falls out
    of them never comes back (scores do not change), so the rest are dropped as the run goes:
    a long run's memory does not grow with its trials (a trial's predictions are rows x
    classes floats). Trials tied with the ``top_k``-th keep theirs, so whichever of them the
    ensemble's sort puts first still has them."""

    def __init__(self, top_k: int, mode: str):
        self.top_k = top_k
        self.sign = -1.0 if mode == "max" else 1.0
        self.kept: list[tuple[float, Any]] = []  # (loss, record), best first

    def __call__(self, rec: Any) -> None:
        if OOF_KEY not in rec.metrics:
            return
        if rec.status != "ok" or rec.score is None:
            rec.metrics.pop(OOF_KEY)  # never an ensemble's member
            return
        self.kept.append((self.sign * float(rec.score), rec))
        self.kept.sort(key=lambda e: e[0])
        if len(self.kept) <= self.top_k:
            return
        cutoff = self.kept[self.top_k - 1][0]
        while self.kept[-1][0] > cutoff:
            _, dropped = self.kept.pop()
            dropped.metrics.pop(OOF_KEY, None)
