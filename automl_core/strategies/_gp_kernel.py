"""A small Gaussian-process regressor on numpy/scipy for the ``gp`` strategy.

Matern 5/2 kernel with one length scale per input column (ARD). Numeric columns live in the
unit cube; categorical columns hold a category index and use the Hamming distance (the squared
difference is 0 or 1), as Optuna's GP does: that keeps one column and one length scale per
choice instead of one per value. Hyperparameters (inverse squared length scales, signal
variance, noise variance) are fitted by maximising the log marginal likelihood plus log priors
with L-BFGS-B and analytic gradients; the previous fit is the warm start of the next one.

Written by hand instead of using scikit-learn's ``GaussianProcessRegressor`` because the strategy
needs gradients of the posterior with respect to the inputs (for the acquisition optimiser),
Hamming distances for categories, priors, and a cost of a few milliseconds per fit.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

__all__ = ["GP", "fit_gp", "default_params"]

SQRT5 = math.sqrt(5.0)
#: floor of the noise variance (outputs are standardised): the objectives we tune are often
#: deterministic, and a floor keeps the Cholesky factorisation stable.
MIN_NOISE = 1e-6
# Bounds of the raw (log) hyperparameters: inverse squared length scale 1/ls^2 within
# ls in [~0.01, ~30] of the unit cube, signal variance in [0.01, 20], extra noise in [~0, 1].
_LOG_ISL_BOUNDS = (math.log(1e-3), math.log(1e4))
_LOG_SCALE_BOUNDS = (math.log(1e-2), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-9), 0.0)


def matern52(sqdist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matern 5/2 correlation of scaled squared distances and its derivative w.r.t. them.

    The derivative is taken w.r.t. the *squared* distance, which is finite at 0 (the derivative
    w.r.t. the distance divides by zero there).
    """
    s5d = np.sqrt(5.0 * sqdist)
    e = np.exp(-s5d)
    val = e * (1.0 + s5d + (5.0 / 3.0) * sqdist)
    der = (-5.0 / 6.0) * (1.0 + s5d) * e
    return val, der


def sq_diffs(a: np.ndarray, b: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Per-column squared differences ``(len(a), len(b), D)``; 0/1 mismatch on categories."""
    diff = a[:, None, :] - b[None, :, :]
    sqd = diff * diff
    if is_cat.any():
        sqd[..., is_cat] = (sqd[..., is_cat] > 0.0).astype(float)
    return sqd


def default_params(n_cols: int) -> np.ndarray:
    """Raw hyperparameters to start from: ``[log isl_1..D, log scale, log extra noise]``."""
    return np.concatenate([np.zeros(n_cols), [0.0, math.log(1e-2)]])


def _bounds(n_cols: int) -> list[tuple[float, float]]:
    return [_LOG_ISL_BOUNDS] * n_cols + [_LOG_SCALE_BOUNDS, _LOG_NOISE_BOUNDS]


def _neg_log_posterior(raw: np.ndarray, sqd: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative (log marginal likelihood + log prior) and its gradient w.r.t. ``raw``.

    Priors (Optuna's, chosen by its authors on benchmarks and kept here so the two are
    comparable): ``-(0.1/isl + 0.1*isl)`` per column keeps length scales near the cube's size
    unless the data insist; Gamma(2, 1) on the signal variance; Gamma(1.1, 30) on the noise.
    """
    n, _, d = sqd.shape
    isl = np.exp(raw[:d])
    scale = math.exp(raw[d])
    extra = math.exp(raw[d + 1])
    noise = MIN_NOISE + extra
    corr, dcorr = matern52(sqd @ isl)
    kf = scale * corr
    K = kf.copy()
    K.flat[:: n + 1] += noise
    try:
        L = cholesky(K, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(raw)
    alpha = cho_solve((L, True), y, check_finite=False)
    nll = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * math.log(2 * math.pi)
    # dNLL/dphi = 0.5 * tr(W dK/dphi) with W = K^-1 - alpha alpha^T
    Kinv = cho_solve((L, True), np.eye(n), check_finite=False)
    W = Kinv - np.outer(alpha, alpha)
    grad = np.empty_like(raw)
    G = W * (scale * dcorr)
    grad[:d] = 0.5 * np.einsum("ij,ijd->d", G, sqd) * isl
    grad[d] = 0.5 * np.sum(W * kf)
    grad[d + 1] = 0.5 * np.trace(W) * extra
    # log priors (subtracted), differentiated w.r.t. the raw (log) parameters
    lp = -(0.1 / isl + 0.1 * isl).sum() + (math.log(scale) - scale)
    lp += 0.1 * math.log(noise) - 30.0 * noise
    grad[:d] -= 0.1 / isl - 0.1 * isl
    grad[d] -= 1.0 - scale
    grad[d + 1] -= (0.1 / noise - 30.0) * extra
    return float(nll - lp), grad


def fit_gp(
    X: np.ndarray,
    y: np.ndarray,
    is_cat: np.ndarray,
    warm: np.ndarray | None = None,
) -> GP:
    """Fit the hyperparameters to standardised ``y`` from the warm start and the default.

    Two L-BFGS-B runs (the previous optimum and the default) are enough in practice: the warm
    start tracks the optimum as data arrive, the default rescues a fit stuck at a bound.
    """
    sqd = sq_diffs(X, X, is_cat)
    starts = [default_params(X.shape[1])]
    if warm is not None:
        starts.insert(0, np.clip(warm, *np.array(_bounds(X.shape[1])).T))
    best_raw, best_val = starts[0], math.inf
    for x0 in starts:
        res = minimize(
            _neg_log_posterior,
            x0,
            args=(sqd, y),
            jac=True,
            method="L-BFGS-B",
            bounds=_bounds(X.shape[1]),
            options={"maxiter": 200},
        )
        if np.isfinite(res.fun) and res.fun < best_val:
            best_raw, best_val = res.x, float(res.fun)
    return GP(X, y, is_cat, best_raw)


class GP:
    """A fitted GP: posterior mean/variance (and their input gradients) at new points."""

    def __init__(self, X: np.ndarray, y: np.ndarray, is_cat: np.ndarray, raw: np.ndarray):
        d = X.shape[1]
        self.X, self.y, self.is_cat, self.raw = X, y, is_cat, raw
        self.isl = np.exp(raw[:d])
        self.scale = math.exp(raw[d])
        self.noise = MIN_NOISE + math.exp(raw[d + 1])
        K = self.scale * matern52(sq_diffs(X, X, is_cat) @ self.isl)[0]
        K.flat[:: len(X) + 1] += self.noise
        self.L = cholesky(K, lower=True, check_finite=False)
        self.alpha = cho_solve((self.L, True), y, check_finite=False)

    def condition(self, Xp: np.ndarray, yp: np.ndarray) -> GP:
        """The same hyperparameters with extra (fantasy) observations ``(Xp, yp)`` added."""
        return GP(np.vstack([self.X, Xp]), np.concatenate([self.y, yp]), self.is_cat, self.raw)

    def predict(
        self, x: np.ndarray, grad: bool = False
    ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and variance at ``x`` (m, D); with ``grad``, also d/dx of both.

        Gradients w.r.t. categorical columns are zero (those columns are searched discretely).
        """
        diff = x[:, None, :] - self.X[None, :, :]
        sqd = diff * diff
        cat = self.is_cat
        if cat.any():
            sqd[..., cat] = (sqd[..., cat] > 0.0).astype(float)
        corr, dcorr = matern52(sqd @ self.isl)
        kx = self.scale * corr  # (m, n)
        mean = kx @ self.alpha
        v = solve_triangular(self.L, kx.T, lower=True, check_finite=False)
        var = np.maximum(self.scale - np.einsum("nm,nm->m", v, v), 1e-12)
        if not grad:
            return mean, var
        # d kx / dx = scale * dcorr * 2 * diff * isl (per column; categorical columns: 0)
        dk = (2.0 * self.scale) * dcorr
        beta = solve_triangular(self.L.T, v, lower=False, check_finite=False)  # K^-1 kx^T
        dmean = np.einsum("mn,mnd->md", dk * self.alpha[None, :], diff) * self.isl
        dvar = -2.0 * np.einsum("mn,mnd->md", dk * beta.T, diff) * self.isl
        if cat.any():
            dmean[:, cat] = 0.0
            dvar[:, cat] = 0.0
        return mean, var, dmean, dvar
