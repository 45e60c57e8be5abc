"""The fitted object users get back: a scikit-learn Pipeline that also runs resamplers.

Resamplers (steps with ``fit_resample``) change the rows of the training data during ``fit``
only, so validation folds, test splits and predict-time rows are never resampled. Weighting steps
(with ``sample_weight(y)``, e.g. ``class_weight``) hand row weights to the model's ``fit``; a
model without ``sample_weight`` gets the step's ``resample_instead(X, y)`` rows instead.

Predicting on user rows: a pipeline fitted on a DataFrame records its training columns and checks
every table it predicts on with :func:`automl_core.data.check.validate_features` (extra columns
left out, columns matched by name whatever their order, infinities made gaps as in training, a
missing column a :class:`~automl_core.data.check.DataError` naming it). Every way to a prediction
(``Results.best_pipeline``, the estimators, the ensembles built of these pipelines) gets it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import has_fit_parameter

from ..trials.limits import stoppable_call

__all__ = ["AutoPipeline", "build_pipeline"]


def _final_has(attr: str):
    """For ``available_if``: the method exists when the last step has it (as in Pipeline)."""

    def check(self) -> bool:
        getattr(self._final_estimator, attr)  # AttributeError: the method is not available
        return True

    return check


class AutoPipeline(Pipeline):
    """``sklearn.pipeline.Pipeline`` whose ``fit`` honours ``fit_resample`` steps and whose
    predictions check the rows they are given.

    Fitted on a DataFrame with text column names, it keeps ``training_columns_`` (and
    ``training_numeric_``, those that held numbers); ``predict``, ``predict_proba``,
    ``predict_log_proba``, ``decision_function``, ``score_samples``, ``score`` and
    ``transform`` then pass their rows through :func:`~automl_core.data.check.validate_features`.
    An array is taken as the training columns in order (its width must match). Fitted on
    anything else (image arrays), rows go to the steps as given.
    """

    def _remember_columns(self, X) -> None:
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            self.training_columns_ = list(X.columns)
            self.training_numeric_ = [
                c
                for c, dtype in X.dtypes.items()
                if pdt.is_numeric_dtype(dtype) and not pdt.is_bool_dtype(dtype)
            ]
        else:
            for name in ("training_columns_", "training_numeric_"):
                self.__dict__.pop(name, None)

    def _user_rows(self, X):
        """``X`` checked against the training columns (as given when none were recorded)."""
        columns = getattr(self, "training_columns_", None)
        if columns is None:
            return X
        from ..data.check import DataError, validate_features
        from ..data.cleaning.base import as_frame

        if not isinstance(X, pd.DataFrame):
            X = as_frame(X, "the fitted pipeline")
            if X.shape[1] != len(columns):
                raise DataError(
                    f"X has {X.shape[1]} columns but the pipeline was fitted on "
                    f"{len(columns)}: {columns}; pass a DataFrame with those columns"
                )
            X = X.set_axis(columns, axis=1)
        return validate_features(X, columns, numeric=self.training_numeric_)

    @available_if(_final_has("predict"))
    def predict(self, X, **params):
        return super().predict(self._user_rows(X), **params)

    @available_if(_final_has("predict_proba"))
    def predict_proba(self, X, **params):
        return super().predict_proba(self._user_rows(X), **params)

    @available_if(_final_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        return super().predict_log_proba(self._user_rows(X), **params)

    @available_if(_final_has("decision_function"))
    def decision_function(self, X, **params):
        return super().decision_function(self._user_rows(X), **params)

    @available_if(_final_has("score_samples"))
    def score_samples(self, X):
        return super().score_samples(self._user_rows(X))

    @available_if(_final_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        return super().score(self._user_rows(X), y, sample_weight=sample_weight, **params)

    @available_if(_final_has("transform"))
    def transform(self, X, **params):
        return super().transform(self._user_rows(X), **params)

    def fit(self, X, y=None, **params):
        self._remember_columns(X)
        special = ("fit_resample", "sample_weight")
        if not any(hasattr(step, a) for _, step in self.steps[:-1] for a in special):
            return super().fit(X, y, **params)
        Xt, yt = X, y
        fitted = []
        for name, step in self.steps[:-1]:
            step = clone(step)
            if hasattr(step, "fit_resample"):
                Xt, yt = step.fit_resample(Xt, yt)
            else:
                Xt = step.fit_transform(Xt, yt)
            fitted.append((name, step))
        last_name, last = self.steps[-1]
        weighting = [step for _, step in fitted if hasattr(step, "sample_weight")]
        if weighting and has_fit_parameter(last, "sample_weight"):
            weights = np.prod([step.sample_weight(yt) for step in weighting], axis=0)
            params = {**params, "sample_weight": weights}
        else:
            for step in weighting:
                Xt, yt = step.resample_instead(Xt, yt)
        last.fit(Xt, yt, **params)
        self.steps = fitted + [(last_name, last)]
        return self


def build_pipeline(resolved, task: str, seed: int, n_jobs: int = 1) -> AutoPipeline:
    """cleaners (pipeline stage) -> numeric guard -> model, from a :class:`Resolved`.

    Inside a trial the build runs in :func:`~automl_core.trials.limits.stoppable_call`: a
    plugin imports its library in ``build()``, and a time limit's exception landing inside a
    first import leaves a compiled module half-initialised for the rest of the process (every
    later import of it fails: ``KeyError: '__reduce_cython__'``, seen with scikit-learn's
    metrics under LightGBM's import). The limit waits for the build instead.
    """
    with stoppable_call():
        return _build(resolved, task, seed, n_jobs)


def _build(resolved, task: str, seed: int, n_jobs: int) -> AutoPipeline:
    from ..data.cleaning import NumericGuard

    steps = []
    for i, spec in enumerate(resolved.cleaners):
        if spec.stage != "pipeline":
            continue
        steps.append((f"{i}_{spec.kind}", spec.build(task)))
    steps.append(("numeric_guard", NumericGuard()))
    model = resolved.model.build(task, resolved.regularizers, seed=seed, n_jobs=n_jobs)
    steps.append((resolved.model_label, model))
    return AutoPipeline(steps)
