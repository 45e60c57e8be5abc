"""The ``tpe`` strategy spec: hyperopt's TPE settings, hyperopt's defaults."""

from __future__ import annotations

from typing import Literal

from automl_core.specs import StrategySpec
from pydantic import Field

__all__ = ["TPESpec"]


class TPESpec(StrategySpec):
    """Hyperopt's Tree-structured Parzen Estimator.

    ``n_startup_jobs`` random trials first, then each suggestion is the best of
    ``n_EI_candidates`` draws from the good-trials density by the ratio of densities; ``gamma``
    is the fraction of trials counted as good. Defaults are hyperopt's.
    """

    kind: Literal["tpe"] = "tpe"
    n_startup_jobs: int = Field(default=20, ge=0)
    n_EI_candidates: int = Field(default=24, ge=1)
    gamma: float = Field(default=0.25, gt=0, lt=1)
    prior_weight: float = Field(default=1.0, gt=0)

    def build(self, space, mode, seed):
        from .strategy import TPEStrategy  # imports hyperopt: only when a run uses tpe

        return TPEStrategy(
            space,
            mode,
            seed,
            n_startup_jobs=self.n_startup_jobs,
            n_EI_candidates=self.n_EI_candidates,
            gamma=self.gamma,
            prior_weight=self.prior_weight,
        )
