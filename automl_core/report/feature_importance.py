"""How much each input column matters to the best pipeline: permutation importance.

One column at a time is shuffled across the rows (its values kept, their link to the target
broken) and the pipeline scored again; the column's importance is how much the metric worsens,
in the metric's own units, averaged over ``n_repeats`` shuffles (positive: the column helps;
about zero: the pipeline does not use it, e.g. an id column the cleaning drops). The columns are
the table's own, before cleaning: the pipeline's cleaners run on every shuffled copy.

Where: on the held-out test split when the run has one (the refit best pipeline, rows it never
saw). Without one, scoring the refit pipeline on its own training rows would reward what it
memorised, so the importance is measured out of fold, cheaply: a clone of the pipeline is
fitted on the first fold's training rows (one fit, a fold's share of the rows) and the first
fold's validation rows are shuffled. Rows beyond ``max_rows`` are subsampled (seeded).

Cost: one fit without a test split, then one prediction of the pipeline on at most
``max_rows`` rows and one per batch of shuffled copies (``n_repeats x columns`` copies, stacked
up to :data:`BATCH_CELLS` cells a batch). Measured by ``bench_feature_importance.py`` in
``benchmarks/`` (medians of 3 timings, 5 shuffles per column, a 25% test split; RESULTS.md): a
250-tree forest on breast cancer's 143 rows x 30 columns 0.44-0.54 s, was 9.1-10.6 s with one
prediction per copy; an SVC on digits' 450 rows x 64 columns 6.6-6.8 s, was 9.5-10.6 s.
``max_seconds`` caps it: the unshuffled prediction and one of up to 4 stacked copies (no more
than a batch holds) are timed, and the repeats, then the rows, are cut.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from ._common import ChartUnavailable, fmt, metric_of, new_figure

__all__ = [
    "IMPORTANCE_COLUMNS",
    "permutation_importance",
    "plot_feature_importance",
    "record_feature_importance",
]

IMPORTANCE_COLUMNS = ["feature", "importance", "importance_std"]


def permutation_importance(
    pipeline: Any,
    X: pd.DataFrame,
    y: pd.Series,
    metric: str,
    *,
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
    n_repeats: int = 5,
    seed: int = 0,
    max_rows: int = 2_000,
    max_seconds: float | None = None,
) -> pd.DataFrame:
    """The importance of each column of ``X`` to ``pipeline`` under ``metric``, largest first.

    ``folds`` None: ``pipeline`` is fitted and ``X``/``y`` are rows it never saw (the test
    split). ``folds`` given (the run's folds over ``X``/``y``, its training rows): a clone is
    fitted on the first fold's training rows and scored on that fold's validation rows. Columns
    ``feature``, ``importance`` (mean worsening of ``metric``), ``importance_std``; ``attrs``
    holds ``baseline`` (the unshuffled score), ``on`` ("test" or "out-of-fold"), ``rows``,
    ``repeats`` and ``seconds``. ``max_seconds``: a cap on the shuffled predictions (the one
    fit of the out-of-fold case is not in it): fewer repeats, then fewer rows (at least
    :data:`MIN_ROWS`), as the unshuffled prediction's time says.
    """
    from sklearn.base import clone
    from sklearn.metrics import get_scorer

    from ..evaluation.metrics import METRICS

    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (known: {', '.join(sorted(METRICS))})")
    if n_repeats < 1:
        raise ValueError(f"n_repeats must be at least 1, got {n_repeats}")
    t0 = time.perf_counter()
    m = METRICS[metric]
    scorer = get_scorer(m.scorer)  # greater is better, so a drop is a worsening
    if folds is not None:
        tr, va = folds[0]
        est = clone(pipeline).fit(X.iloc[tr], y.iloc[tr])
        X, y, on = X.iloc[va], y.iloc[va], "out-of-fold"
    else:
        est, on = pipeline, "test"
    rng = np.random.default_rng(seed)
    if len(X) > max_rows:
        keep = np.sort(rng.choice(len(X), size=max_rows, replace=False))
        X, y = X.iloc[keep], y.iloc[keep]
    cells = _cells_per_row(est, X)  # once: for a pipeline it runs the steps on 5 rows
    t1 = time.perf_counter()
    base = float(scorer(est, X, y))
    if max_seconds is not None:
        n = len(X)
        call_s = time.perf_counter() - t1
        copy_s = _seconds_per_copy(est, scorer, X, y, call_s, _copies_per_batch(len(X), cells))
        X, y, n_repeats = _fit_in(X, y, n_repeats, X.shape[1], copy_s, max_seconds, rng)
        if len(X) < n:
            base = float(scorer(est, X, y))  # the baseline of the rows kept
    drops = _shuffled_drops(
        est, scorer, X, y, base, n_repeats, rng, _copies_per_batch(len(X), cells)
    )
    rows = [(str(c), float(np.mean(d)), float(np.std(d))) for c, d in drops.items()]
    out = pd.DataFrame(rows, columns=IMPORTANCE_COLUMNS)
    out = out.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs.update(
        baseline=float(m.sign * base),
        on=on,
        rows=int(len(X)),
        repeats=int(n_repeats),
        seconds=round(time.perf_counter() - t0, 3),
    )
    return out


def record_feature_importance(
    results: Any,
    X: pd.DataFrame,
    y: pd.Series,
    X_test: pd.DataFrame | None = None,
    y_test: pd.Series | None = None,
    *,
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
    seed: int = 0,
    n_repeats: int = 5,
    max_seconds: float | None = None,
) -> pd.DataFrame | None:
    """Measure the importance of each input column to ``results.best_pipeline`` where the run
    allows: on the test split (``X_test``) when there is one, else out of fold on the training
    rows ``X``/``y`` with ``folds`` (one more fit). Sets ``results.feature_importance`` and
    ``results.info["feature_importance"]`` (where, rows, repeats, seconds, baseline); returns
    the table, or None when there is no pipeline, or neither a test split nor folds."""
    pipe = getattr(results, "best_pipeline", None)
    if pipe is None or (X_test is None and not folds):
        return None
    kw = dict(n_repeats=n_repeats, seed=seed, max_seconds=max_seconds)
    if X_test is not None:
        imp = permutation_importance(pipe, X_test, y_test, results.metric, **kw)
    else:
        imp = permutation_importance(pipe, X, y, results.metric, folds=folds, **kw)
    results.feature_importance = imp
    results.info["feature_importance"] = dict(imp.attrs)
    return imp


#: ``max_seconds`` never cuts the rows below this many (a score on fewer is noise)
MIN_ROWS = 100

#: at most this many cells (rows x columns) of shuffled copies go into one prediction: a few
#: MB of stacked copies at a time (a run's peak memory is measured against its peers'), which
#: already makes the calls few (2 000 rows x 10 columns: 25 copies a call)
BATCH_CELLS = 500_000

#: the methods a scorer may ask of the pipeline, each answered from one batched call
_PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")


def _shuffled_drops(est, scorer, X, y, base: float, repeats: int, rng, per_batch: int) -> dict:
    """For each column of ``X``, the ``repeats`` drops of the score when it is shuffled.

    The shuffled copies are scored by ``scorer`` one by one, as scikit-learn's scorers work,
    but their predictions come from one call of the pipeline on ``per_batch`` copies stacked
    together (:func:`_copies_per_batch`, :func:`_answering_from_batch`). A call has a fixed cost
    that dwarfs a few hundred rows' worth (a 250-tree forest with ``n_jobs=2``: 44 ms for 143
    rows, 0.09 s for 150 such copies at once), and a run pays ``columns x repeats`` of them.
    The cells are counted as the model receives them (:func:`_cells_per_row`), so images
    loaded from a path column are batched by their pixels. The permutations are drawn in the
    order of a one-by-one loop (column by column, repeats inside): the same seed gives the
    same figures. A shuffled column keeps its dtype (a categorical stays categorical), so the
    pipeline sees the values it was fitted on."""
    copies = [col for col in X.columns for _ in range(repeats)]
    drops: dict = {col: [] for col in X.columns}
    for start in range(0, len(copies), per_batch):
        frames = []
        for col in copies[start : start + per_batch]:
            shuffled = X.copy()
            shuffled[col] = X[col].array.take(rng.permutation(len(X)))
            frames.append(shuffled)
        stand_in = _answering_from_batch(est, frames)
        for col, frame in zip(copies[start : start + per_batch], frames):
            drops[col].append(base - float(scorer(stand_in, frame, y)))
    return drops


def _copies_per_batch(rows: int, cells_per_row: int) -> int:
    """How many shuffled copies of ``rows`` rows one prediction takes: :data:`BATCH_CELLS`
    cells as the model receives them (``cells_per_row``: :func:`_cells_per_row`), and at least
    one copy."""
    return max(1, BATCH_CELLS // max(1, rows * cells_per_row))


def _cells_per_row(est, X: pd.DataFrame) -> int:
    """The cells of one row as the model receives it, when ``est`` is a pipeline: its steps
    before the model applied to 5 rows (an image loader turns a path into thousands of pixels,
    and a batch is sized by them). ``X``'s columns otherwise, or when a step cannot say."""
    steps = getattr(est, "steps", None)
    width = X.shape[1]
    if not steps or len(steps) < 2:
        return width
    try:
        inside = X.iloc[:5]
        for _, step in steps[:-1]:
            if step is not None and step != "passthrough":
                inside = step.transform(inside)
        return max(width, int(np.prod(np.shape(inside)[1:], dtype=np.int64)))
    except Exception:  # a step without transform, or one that refuses 5 rows
        return width


def _answering_from_batch(est, frames: list[pd.DataFrame]):
    """A shallow copy of ``est`` whose prediction methods answer for each of ``frames`` (the
    very objects) from one call of ``est``'s method on all of them stacked, made at the first
    ask. It keeps ``est``'s class, tags and ``classes_``, so a scorer treats it as ``est``; any
    other input goes to ``est`` itself. Predictions are row by row, so stacking changes none.
    ``est`` itself when its copy has no ``__dict__`` to hold the methods."""
    import copy

    spans, stop = {}, 0
    for frame in frames:
        spans[id(frame)] = (stop, stop + len(frame))
        stop += len(frame)
    answers: dict = {}
    stand_in = copy.copy(est)
    if not hasattr(stand_in, "__dict__"):  # an object with __slots__: scored copy by copy
        return est
    for name in _PREDICT_METHODS:
        if hasattr(est, name):  # shadows the class's method on this copy only
            stand_in.__dict__[name] = _batched(name, getattr(est, name), frames, spans, answers)
    return stand_in


def _batched(name: str, real, frames: list, spans: dict, answers: dict):
    """``real`` (a bound prediction method) answering the frames in ``spans`` from one call."""

    def method(X, *args, **kwargs):
        span = spans.get(id(X))
        if span is None or args or kwargs:
            return real(X, *args, **kwargs)
        if name not in answers:
            answers[name] = real(pd.concat(frames, ignore_index=True))
        answer = answers[name]
        return (answer.iloc if hasattr(answer, "iloc") else answer)[span[0] : span[1]]

    method.__name__ = name  # scikit-learn reads it (predict_proba's columns are handled)
    return method


def _seconds_per_copy(est, scorer, X, y, one_call_s: float, per_batch: int) -> float:
    """What one more shuffled copy adds to a batched prediction: the time to score ``k`` copies
    stacked (``k``: 4, or fewer when a batch holds fewer), less one call (``one_call_s``, the
    fixed cost a batch pays once), over ``k - 1``. ``one_call_s`` when a batch holds one copy."""
    k = min(4, per_batch)
    if k < 2:
        return max(one_call_s, 1e-6)
    t0 = time.perf_counter()
    scorer(est, pd.concat([X] * k, ignore_index=True), pd.concat([y] * k, ignore_index=True))
    return max((time.perf_counter() - t0 - one_call_s) / (k - 1), one_call_s / 50, 1e-6)


def _fit_in(X, y, repeats: int, columns: int, call_s: float, max_seconds: float, rng):
    """``(X, y, repeats)`` cut so that ``columns x repeats`` shuffled copies of ``call_s``
    seconds each (at ``len(X)`` rows; taken as linear in the rows) fit ``max_seconds``."""
    calls_fit = max_seconds / max(call_s, 1e-6)
    if columns * repeats <= calls_fit:
        return X, y, repeats
    repeats = max(1, int(calls_fit // columns))
    share = calls_fit / (columns * repeats)
    if share < 1 and len(X) > MIN_ROWS:
        keep = np.sort(rng.choice(len(X), size=max(MIN_ROWS, int(len(X) * share)), replace=False))
        X, y = X.iloc[keep], y.iloc[keep]
    return X, y, repeats


def plot_feature_importance(data: Any, top: int = 15):
    """Horizontal bars of ``data.feature_importance`` (the ``top`` largest), the spread of the
    shuffles as error bars."""
    imp = getattr(data, "feature_importance", None)
    if not isinstance(imp, pd.DataFrame) or imp.empty:
        raise ChartUnavailable("these results hold no feature importance")
    shown = imp.head(top)
    fig, ax = new_figure(7.0, max(2.4, 0.9 + 0.38 * len(shown)))
    values = shown["importance"].to_numpy(float)
    ax.barh(
        range(len(shown)),
        values,
        xerr=shown["importance_std"].to_numpy(float),
        color=["#2ca02c" if v > 0 else "#9aa3ae" for v in values],
        error_kw={"elinewidth": 1, "capsize": 2, "ecolor": "#5b6472"},
    )
    ax.set_yticks(range(len(shown)), list(shown["feature"].astype(str)), fontsize=9)
    ax.invert_yaxis()
    ax.grid(False, axis="y")
    ax.axvline(0, color="#5b6472", linewidth=0.8)
    for i, v in enumerate(values):
        ax.text(max(v, 0.0), i, f" {fmt(v, 3)}", va="center", fontsize=8)
    # a saved table keeps no attrs: the run's info says where it was measured
    on = imp.attrs.get("on") or (
        (getattr(data, "info", None) or {}).get("feature_importance") or {}
    ).get("on")
    where = {"test": "test split", "out-of-fold": "one fold's validation rows"}.get(on, "")
    ax.set_xlabel(f"{metric_of(data)} lost when the column is shuffled")
    more = f" (top {top} of {len(imp)})" if len(imp) > top else ""
    ax.set_title(
        f"Input column importance{more}" + (f", on the {where}" if where else ""), fontsize=11
    )
    return fig
