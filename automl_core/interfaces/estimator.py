"""scikit-learn estimators that run a whole AutoML experiment inside ``fit``.

``AutoMLClassifier`` and ``AutoMLRegressor`` follow scikit-learn's developer rules: ``__init__``
only stores its arguments (so ``clone``, ``get_params``/``set_params`` and grid searches over
them work), everything learned ends in ``_``. ``fit`` calls :func:`automl_core.interfaces.api.run` on a
table built from ``X`` and ``y``, then keeps the refit best pipeline; ``predict`` and friends
delegate to it. They work in ``cross_val_score`` (an experiment per fold) and as the last step
of a ``Pipeline``, and pass scikit-learn's ``check_estimator`` suite (less the checks listed
with their reason in ``tests/test_sklearn_checks.py``).

What ``fit`` and ``predict`` accept: a DataFrame (text, category, boolean and date columns
are cleaned by the search's cleaners) or a 2-d array; gaps (NaN) and infinities (turned into
gaps, as :func:`automl_core.data.check.validate_table` does) are fine, so the tags say
``allow_nan``. Sparse input is refused with a message saying so. At predict time a DataFrame
fitted with column names is matched by name: extra columns are left out, the order does not
matter, a missing column is a :class:`~automl_core.data.check.DataError` naming it. An array (or
a DataFrame when fit had no column names) must have the fitted number of columns.

Security: the fitted estimators (and ``best_pipeline_``) save with ``joblib.dump`` and load
with ``joblib.load``, and loading a pickle runs code from the file. Only load files you trust.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ..data.check import validate_features

__all__ = ["AutoMLClassifier", "AutoMLRegressor"]


def _as_frame(X: Any, columns: list[str] | None = None, who: str = "AutoML") -> pd.DataFrame:
    """``X`` as a DataFrame with string column names (``x0, x1, ...`` for arrays).

    Arrays go through scikit-learn's ``check_array`` (its messages for 1-d, empty and complex
    input); columns of an object array that hold only numbers become numbers. Sparse input is
    refused: the cleaners work on dense columns.
    """
    if isinstance(X, pd.DataFrame):
        out = X
        if not all(isinstance(c, str) for c in X.columns):
            out = X.set_axis([str(c) for c in X.columns], axis=1)
        if len(set(out.columns)) != out.shape[1]:
            raise ValueError("X has columns whose names are equal once made strings")
        return out
    if sparse.issparse(X):
        raise TypeError(
            f"{who}: sparse input is not supported (the cleaners work on dense columns); "
            "pass X.toarray() or a DataFrame"
        )
    arr = check_array(X, dtype=None, ensure_all_finite=False, estimator=who)
    names = columns or [f"x{i}" for i in range(arr.shape[1])]
    frame = pd.DataFrame(arr, columns=names, copy=False)
    return frame.infer_objects() if arr.dtype == object else frame


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
    #: an estimator saved before ``executor`` existed loads with the default (get_params works)
    executor: str = "auto"

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
        executor: str = "auto",
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
        self.executor = executor
        self.show_progress = show_progress

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # true of the search's cleaning: gaps are imputed, infinities become gaps (datacheck),
        # text columns are encoded
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags

    def _check_target(self, y: np.ndarray) -> np.ndarray:
        """``y`` as the task reads it; refuses a target it cannot learn from."""
        return y

    def fit(self, X: Any, y: Any):
        """Run the experiment on ``X``, ``y`` and keep the refit best pipeline."""
        from .api import run

        name = type(self).__name__
        frame = _as_frame(X, who=name)
        y = column_or_1d(y, warn=True)
        if len(y) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}")
        if len(frame) == 1:
            raise ValueError(
                f"{name} was given 1 sample; the search cross-validates its pipelines, so it "
                "needs several samples (at least one per fold, and per class)"
            )
        y = self._check_target(y)
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
            # the one resources field run() takes only through a config
            config={"resources": {"executor": self.executor}},
        )
        if results.best_pipeline is None:
            errors = results.table["error"].dropna() if "error" in results.table else []
            first = f": {errors.iloc[0]}" if len(errors) else ""
            raise RuntimeError(f"no trial of the AutoML search succeeded{first}")
        self.results_ = results
        self.best_pipeline_ = results.best_pipeline
        if results.best is not None:
            self.best_params_ = dict(results.best.params)
            self.best_score_ = results.best.score
        else:  # no trial finished within the budget: the fallback model (info["fallback"])
            self.best_params_ = {"model": results.info.get("fallback", {}).get("model")}
            self.best_score_ = float("nan")
        self.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        else:
            self.__dict__.pop("feature_names_in_", None)  # refitted without names
        self._columns = list(frame.columns)
        return self

    def _frame(self, X: Any) -> pd.DataFrame:
        """The rows to predict on, checked against what ``fit`` saw.

        A DataFrame, when fit had column names, is matched by name (extra columns left out,
        any order, a missing column a ``DataError`` naming it); anything else by position, with
        the fitted number of columns. Infinities become gaps as in training. Text in numeric
        columns is left to the best pipeline, which knows which columns held numbers.
        """
        check_is_fitted(self, "best_pipeline_")
        name = type(self).__name__
        if isinstance(X, pd.DataFrame) and hasattr(self, "feature_names_in_"):
            return validate_features(X, self._columns, numeric=[])
        frame = X if isinstance(X, pd.DataFrame) else _as_frame(X, who=name)
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {name} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return validate_features(frame.set_axis(self._columns, axis=1), self._columns, numeric=[])

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
    ``show_progress``) and ``executor`` (the config's ``[resources] executor``: ``"auto"``,
    ``"ray"``, or ``"local"``, the warm local process pool, whose trials start in milliseconds
    where Ray Tune starts actors per run; one machine only); the task is always
    classification.

    Attributes after ``fit``: ``best_pipeline_`` (refit on all of ``X``), ``results_`` (the
    run's :class:`~automl_core.Results`: table, plots, report), ``best_params_``,
    ``best_score_`` (cross-validated), ``classes_``, ``n_features_in_`` and, for a DataFrame
    with string columns, ``feature_names_in_``.

    Loading a saved estimator (``joblib.load``) unpickles it, which runs code from the file:
    only load files you trust.
    """

    _task = "classification"

    def _check_target(self, y: np.ndarray) -> np.ndarray:
        # rows without a target are dropped by the run (datacheck): judge the others
        known = y[~pd.isna(y)] if y.dtype.kind in "fcO" else y
        check_classification_targets(known)  # "Unknown label type: continuous..."
        classes = pd.unique(known)
        if len(classes) < 2:
            found = f"only one class: {classes[0]!r}" if len(classes) else "no class at all"
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes in the data, but "
                f"the data contains {found}"
            )
        return y

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
    ``seed``, ``cpu``, ``gpu``, ``results_dir``, ``address``, ``show_progress``) and
    ``executor`` (see :class:`AutoMLClassifier`); the task is always regression.

    Attributes after ``fit``: ``best_pipeline_`` (refit on all of ``X``), ``results_`` (the
    run's :class:`~automl_core.Results`), ``best_params_``, ``best_score_`` (cross-validated),
    ``n_features_in_`` and, for a DataFrame with string columns, ``feature_names_in_``.

    Loading a saved estimator (``joblib.load``) unpickles it, which runs code from the file:
    only load files you trust.
    """

    _task = "regression"

    def _check_target(self, y: np.ndarray) -> np.ndarray:
        if y.dtype.kind != "O":
            return y
        try:  # numbers held as Python objects are numbers (scikit-learn's rule)
            return y.astype(np.float64)
        except (TypeError, ValueError):
            return y  # text: the run's datacheck says the target is not numeric
