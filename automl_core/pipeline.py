"""The fitted object users get back: a scikit-learn Pipeline that also runs resamplers.

Resamplers (steps with ``fit_resample``) change the rows of the training data during ``fit``
only, so validation folds, test splits and predict-time rows are never resampled.
"""

from __future__ import annotations

from sklearn.base import clone
from sklearn.pipeline import Pipeline

__all__ = ["AutoPipeline", "build_pipeline"]


class AutoPipeline(Pipeline):
    """``sklearn.pipeline.Pipeline`` whose ``fit`` honours ``fit_resample`` steps."""

    def fit(self, X, y=None, **params):
        if not any(hasattr(step, "fit_resample") for _, step in self.steps[:-1]):
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
