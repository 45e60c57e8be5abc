"""The objective of a table experiment: build the pipeline of a point and cross-validate it.

Picklable and Ray-free: the runner ships it to the workers once through the object store.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..plugins import ensure_plugins, runtime_plugins
from ..search.config_space import resolve
from .cv import cross_validate
from .epochs import cross_validate_epochs, has_epoch_protocol
from .pipeline import build_pipeline

__all__ = ["PipelineObjective"]


class PipelineObjective:
    """``objective(params, ctx) -> {"score": ..., "score_std": ..., ...}`` for one point.

    Holds the config as JSON and validates it again on the worker, against the plugins
    installed *there*: a kind missing on a worker is a clear config error, not a pickle error.
    """

    #: what new Ray workers import before the first trial (runner/worker_preload.py)
    worker_preload = "tables"

    def __init__(
        self, config_json: dict[str, Any], X: pd.DataFrame, y: pd.Series, folds, task: str
    ):
        self.config_json = config_json
        self.X = X
        self.y = y
        self.folds = folds
        self.task = task
        self._cfg = None
        #: plugins registered in the driver with ``ac.register_plugin`` (a notebook's): the
        #: workers register them too before they validate the config
        self.plugins = runtime_plugins()

    def __getstate__(self):
        return {**self.__dict__, "_cfg": None}

    @property
    def cfg(self):
        if self._cfg is None:
            from ..config import parse_config

            ensure_plugins(getattr(self, "plugins", []))
            self._cfg = parse_config(self.config_json)
        return self._cfg

    def pipeline(self, params: dict[str, Any], seed: int, n_jobs: int = 1):
        return build_pipeline(resolve(self.cfg, params), self.task, seed=seed, n_jobs=n_jobs)

    def __call__(self, params: dict[str, Any], ctx) -> dict[str, Any]:
        pipe = self.pipeline(params, seed=ctx.seed, n_jobs=ctx.cpus)
        args = (pipe, self.X, self.y, self.folds, self.cfg.metric, self.cfg.extra_metrics)
        if has_epoch_protocol(pipe.steps[-1][1]):
            # networks train epoch by epoch: folds in lockstep, fold means reported every epoch
            out = cross_validate_epochs(*args, ctx=ctx, train_score=self.cfg.cv.train_score)
        else:
            out = cross_validate(
                *args, train_score=self.cfg.cv.train_score, resources=(ctx.cpus, ctx.gpus)
            )
        out.pop("fold_scores", None)
        return out
