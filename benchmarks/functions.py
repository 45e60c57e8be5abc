"""Test functions for the strategy benchmark: ranges, optimum, and the function itself.

Each :class:`Problem` is minimised over a box; ``regret = f(best point) - f_min``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Problem",
    "PROBLEMS",
    "SUITE",
    "SVC_DIGITS",
    "branin",
    "hartmann6",
    "levy",
    "mixed",
    "svc_error",
]


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


def mixed_hartmann(x: np.ndarray) -> float:
    """Hartmann6 with dims 3-5 on an 11-value int grid and a 4-way choice of offset and shift.

    ``x = (a, b, c, i, j, k, m)``: floats a, b, c in [0, 1], ints i, j, k in [0, 10] read as
    ``i / 10``, choice m in {0..3}. Choice 2 keeps Hartmann6 as it is; the others move the
    first three coordinates and add an offset, so they are worse everywhere by at least 0.2.
    """
    m = int(x[6])
    u = np.array([x[0], x[1], x[2], x[3] / 10, x[4] / 10, x[5] / 10], dtype=float)
    shift = (0.15, -0.1, 0.0, 0.25)[m]
    u[:3] = np.clip(u[:3] + shift, 0.0, 1.0)
    return hartmann6(u) + (0.4, 0.2, 0.0, 0.6)[m]


_CAT_TABLE = np.random.default_rng(5).uniform(0.0, 2.0, size=(5, 5))
_CAT_TABLE[3, 1] = 0.0
_CAT_SHIFT = np.random.default_rng(6).uniform(-0.3, 0.3, size=(5, 4))


def mixed_categorical(x: np.ndarray) -> float:
    """4 floats in [-1, 1] and two 5-way choices that interact (a table) and move the optimum.

    The minimum is 0 at choices (3, 1) with the floats at ``_CAT_SHIFT[3]``; the floats form a
    rotated ellipsoid of condition 100, so a wrong choice costs more than a rough float.
    """
    c1, c2 = int(x[4]), int(x[5])
    z = np.asarray(x[:4], dtype=float) - _CAT_SHIFT[c1]
    z = np.array([z[0] + z[1], z[0] - z[1], z[2] + 0.5 * z[3], z[3]])
    return float(np.sum(np.array([100.0, 10.0, 3.0, 1.0]) * z * z) + _CAT_TABLE[c1, c2])


#: dimension of each BBOB function in the suite: every family at a low and a higher dimension
#: across the suite, 2 to 10 dims
BBOB_DIMS = {
    1: 8, 2: 4, 3: 3, 4: 2, 5: 10, 6: 5, 7: 3, 8: 6, 9: 4, 10: 6, 11: 5, 12: 3,
    13: 4, 14: 10, 15: 2, 16: 3, 17: 6, 18: 4, 19: 5, 20: 2, 21: 8, 22: 4, 23: 3, 24: 6,
}  # fmt: skip


def _suite() -> dict[str, Problem]:
    from bbob import BBOB_NAMES, make_bbob

    out: dict[str, Problem] = {}
    for fid, d in BBOB_DIMS.items():
        f, f_opt = make_bbob(fid, d)
        name = f"f{fid:02d}-{BBOB_NAMES[fid]}-{d}d"
        out[name] = Problem(name, ((-5.0, 5.0),) * d, f, f_opt)
    out["mixed4"] = PROBLEMS["mixed4"]
    out["mixed7-hartmann"] = Problem(
        "mixed7-hartmann",
        ((0.0, 1.0),) * 3 + ((0, 10),) * 3 + ((0, 3),),
        mixed_hartmann,
        _mixed_hartmann_min_grid(),
        ("float",) * 3 + ("int",) * 3 + ("choice",),
    )
    out["mixed6-categorical"] = Problem(
        "mixed6-categorical",
        ((-1.0, 1.0),) * 4 + ((0, 4),) * 2,
        mixed_categorical,
        0.0,
        ("float",) * 4 + ("choice",) * 2,
    )
    return out


def _mixed_hartmann_min_grid() -> float:
    """The minimum of :func:`mixed_hartmann`: the 11^3 int grid searched, floats refined."""
    from scipy.optimize import minimize

    best = math.inf
    grid = np.stack(np.meshgrid(*[np.arange(11)] * 3, indexing="ij"), -1).reshape(-1, 3)
    # the grid scored with the floats near Hartmann6's optimum, then the best 5 refined
    coarse = [(hartmann6(np.r_[0.2, 0.15, 0.48, g / 10]), g) for g in grid]
    for _, g in sorted(coarse, key=lambda t: t[0])[:5]:
        res = minimize(
            lambda a, g=g: mixed_hartmann(np.r_[a, g, 2]),
            np.array([0.2, 0.15, 0.48]),
            method="L-BFGS-B",
            bounds=[(0, 1)] * 3,
        )
        best = min(best, float(res.fun))
    return best


SUITE: dict[str, Problem] = {}


def suite() -> dict[str, Problem]:
    """The broad suite (bench_suite.py): 24 BBOB functions, 3 mixed spaces, the SVC task."""
    if not SUITE:
        SUITE.update(_suite())
        SUITE[SVC_DIGITS.name] = SVC_DIGITS
    return SUITE
