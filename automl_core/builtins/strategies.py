"""Builtin strategy specs: grid and random."""

from __future__ import annotations

from typing import Literal

from ..specs import StrategySpec
from ..strategies.grid import GridStrategy, enumerate_grid
from ..strategies.random_search import RandomStrategy


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


BUILTIN_STRATEGIES = [GridSpec, RandomSpec]
