"""Builtin strategy specs: grid, random and GP-based Bayesian optimisation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..search.strategies.grid import GridStrategy, enumerate_grid
from ..search.strategies.random_search import RandomStrategy
from ..specs import StrategySpec


class GridSpec(StrategySpec):
    """Every combination of the grid points, branch by branch of the model choice."""

    kind: Literal["grid"] = "grid"

    def build(self, space, mode, seed):
        return GridStrategy(space, mode, seed)

    def check_space(self, space):
        enumerate_grid(space)


class RandomSpec(StrategySpec):
    """Independent random sampling (log ranges log-uniformly)."""

    kind: Literal["random"] = "random"

    def build(self, space, mode, seed):
        return RandomStrategy(space, mode, seed)


class GPSpec(StrategySpec):
    """Gaussian-process Bayesian optimisation: Matern 5/2 ARD surrogate, log expected improvement.

    ``n_initial`` space-filling (Sobol) points come first; 0 (the default) means
    ``min(10, 2 * dims + 1)``.
    Handles ints, choices and conditional dims, and proposes distinct, spread-out points while
    other trials are still running (many workers). With ASHA/HyperBand it learns from the
    trials stopped early too, at the scores of the highest rung enough trials reached (see
    ``automl_core.search.strategies.gp``).
    """

    kind: Literal["gp"] = "gp"
    n_initial: int = Field(default=0, ge=0)
    n_candidates: int = Field(default=1024, ge=16)
    n_starts: int = Field(default=8, ge=1)

    def build(self, space, mode, seed):
        # imported here: it needs scipy.stats (~0.5 s), and every registry build loads this module
        from ..search.strategies.gp import GPStrategy

        return GPStrategy(
            space,
            mode,
            seed,
            n_initial=self.n_initial or None,
            n_candidates=self.n_candidates,
            n_starts=self.n_starts,
        )


BUILTIN_STRATEGIES = [GridSpec, RandomSpec, GPSpec]
