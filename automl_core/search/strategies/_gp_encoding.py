"""Points of a (conditional) search space as rows of numbers for the GP, and back.

One column per dim:

- ``Float`` / ``Int``: the unit-cube value of :meth:`SearchSpace.to_unit` (log dims in log
  space). Ints are relaxed to the continuum while the acquisition is optimised and rounded when
  decoded; the row is then re-encoded, so the GP only ever sees values a trial can take.
- ``Choice``: the index of the value; the kernel compares categorical columns with the
  Hamming distance, so the order of the values means nothing.
- Inactive dims (their branch of a conditional choice is not taken) are *imputed to a
  constant*: 0.5 for numbers, -1 (a category no point takes) for choices. Two points of the same
  branch then differ only in that branch's dims, and the parent choice's own column keeps the
  branches apart. A single GP shares what it learns about common dims across branches, which
  per-branch GPs cannot do with few trials.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..space import Choice, SearchSpace

__all__ = ["Encoder", "INACTIVE_NUM", "INACTIVE_CAT"]

INACTIVE_NUM = 0.5
INACTIVE_CAT = -1.0


class Encoder:
    """Vectorised encoding of one :class:`SearchSpace` (see the module docstring)."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self.dims = space.dims
        self.is_cat = np.array([isinstance(d.domain, Choice) for d in self.dims])
        self.n_values = [len(d.domain.values) if c else 0 for d, c in zip(self.dims, self.is_cat)]
        index = {d.name: i for i, d in enumerate(self.dims)}
        # per dim: (parent column, allowed parent indices) or None when always active
        self.parent: list[tuple[int, np.ndarray] | None] = []
        for d in self.dims:
            if d.condition is None:
                self.parent.append(None)
                continue
            pname, allowed = d.condition
            pdom = space.dim(pname).domain
            idx = [i for i, v in enumerate(pdom.values) if v in allowed]
            self.parent.append((index[pname], np.array(idx, dtype=float)))

    @property
    def n_cols(self) -> int:
        return len(self.dims)

    def encode(self, params: Mapping[str, Any]) -> np.ndarray:
        """One point (active dims only) as a row."""
        row = np.empty(self.n_cols)
        for i, d in enumerate(self.dims):
            if d.name not in params:
                row[i] = INACTIVE_CAT if self.is_cat[i] else INACTIVE_NUM
            elif self.is_cat[i]:
                row[i] = d.domain.values.index(params[d.name])
            else:
                row[i] = self.space.to_unit(d, params[d.name])
        return row

    def decode(self, row: np.ndarray) -> dict[str, Any]:
        """A row back to a point of the space: active dims only, ints rounded, real values."""
        point: dict[str, Any] = {}
        for i, d in enumerate(self.dims):
            if not self.space.is_active(d, point):
                continue
            if self.is_cat[i]:
                k = int(np.clip(round(row[i]), 0, self.n_values[i] - 1))
                point[d.name] = d.domain.values[k]
            else:
                point[d.name] = self.space.from_unit(d, row[i])
        return point

    def snap(self, row: np.ndarray) -> np.ndarray:
        """The row of the point a trial would actually run (ints rounded, inactive imputed)."""
        return self.encode(self.decode(row))

    def active_mask(self, X: np.ndarray) -> np.ndarray:
        """Which entries of rows ``X`` are active (parents come first, so one pass suffices)."""
        act = np.ones(X.shape, dtype=bool)
        for i, par in enumerate(self.parent):
            if par is not None:
                j, allowed = par
                act[:, i] = act[:, j] & np.isin(X[:, j], allowed)
        return act

    def impute(self, X: np.ndarray) -> np.ndarray:
        """Set the inactive entries of ``X`` to their constants (in place); returns ``X``."""
        inactive = ~self.active_mask(X)
        X[inactive & self.is_cat[None, :]] = INACTIVE_CAT
        X[inactive & ~self.is_cat[None, :]] = INACTIVE_NUM
        return X

    def from_uniform(self, U: np.ndarray) -> np.ndarray:
        """Rows from uniform numbers in [0, 1) (random or Sobol draws), one column per dim."""
        X = np.array(U, dtype=float, copy=True)
        for i, k in enumerate(self.n_values):
            if k:
                X[:, i] = np.minimum(np.floor(U[:, i] * k), k - 1)
        return self.impute(X)

    def free_mask(self, X: np.ndarray) -> np.ndarray:
        """Entries a gradient step may move: active and numeric."""
        return self.active_mask(X) & ~self.is_cat[None, :]

    def neighbours(self, row: np.ndarray) -> np.ndarray:
        """Rows differing from ``row`` in one active choice (for a discrete local search).

        Switching a parent choice activates another branch, whose dims start at the middle of
        their ranges (numbers) or at their first value (choices).
        """
        act = self.active_mask(row[None, :])[0]
        out = []
        for i, k in enumerate(self.n_values):
            if not k or not act[i]:
                continue
            for v in range(k):
                if v == row[i]:
                    continue
                nb = row.copy()
                nb[i] = v
                nb_act = self.active_mask(nb[None, :])[0]
                woke = nb_act & ~act
                nb[woke & self.is_cat] = 0.0
                nb[woke & ~self.is_cat] = INACTIVE_NUM
                out.append(nb)
        if not out:
            return np.empty((0, self.n_cols))
        return self.impute(np.array(out))
