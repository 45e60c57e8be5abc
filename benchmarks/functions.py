"""Test functions for the strategy benchmark: ranges, optimum, and the function itself.

Each :class:`Problem` is minimised over a box; ``regret = f(best point) - f_min``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Problem", "PROBLEMS", "SVC_DIGITS", "branin", "hartmann6", "levy", "mixed", "svc_error"]


@dataclass(frozen=True)
class Problem:
    """A box-constrained minimisation problem.

    ``kinds`` says per dim "float", "int" or "choice"; choices take the values
    ``range(int(high) + 1)`` and are compared by identity, not order. ``log``: every float dim
    is searched on a log scale (the real task's C and gamma).
    """

    name: str
    bounds: tuple[tuple[float, float], ...]
    f: Callable[[np.ndarray], float]
    f_min: float
    kinds: tuple[str, ...] = ()
    log: bool = False

    @property
    def dim(self) -> int:
        return len(self.bounds)

    def kind(self, i: int) -> str:
        return self.kinds[i] if self.kinds else "float"


def branin(x: np.ndarray) -> float:
    x1, x2 = x
    b, c = 5.1 / (4 * math.pi**2), 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(x: np.ndarray) -> float:
    inner = np.sum(_H_A * (np.asarray(x) - _H_P) ** 2, axis=1)
    return float(-np.sum(_H_ALPHA * np.exp(-inner)))


def levy(x: np.ndarray) -> float:
    w = 1 + (np.asarray(x, dtype=float) - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


def mixed(x: np.ndarray) -> float:
    """A mixed float/int/choice function: Hartmann3-like bowl, an int and a 3-way choice.

    ``x = (a, b, n, c)``: floats a, b in [0, 1], int n in [0, 20], choice c in {0, 1, 2}.
    Each choice shifts the optimum of the bowl and adds an offset; the minimum is 0 at
    ``a=0.3, b=0.7, n=13, c=1``.
    """
    a, b, n, c = float(x[0]), float(x[1]), int(x[2]), int(x[3])
    shift = (0.2, 0.0, -0.2)[c]
    offset = (0.5, 0.0, 0.8)[c]
    return (
        4 * (a - 0.3 - shift) ** 2
        + 4 * (b - 0.7 + shift) ** 2
        + 0.02 * (n - 13) ** 2
        + offset
        + 0.3 * math.sin(6 * a) ** 2 * (1 - math.cos(2 * math.pi * (b - 0.7)))
    )


PROBLEMS: dict[str, Problem] = {
    "branin": Problem("branin", ((-5.0, 10.0), (0.0, 15.0)), branin, 0.397887357729738),
    "hartmann6": Problem("hartmann6", ((0.0, 1.0),) * 6, hartmann6, -3.32236801141551),
    "levy4": Problem("levy4", ((-10.0, 10.0),) * 4, levy, 0.0),
    "mixed4": Problem(
        "mixed4",
        ((0.0, 1.0), (0.0, 1.0), (0, 20), (0, 2)),
        mixed,
        0.0,
        ("float", "float", "int", "choice"),
    ),
}


_DIGITS: tuple | None = None


def svc_error(x: np.ndarray) -> float:
    """1 - 3-fold CV accuracy of an RBF SVC on scikit-learn's digits at ``C, gamma = x``.

    The folds are fixed (shuffled once with seed 0), so the objective is deterministic.
    """
    global _DIGITS
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    if _DIGITS is None:
        X, y = load_digits(return_X_y=True)
        _DIGITS = (X / 16.0, y, StratifiedKFold(3, shuffle=True, random_state=0))
    X, y, cv = _DIGITS
    acc = cross_val_score(SVC(C=float(x[0]), gamma=float(x[1])), X, y, cv=cv).mean()
    return float(1.0 - acc)


SVC_DIGITS = Problem("svc-digits", ((1e-3, 1e3), (1e-5, 1e1)), svc_error, 0.0, log=True)
