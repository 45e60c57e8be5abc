"""The 24 BBOB noiseless functions, written from their published definitions.

Hansen, Finck, Ros and Auger (2009), "Real-Parameter Black-Box Optimization Benchmarking 2009:
Noiseless Functions Definitions", INRIA research report RR-6829. Each function ``f1``..``f24``
is built for one dimension and one *instance* (the random optimum ``x_opt``, rotations ``R``
and ``Q``, signs and peaks of the paper, drawn here from ``numpy.random.default_rng(instance)``
rather than from the paper's own generator, so values differ from COCO's instances while the
families are the same). ``f_opt`` is 0: the regret of a point is ``f(x) - f(x_opt)``.

Domain: ``[-5, 5]^D``. Families (the paper's grouping): separable (f1-f5), low or moderate
conditioning (f6-f9), high conditioning and unimodal (f10-f14), multimodal with adequate global
structure (f15-f19), multimodal with weak global structure (f20-f24).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["BBOB_NAMES", "make_bbob"]

BBOB_NAMES = {
    1: "sphere",
    2: "ellipsoid-sep",
    3: "rastrigin-sep",
    4: "bueche-rastrigin",
    5: "linear-slope",
    6: "attractive-sector",
    7: "step-ellipsoid",
    8: "rosenbrock",
    9: "rosenbrock-rot",
    10: "ellipsoid",
    11: "discus",
    12: "bent-cigar",
    13: "sharp-ridge",
    14: "different-powers",
    15: "rastrigin",
    16: "weierstrass",
    17: "schaffers-f7",
    18: "schaffers-f7-ill",
    19: "griewank-rosenbrock",
    20: "schwefel",
    21: "gallagher-101",
    22: "gallagher-21",
    23: "katsuura",
    24: "lunacek",
}


def t_osz(x: np.ndarray) -> np.ndarray:
    """The oscillation transform T_osz (smooth local irregularities), element-wise."""
    x = np.asarray(x, dtype=float)
    xh = np.where(x != 0, np.log(np.abs(x) + (x == 0)), 0.0)
    c1 = np.where(x > 0, 10.0, 5.5)
    c2 = np.where(x > 0, 7.9, 3.1)
    return np.sign(x) * np.exp(xh + 0.049 * (np.sin(c1 * xh) + np.sin(c2 * xh)))


def t_asy(x: np.ndarray, beta: float) -> np.ndarray:
    """The asymmetry transform T_asy^beta: positive entries raised to a growing power."""
    d = len(x)
    i = np.arange(d) / max(d - 1, 1)
    pos = np.maximum(x, 0.0)
    return np.where(x > 0, pos ** (1 + beta * i * np.sqrt(pos)), x)


def lam(alpha: float, d: int) -> np.ndarray:
    """The diagonal of Lambda^alpha: conditioning ``alpha`` spread over the dims."""
    return alpha ** (0.5 * np.arange(d) / max(d - 1, 1))


def f_pen(x: np.ndarray) -> float:
    """Penalty outside the box [-5, 5]^D."""
    return float(np.sum(np.maximum(0.0, np.abs(x) - 5.0) ** 2))


def _rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    """A random orthogonal matrix (Gram-Schmidt of a Gaussian one, as the paper does)."""
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _rastrigin(z: np.ndarray) -> float:
    return float(10 * (len(z) - np.sum(np.cos(2 * math.pi * z))) + z @ z)


def _gallagher(rng: np.random.Generator, d: int, n_peaks: int) -> Callable:
    r = _rotation(rng, d)
    if n_peaks == 101:
        w = np.r_[10.0, 1.1 + 8.0 * np.arange(n_peaks - 1) / 99]
        alphas = np.r_[1000.0, 1000.0 ** (2 * rng.permutation(n_peaks - 1) / 99)]
        y = rng.uniform(-5, 5, size=(n_peaks, d))
        y[0] = rng.uniform(-4, 4, size=d)
    else:
        w = np.r_[10.0, 1.1 + 8.0 * np.arange(n_peaks - 1) / 19]
        alphas = np.r_[1000.0**2, 1000.0 ** (2 * rng.permutation(n_peaks - 1) / 19)]
        y = rng.uniform(-4.9, 4.9, size=(n_peaks, d))
        y[0] = rng.uniform(-3.92, 3.92, size=d)
    # C_i = Lambda^alpha_i / alpha_i^(1/4), with the diagonal's entries randomly permuted
    cs = np.array([rng.permutation(lam(a, d)) / a**0.25 for a in alphas])
    ry = y @ r.T

    def f(x: np.ndarray) -> float:
        diff = (r @ x)[None, :] - ry
        q = np.sum(cs * diff * diff, axis=1)
        best = np.max(w * np.exp(-q / (2 * d)))
        return float(t_osz(np.array([10.0 - best]))[0] ** 2 + f_pen(x))

    f.x_opt = y[0]  # type: ignore[attr-defined]
    return f


def make_bbob(fid: int, d: int, instance: int = 1) -> tuple[Callable[[np.ndarray], float], float]:
    """BBOB function ``fid`` (1-24) in ``d`` dims: ``(f, f(x_opt))``; minimise over [-5, 5]^d."""
    rng = np.random.default_rng(1000 * fid + 17 * d + instance)
    x_opt = rng.uniform(-4, 4, size=d)
    R, Q = _rotation(rng, d), _rotation(rng, d)
    signs = np.where(rng.random(d) < 0.5, -1.0, 1.0)
    i_frac = np.arange(d) / max(d - 1, 1)
    L10, L100 = lam(10.0, d), lam(100.0, d)
    f: Callable[[np.ndarray], float]

    if fid == 1:

        def f(x):
            z = x - x_opt
            return float(z @ z)
    elif fid == 2:

        def f(x):
            z = t_osz(x - x_opt)
            return float(np.sum(10 ** (6 * i_frac) * z * z))
    elif fid == 3:

        def f(x):
            return _rastrigin(L10 * t_asy(t_osz(x - x_opt), 0.2))
    elif fid == 4:
        x_opt[::2] = np.abs(x_opt[::2])

        def f(x):
            z = t_osz(x - x_opt)
            s = np.where((z > 0) & (np.arange(d) % 2 == 0), 10.0 * L10, L10)
            return _rastrigin(s * z) + 100 * f_pen(x)
    elif fid == 5:
        x_opt = 5.0 * signs
        s = signs * 10**i_frac

        def f(x):
            z = np.where(x_opt * x < 25.0, x, x_opt)
            return float(np.sum(5 * np.abs(s) - s * z))
    elif fid == 6:
        M = Q @ np.diag(L10) @ R

        def f(x):
            z = M @ (x - x_opt)
            s = np.where(z * x_opt > 0, 100.0, 1.0)
            return float(t_osz(np.array([np.sum((s * z) ** 2)]))[0] ** 0.9)
    elif fid == 7:
        M = np.diag(L10) @ R

        def f(x):
            zh = M @ (x - x_opt)
            zt = np.where(np.abs(zh) > 0.5, np.floor(0.5 + zh), np.floor(0.5 + 10 * zh) / 10)
            z = Q @ zt
            return 0.1 * max(abs(zh[0]) / 1e4, float(np.sum(10 ** (2 * i_frac) * z * z))) + f_pen(x)
    elif fid in (8, 9, 19):
        x_opt = x_opt * 0.75  # f8: x_opt in [-3, 3]^D
        c = max(1.0, math.sqrt(d) / 8)

        def ros(z):
            return 100 * (z[:-1] ** 2 - z[1:]) ** 2 + (z[:-1] - 1) ** 2

        if fid == 8:

            def f(x):
                return float(np.sum(ros(c * (x - x_opt) + 1)))
        elif fid == 9:

            def f(x):
                return float(np.sum(ros(c * (R @ x) + 0.5)))
        else:

            def f(x):
                s = ros(c * (R @ x) + 0.5)
                return float(10 / (d - 1) * np.sum(s / 4000 - np.cos(s)) + 10)
    elif fid in (10, 11, 12, 14):

        def f(x):
            z = R @ (x - x_opt)
            if fid == 10:
                z = t_osz(z)
                return float(np.sum(10 ** (6 * i_frac) * z * z))
            if fid == 11:
                z = t_osz(z)
                return float(1e6 * z[0] ** 2 + np.sum(z[1:] ** 2))
            if fid == 12:
                z = R @ t_asy(z, 0.5)
                return float(z[0] ** 2 + 1e6 * np.sum(z[1:] ** 2))
            return float(np.sqrt(np.sum(np.abs(z) ** (2 + 4 * i_frac))))
    elif fid == 13:
        M = Q @ np.diag(L10) @ R

        def f(x):
            z = M @ (x - x_opt)
            return float(z[0] ** 2 + 100 * np.sqrt(np.sum(z[1:] ** 2)))
    elif fid == 15:
        M = R @ np.diag(L10) @ Q

        def f(x):
            return _rastrigin(M @ t_asy(t_osz(R @ (x - x_opt)), 0.2))
    elif fid == 16:
        M = R @ np.diag(lam(0.01, d)) @ Q
        k = np.arange(12)
        f0 = float(np.sum(0.5**k * np.cos(math.pi * 3.0**k)))

        def f(x):
            z = M @ t_osz(R @ (x - x_opt))
            inner = np.sum(0.5**k * np.cos(2 * math.pi * 3.0**k * (z[:, None] + 0.5)))
            return float(10 * (inner / d - f0) ** 3 + 10 / d * f_pen(x))
    elif fid in (17, 18):
        M = np.diag(lam(10.0 if fid == 17 else 1000.0, d)) @ Q

        def f(x):
            z = M @ t_asy(R @ (x - x_opt), 0.5)
            s = np.sqrt(z[:-1] ** 2 + z[1:] ** 2)
            inner = np.sqrt(s) + np.sqrt(s) * np.sin(50 * s**0.2) ** 2
            return float((np.sum(inner) / (d - 1)) ** 2 + 10 * f_pen(x))
    elif fid == 20:
        x_opt = 4.2096874633 / 2 * signs
        L = lam(10.0, d)

        def f(x):
            xh = 2 * signs * x
            zh = xh.copy()
            zh[1:] += 0.25 * (xh[:-1] - 2 * np.abs(x_opt[:-1]))
            z = 100 * (L * (zh - 2 * np.abs(x_opt)) + 2 * np.abs(x_opt))
            val = -np.sum(z * np.sin(np.sqrt(np.abs(z)))) / (100 * d)
            return float(val + 4.189828872724339 + 100 * f_pen(z / 100))
    elif fid in (21, 22):
        f = _gallagher(rng, d, 101 if fid == 21 else 21)
        x_opt = f.x_opt  # type: ignore[attr-defined]
    elif fid == 23:
        M = Q @ np.diag(L100) @ R
        two_j = 2.0 ** np.arange(1, 33)
        expo = 10 / d**1.2

        def f(x):
            z = M @ (x - x_opt)
            t = two_j[None, :] * z[:, None]
            s = np.sum(np.abs(t - np.round(t)) / two_j, axis=1)
            prod = np.prod((1 + np.arange(1, d + 1) * s) ** expo)
            return float(10 / d**2 * prod - 10 / d**2 + f_pen(x))
    elif fid == 24:
        mu0 = 2.5
        s_ = 1 - 1 / (2 * math.sqrt(d + 20) - 8.2)
        mu1 = -math.sqrt((mu0**2 - 1) / s_)
        x_opt = mu0 / 2 * signs
        M = Q @ np.diag(L100) @ R

        def f(x):
            xh = 2 * signs * x
            z = M @ (xh - mu0)
            bi = min(np.sum((xh - mu0) ** 2), d + s_ * np.sum((xh - mu1) ** 2))
            return float(bi + 10 * (d - np.sum(np.cos(2 * math.pi * z))) + 1e4 * f_pen(x))
    else:
        raise ValueError(f"fid must be 1-24, got {fid}")
    if fid in (9, 19):  # the optimum of the rotated Rosenbrocks: z = 1, so x = R^T (0.5 / c)
        x_opt = R.T @ np.full(d, 0.5 / max(1.0, math.sqrt(d) / 8))
    return f, float(f(np.asarray(x_opt, dtype=float)))
