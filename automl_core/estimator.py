"""scikit-learn estimators that run a whole AutoML experiment inside ``fit``.

``AutoMLClassifier`` and ``AutoMLRegressor`` follow scikit-learn's developer rules: ``__init__``
only stores its arguments (so ``clone``, ``get_params``/``set_params`` and grid searches over
them work), everything learned ends in ``_``. ``fit`` calls :func:`automl_core.api.run` on a
table built from ``X`` and ``y``, then keeps the refit best pipeline; ``predict`` and friends
delegate to it. They work in ``cross_val_score`` (an experiment per fold) and as the last step
of a ``Pipeline``.

Security: the fitted estimators (and ``best_pipeline_``) save with ``joblib.dump`` and load
with ``joblib.load``, and loading a pickle runs code from the file. Only load files you trust.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d

__all__ = ["AutoMLClassifier", "AutoMLRegressor"]


def _as_frame(X: Any, columns: list[str] | None = None) -> pd.DataFrame:
    """``X`` as a DataFrame with string column names (``x0, x1, ...`` for arrays)."""
    if isinstance(X, pd.DataFrame):
        out = X.copy()
        out.columns = [str(c) for c in out.columns]
        if len(set(out.columns)) != out.shape[1]:
            raise ValueError("X has columns whose names are equal once made strings")
        return out
    arr = np.asarray(X)
    if arr.ndim == 1:
        raise ValueError("expected a 2-d X (rows x features); reshape a single feature to (-1, 1)")
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-d X, got {arr.ndim} dimensions")
    names = columns or [f"x{i}" for i in range(arr.shape[1])]
    return pd.DataFrame(arr, columns=names)


def _target_name(columns) -> str:
    name = "target"
    while name in columns:
        name += "_"
    return name


def _pipeline_has(attr: str):
    """For ``available_if``: unfitted, assume yes (duck typing); fitted, ask the pipeline."""

    def check(self) -> bool:
        pipe = getattr(self, "best_pipeline_", None)
        return pipe is None or hasattr(pipe, attr)

    return check


class _AutoMLBase(BaseEstimator):
    _task: str = ""

    def __init__(
        self,
        *,
        trials: int | None = 10,
        time_budget_s: float | None = None,
        strategy: Any = "random",
        models: list[Any] | None = None,
        cleaners: list[Any] | None = None,
        metric: str | None = None,
        folds: int | None = None,
        test_size: float | None = None,
        seed: int = 0,
        cpu: float | None = None,
        gpu: float | None = None,
        results_dir: str | None = None,
        address: str | None = None,
        show_progress: bool = False,
    ):
        # scikit-learn rule: store the arguments untouched; checking happens in fit
        self.trials = trials
        self.time_budget_s = time_budget_s
        self.strategy = strategy
        self.models = models
        self.cleaners = cleaners
        self.metric = metric
        self.folds = folds
        self.test_size = test_size
        self.seed = seed
        self.cpu = cpu
        self.gpu = gpu
        self.results_dir = results_dir
        self.address = address
        self.show_progress = show_progress

    def fit(self, X: Any, y: Any):
        """Run the experiment on ``X``, ``y`` and keep the refit best pipeline."""
        from .api import run

        frame = _as_frame(X)
        y = column_or_1d(y, warn=True)
        if len(y) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}")
        target = _target_name(frame.columns)
        data = frame.reset_index(drop=True).assign(**{target: np.asarray(y)})
        results = run(
            data,
            target=target,
            task=self._task,
            metric=self.metric,
            strategy=self.strategy,
            trials=self.trials,
            time_budget_s=self.time_budget_s,
            models=self.models,
            cleaners=self.cleaners,
            folds=self.folds,
            test_size=self.test_size,
            seed=self.seed,
            cpu=self.cpu,
            gpu=self.gpu,
            results_dir=self.results_dir,
            address=self.address,
            show_progress=self.show_progress,
        )
        if results.best_pipeline is None:
            errors = results.table["error"].dropna() if "error" in results.table else []
            first = f": {errors.iloc[0]}" if len(errors) else ""
            raise RuntimeError(f"no trial of the AutoML search succeeded{first}")
        self.results_ = results
        self.best_pipeline_ = results.best_pipeline
        self.best_params_ = dict(results.best.params)
        self.best_score_ = results.best.score
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self._columns = list(frame.columns)
        return self

    def _frame(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "best_pipeline_")
        frame = _as_frame(X, self._columns if not isinstance(X, pd.DataFrame) else None)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {type(self).__name__} was fitted with "
                f"{self.n_features_in_}"
            )
        if isinstance(X, pd.DataFrame) and list(frame.columns) != self._columns:
            missing = sorted(set(self._columns) - set(frame.columns))
            if missing:
                raise ValueError(f"X lacks the columns seen in fit: {missing}")
            frame = frame[self._columns]
        return frame

    def predict(self, X: Any) -> np.ndarray:
        """Predictions of the refit best pipeline."""
        frame = self._frame(X)  # first: it raises NotFittedError before any attribute is read
        return np.asarray(self.best_pipeline_.predict(frame))

    # Results carry the run's config, an instance of a class built at runtime (one per plugin
    # set) that pickle cannot find by name; keep it as its JSON form in the saved estimator.
    def __getstate__(self):
        state = super().__getstate__()
        res = state.get("results_")
        if res is not None and res.config is not None and hasattr(res.config, "model_dump"):
            state["results_"] = dataclasses.replace(res, config=res.config.model_dump(mode="json"))
        return state


class AutoMLClassifier(ClassifierMixin, _AutoMLBase):
    """A classifier that searches cleaning + model pipelines in ``fit``.

    Parameters are those of :func:`automl_core.run` (``trials``, ``time_budget_s``,
    ``strategy``, ``models``, ``cleaners``, ``metric`` (default accuracy), ``folds``,
    ``test_size``, ``seed``, ``cpu``, ``gpu``, ``results_dir``, ``address``,
    ``show_progress``); the task is always classification.

    Attributes after ``fit``: ``best_pipeline_`` (refit on all of ``X``), ``results_`` (the
    run's :class:`~automl_core.Results`: table, plots, report), ``best_params_``,
    ``best_score_`` (cross-validated), ``classes_``, ``n_features_in_`` and, for a DataFrame
    with string columns, ``feature_names_in_``.

    Loading a saved estimator (``joblib.load``) unpickles it, which runs code from the file:
    only load files you trust.
    """

    _task = "classification"

    def fit(self, X: Any, y: Any):
        super().fit(X, y)
        classes = getattr(self.best_pipeline_, "classes_", None)
        self.classes_ = np.asarray(classes) if classes is not None else np.unique(y)
        return self

    @available_if(_pipeline_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (columns in ``classes_`` order), if the best model gives them."""
        frame = self._frame(X)
        return self.best_pipeline_.predict_proba(frame)

    @available_if(_pipeline_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """Decision scores, if the best model gives them."""
        frame = self._frame(X)
        return self.best_pipeline_.decision_function(frame)


class AutoMLRegressor(RegressorMixin, _AutoMLBase):
    """A regressor that searches cleaning + model pipelines in ``fit``.

    Parameters are those of :func:`automl_core.run` (``trials``, ``time_budget_s``,
    ``strategy``, ``models``, ``cleaners``, ``metric`` (default r2), ``folds``, ``test_size``,
    ``seed``, ``cpu``, ``gpu``, ``results_dir``, ``address``, ``show_progress``); the task
    is always regression.

    Attributes after ``fit``: ``best_pipeline_`` (refit on all of ``X``), ``results_`` (the
    run's :class:`~automl_core.Results`), ``best_params_``, ``best_score_`` (cross-validated),
    ``n_features_in_`` and, for a DataFrame with string columns, ``feature_names_in_``.

    Loading a saved estimator (``joblib.load``) unpickles it, which runs code from the file:
    only load files you trust.
    """

    _task = "regression"
