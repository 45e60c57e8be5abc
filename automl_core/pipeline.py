"""The fitted object users get back: a scikit-learn Pipeline that also runs resamplers.

Resamplers (steps with ``fit_resample``) change the rows of the training data during ``fit``
only, so validation folds, test splits and predict-time rows are never resampled. Weighting steps
(with ``sample_weight(y)``, e.g. ``class_weight``) hand row weights to the model's ``fit``; a
model without ``sample_weight`` gets the step's ``resample_instead(X, y)`` rows instead.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import has_fit_parameter

__all__ = ["AutoPipeline", "build_pipeline"]


class AutoPipeline(Pipeline):
    """``sklearn.pipeline.Pipeline`` whose ``fit`` honours ``fit_resample`` steps."""

    def fit(self, X, y=None, **params):
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
    """cleaners (pipeline stage) -> numeric guard -> model, from a :class:`Resolved`."""
    from .cleaning import NumericGuard

    steps = []
    for i, spec in enumerate(resolved.cleaners):
        if spec.stage != "pipeline":
            continue
        steps.append((f"{i}_{spec.kind}", spec.build(task)))
    steps.append(("numeric_guard", NumericGuard()))
    model = resolved.model.build(task, resolved.regularizers, seed=seed, n_jobs=n_jobs)
    steps.append((resolved.model_label, model))
    return AutoPipeline(steps)
