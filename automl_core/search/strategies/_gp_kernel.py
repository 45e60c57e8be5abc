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
from scipy.linalg.blas import dtrmm
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize

__all__ = ["GP", "fit_gp", "fit_hyperparameters", "default_params", "scaled_sqdist"]

SQRT5 = math.sqrt(5.0)
#: floor of the noise variance (outputs are standardised). The objectives we tune are often
#: deterministic: with Optuna's floor of 1e-6 the GP could not resolve the last digits near an
#: optimum (Branin's median regret at 50 trials was 7e-5 against 3e-6 with 1e-8). Cholesky
#: failures are caught by adding jitter (see :func:`_cholesky`).
MIN_NOISE = 1e-8
# Bounds of the raw (log) hyperparameters. Length scales in [0.01, 100] in the unit cube; the
# prior keeps them near 1 unless the data insist. A cap at 2 (tried first, against ARD
# declaring a dim irrelevant on Hartmann6) made every dim the data call flat look uncertain at
# the box's corners, so log EI spent evaluations there: on one stiff axis (separable
# ellipsoid, discus) and on plateaus (step ellipsoid) the search stalled. On the tuning seeds
# (100-109, the 27 BBOB and mixed problems of benchmarks/bench_suite.py) lifting the cap
# lowered gp's median regret by a geometric-mean factor of 0.82: separable ellipsoid 95 ->
# 0.9, step ellipsoid 0.93 -> 0.56, discus 121 -> 95, sharp ridge 54 -> 42 (worst: Schaffers
# 3.2 -> 4.6). On the functions the cap was chosen on (20 seeds) Hartmann6 stayed level
# (0.0023 -> 0.0026) and Levy-4 lost (0.17 -> 0.26). Signal variance in
# [0.01, 20], extra noise in [~0, 1].
_LOG_ISL_BOUNDS = (-2 * math.log(100.0), math.log(1e4))
_LOG_SCALE_BOUNDS = (math.log(1e-2), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-10), 0.0)
#: rows above which a warm-started fit stops at a looser gradient tolerance (see
#: fit_hyperparameters)
LOOSE_FIT_ROWS = 64
#: iterations of such a warm-started fit at most (see fit_hyperparameters)
LOOSE_MAXITER = 2


def _cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``K``, adding diagonal jitter when near-duplicate rows need it."""
    for jitter in (0.0, 1e-8, 1e-6, 1e-4):
        try:
            Kj = K + jitter * np.eye(len(K)) if jitter else K
            return cholesky(Kj, lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            continue
    raise np.linalg.LinAlgError("kernel matrix not positive definite even with jitter")


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


def _matern52_value(sqdist: np.ndarray) -> np.ndarray:
    """:func:`matern52`'s value alone, computed in place (``sqdist`` is overwritten).

    Scoring a thousand candidates against a few hundred rows makes (m, n) arrays of a few MB:
    each temporary costs as much as the arithmetic, so the value is built in two buffers.
    """
    s5d = np.sqrt(5.0 * sqdist)
    sqdist *= 5.0 / 3.0
    sqdist += s5d
    sqdist += 1.0
    np.negative(s5d, out=s5d)
    np.exp(s5d, out=s5d)
    sqdist *= s5d
    return sqdist


def sq_diffs(a: np.ndarray, b: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """Per-column squared differences ``(len(a), len(b), D)``; 0/1 mismatch on categories."""
    diff = a[:, None, :] - b[None, :, :]
    sqd = diff * diff
    if is_cat.any():
        sqd[..., is_cat] = (sqd[..., is_cat] > 0.0).astype(float)
    return sqd


def scaled_sqdist(a: np.ndarray, b: np.ndarray, isl: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """``sum_d isl_d * diff_d^2`` for every pair of rows ``(len(a), len(b))``.

    What :func:`sq_diffs` ``@ isl`` computes, without its (m, n, D) array: numeric columns,
    scaled by 1/lengthscale, by the expansion ``|a|^2 + |b|^2 - 2 a.b`` (one matrix product; a
    rounding error of ~1e-16 times the scaled norms, far below what the noise floor lets the
    posterior resolve), categorical columns by their mismatches (Hamming).
    """
    w = np.sqrt(isl) * ~is_cat
    As, Bs = a * w, b * w
    r2 = As @ (-2.0 * Bs.T)  # in place from here: these arrays are (m, n)
    r2 += np.einsum("md,md->m", As, As)[:, None]
    r2 += np.einsum("nd,nd->n", Bs, Bs)[None, :]
    np.maximum(r2, 0.0, out=r2)
    if is_cat.any():
        r2 += (a[:, None, is_cat] != b[None, :, is_cat]) @ isl[is_cat]
    return r2


def default_params(n_cols: int) -> np.ndarray:
    """Raw hyperparameters to start from: ``[log isl_1..D, log scale, log extra noise]``.

    All ones (length scales of the cube's size, unit signal and noise variance): a smooth,
    noisy model that the data then sharpen.
    """
    return np.zeros(n_cols + 2)


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
    # K^-1 from the Cholesky factor (LAPACK potri: one triangle, half a triangular solve's and
    # a product's work), mirrored into the other triangle
    Kinv, info = dpotri(L, lower=1)
    if info:
        return 1e10, np.zeros_like(raw)
    Kinv = np.tril(Kinv)
    Kinv += np.tril(Kinv, -1).T
    alpha = Kinv @ y
    nll = 0.5 * y @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * math.log(2 * math.pi)
    # dNLL/dphi = 0.5 * tr(W dK/dphi) with W = K^-1 - alpha alpha^T
    W = Kinv - np.outer(alpha, alpha)
    grad = np.empty_like(raw)
    G = W * (scale * dcorr)
    grad[:d] = 0.5 * (G.reshape(-1) @ sqd.reshape(-1, d)) * isl
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
    """The GP on standardised ``y`` with hyperparameters fitted by :func:`fit_hyperparameters`."""
    return GP(X, y, is_cat, fit_hyperparameters(X, y, is_cat, warm)[0])


def fit_hyperparameters(
    X: np.ndarray,
    y: np.ndarray,
    is_cat: np.ndarray,
    warm: np.ndarray | None = None,
    sqd: np.ndarray | None = None,
    loose: bool = False,
) -> tuple[np.ndarray, float]:
    """Fit the hyperparameters to standardised ``y``, from the previous fit when there is one.

    Returns them (raw, as :class:`GP` takes them) and the negative log posterior there (the
    GP's evidence for ``y``, priors included). ``sqd``: :func:`sq_diffs` of ``X``, where the
    caller fits several ``y`` on the same rows. ``loose``: a warm-started fit stops after
    ``LOOSE_MAXITER`` iterations whatever the row count (a fit kept only for comparison).

    One L-BFGS-B run from the previous optimum (``warm``) lets the hyperparameters follow the
    data as trials arrive; the default start is used for the first fit and as the fallback.
    Restarting from the default as well and keeping the better optimum looked more thorough
    but lost on Hartmann6 (median regret 0.067 against 0.004 over 20 seeds): the sharper
    optimum it often finds makes the search exploit a local basin too early.
    """
    sqd = sq_diffs(X, X, is_cat) if sqd is None else sqd
    bounds = _bounds(X.shape[1])
    starts = [default_params(X.shape[1])]
    if warm is not None:
        starts.insert(0, np.clip(warm, *np.array(bounds).T))
    # Past LOOSE_FIT_ROWS rows one evaluation costs milliseconds (O(n^3)) and the likelihood
    # is sharp: from a warm start, Optuna's tolerance (gtol 1e-2) stops after about half the
    # iterations at a log-likelihood within 1e-3 of the tight optimum (200 rows, Hartmann6);
    # and the strategy refits at every new result, so LOOSE_MAXITER iterations per fit follow
    # the optimum as it moves (the next fit goes on from where this one stopped).
    loose = warm is not None and (loose or len(X) > LOOSE_FIT_ROWS)
    options = {"maxiter": LOOSE_MAXITER, "gtol": 1e-2} if loose else {"maxiter": 200}
    for x0 in starts:
        res = minimize(
            _neg_log_posterior,
            x0,
            args=(sqd, y),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options=options,
        )
        if np.isfinite(res.fun) and res.fun < 1e9:
            return res.x, float(res.fun)
    return starts[-1], _neg_log_posterior(starts[-1], sqd, y)[0]


class GP:
    """A fitted GP: posterior mean/variance (and their input gradients) at new points."""

    def __init__(self, X: np.ndarray, y: np.ndarray, is_cat: np.ndarray, raw: np.ndarray):
        d = X.shape[1]
        self.X, self.y, self.is_cat, self.raw = X, y, is_cat, raw
        self.isl = np.exp(raw[:d])
        self.scale = math.exp(raw[d])
        self.noise = MIN_NOISE + math.exp(raw[d + 1])
        K = self.scale * matern52(self.sqdist(X))[0]
        K.flat[:: len(X) + 1] += self.noise
        self.L = _cholesky(K)
        self.alpha = cho_solve((self.L, True), y, check_finite=False)
        # L^-1 once per fit: a prediction is then two small matrix products instead of two
        # triangular solves through scipy's wrappers, whose per-call overhead dominated the
        # acquisition optimiser's time at tens of observations.
        self.Linv = solve_triangular(self.L, np.eye(len(X)), lower=True, check_finite=False)
        self._LinvF = np.asfortranarray(self.Linv)

    def sqdist(self, x: np.ndarray) -> np.ndarray:
        """Scaled squared distances ``(len(x), n)`` from ``x`` to the training rows."""
        return scaled_sqdist(x, self.X, self.isl, self.is_cat)

    def condition(self, Xp: np.ndarray, yp: np.ndarray) -> GP:
        """The same hyperparameters with extra (fantasy) observations ``(Xp, yp)`` added."""
        return GP(np.vstack([self.X, Xp]), np.concatenate([self.y, yp]), self.is_cat, self.raw)

    def predict(
        self, x: np.ndarray, grad: bool = False
    ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Posterior mean and variance at ``x`` (m, D); with ``grad``, also d/dx of both.

        Gradients w.r.t. categorical columns are zero (those columns are searched discretely).
        """
        if not grad:
            kx = _matern52_value(self.sqdist(x))
            kx *= self.scale
            mean = kx @ self.alpha
            v = dtrmm(1.0, self._LinvF, kx.T, lower=1)  # Linv @ kx.T: triangular, half the work
            return mean, np.maximum(self.scale - np.einsum("nm,nm->m", v, v), 1e-12)
        corr, dcorr = matern52(self.sqdist(x))
        kx = self.scale * corr  # (m, n)
        mean = kx @ self.alpha
        v = self.Linv @ kx.T
        var = np.maximum(self.scale - np.einsum("nm,nm->m", v, v), 1e-12)
        # d kx_mn / dx_m = dk_mn * (x_m - X_n) * isl (numeric columns; categorical ones: 0), so
        # sum_n w_mn (x_m - X_n) = x_m * sum_n w_mn - (w @ X)_m: matrix products again
        dk = (2.0 * self.scale) * dcorr
        wm = dk * self.alpha[None, :]
        wv = dk * (self.Linv.T @ v).T  # dk * (K^-1 kx^T)^T
        num = self.isl * ~self.is_cat
        dmean = (x * wm.sum(axis=1)[:, None] - wm @ self.X) * num
        dvar = -2.0 * (x * wv.sum(axis=1)[:, None] - wv @ self.X) * num
        return mean, var, dmean, dvar
