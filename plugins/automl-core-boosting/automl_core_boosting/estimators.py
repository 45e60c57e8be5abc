"""scikit-learn estimators around LightGBM, XGBoost and CatBoost, with early stopping that never
sees the rows a trial is scored on.

``fit(X, y)`` gets a trial's training rows only (a cross-validation fold's, or all training rows
at the refit). It holds out ``validation_fraction`` of *those* rows (stratified by class), grows
trees on the rest and stops when the held-out loss has not improved for
``early_stopping_rounds`` rounds. When the rows times the trees grown per round (one, or one
per class for more than two classes) are at most :data:`REFIT_MAX_ROWS`, it then fits again on
all the rows it was given, for the stopped number of rounds scaled to the extra rows: a tenth
of a small table is too much to give away, and the second fit is cheap there. With
fewer than :data:`MIN_STOP_ROWS` rows to hold out, there is no early stopping: all
``n_estimators`` rounds on all rows (a score on a dozen rows would pick the round at random).

The library is imported in ``fit``: registering the plugin, building a spec and cloning an
estimator import none of them. Threads: ``n_jobs`` (the trial's CPUs). Devices: see
:meth:`BoostedClassifier.bind_resources` and the ``device`` parameter.

Time limits: every fit and prediction runs inside
:func:`automl_core.trials.limits.stoppable_call`, so a trial's time limit (or the run's end) never
raises its exception inside the library: each library's own callback ends training at the next
round once the limit has passed (LightGBM: ``EarlyStopException``; XGBoost: a
``TrainingCallback`` that returns True; CatBoost: ``after_iteration`` returning False), and the
trial reads "timeout" when the block is left. Why not let the exception land between rounds, as
it does in scikit-learn's Python loops: LightGBM and XGBoost call C through ctypes and free their
handles in Python (``__del__``). The exception, raised at whatever bytecode the trial's thread is
at, landed inside XGBoost's ctypes data callbacks and inside handle bookkeeping: "Exception
ignored" (the limit lost, the trial ran on) and then heap corruption that killed the process
(``tests/_limits_stress.py``, 300 trials with limits of 1-10 ms, three runs of this module as
it was before, under the core's watchdog of today: LightGBM died of SIGSEGV and XGBoost of
SIGABRT, "double free or corruption", in all three; a real 30 s default run on a 545-row table
died so once in five). CatBoost on a GPU runs no callbacks: its fit ends by itself
or, past the limit's grace, counts as stuck.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from automl_core.trials.limits import stoppable_call
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

__all__ = [
    "BoostedClassifier",
    "BoostedRegressor",
    "LIBRARIES",
    "MIN_STOP_ROWS",
    "REFIT_MAX_ROWS",
    "gpu_available",
    "stop_split",
]

LIBRARIES = ("lightgbm", "xgboost", "catboost")
#: fewer rows than this to hold out: no early stopping (all rounds on all rows)
MIN_STOP_ROWS = 25
#: up to this many training rows (times the trees per round), the early-stopped model is fitted
#: again on all of them
REFIT_MAX_ROWS = 10_000


def stop_split(y: np.ndarray, fraction: float, seed: int, classification: bool):
    """``(fit rows, stop rows)`` as index arrays, or None when there are too few rows to hold
    out. For classification each class gives its share and keeps at least one row for the fit,
    so every class is learned."""
    y = np.asarray(y)
    n = len(y)
    if fraction <= 0 or round(fraction * n) < MIN_STOP_ROWS:
        return None
    rng = np.random.default_rng(seed)
    if classification:
        parts = []
        for c in np.unique(y):
            idx = np.flatnonzero(y == c)
            take = min(len(idx) - 1, int(round(fraction * len(idx))))
            parts.append(rng.permutation(idx)[:take])
        stop = np.sort(np.concatenate(parts))
    else:
        stop = np.sort(rng.permutation(n)[: int(round(fraction * n))])
    fit = np.setdiff1d(np.arange(n), stop, assume_unique=True)
    return fit, stop


def gpu_available(library: str) -> bool:
    """Whether ``library``, as installed, can train on a GPU that this process sees."""
    if library == "xgboost":
        import xgboost

        # the xgboost-cpu wheel is built without CUDA; the `xgboost` wheel with it
        return bool(xgboost.build_info().get("USE_CUDA"))
    if library == "catboost":
        from catboost.utils import get_gpu_device_count

        return get_gpu_device_count() > 0
    # LightGBM's PyPI wheel has no CUDA learner; its OpenCL one ("gpu") needs an OpenCL runtime
    # and is slower than the CPU on tables this size: only on request (device="gpu")
    return False


def _threads(n_jobs: int | None) -> int:
    if not n_jobs or n_jobs < 0:
        return os.cpu_count() or 1
    return int(n_jobs)


# -- one function per library: the library's own estimator, and its stopped round count --------


def _lightgbm(task, params, rounds, stop, n_classes, threads, seed, gpu, should_stop):
    import lightgbm as lgb

    cls = lgb.LGBMClassifier if task == "classification" else lgb.LGBMRegressor
    extra = {"device_type": "gpu"} if gpu else {}
    est = cls(
        n_estimators=rounds,
        n_jobs=threads,
        random_state=seed,
        verbose=-1,
        **extra,
        **params,
    )
    callbacks = [_lightgbm_stop_when(should_stop)]
    if stop:
        callbacks.append(lgb.early_stopping(stop, verbose=False))
    return est, {"callbacks": callbacks}


def _lightgbm_stop_when(should_stop):
    """A LightGBM callback: end training (as its early stopping does) once ``should_stop()``."""
    from lightgbm.callback import EarlyStopException

    def stop_when(env) -> None:
        if should_stop():
            raise EarlyStopException(env.iteration, env.evaluation_result_list or [])

    return stop_when


def _xgboost(task, params, rounds, stop, n_classes, threads, seed, gpu, should_stop):
    import xgboost as xgb

    class StopWhen(xgb.callback.TrainingCallback):
        """End training at the next round once ``should_stop()`` (True ends XGBoost's loop)."""

        def after_iteration(self, model, epoch, evals_log) -> bool:
            return should_stop()

    cls = xgb.XGBClassifier if task == "classification" else xgb.XGBRegressor
    est = cls(
        n_estimators=rounds,
        n_jobs=threads,
        random_state=seed,
        tree_method="hist",
        device="cuda" if gpu else "cpu",
        early_stopping_rounds=stop or None,
        callbacks=[StopWhen()],
        verbosity=0,
        **params,
    )
    return est, {"verbose": False}


def _catboost(task, params, rounds, stop, n_classes, threads, seed, gpu, should_stop):
    import catboost as cb

    cls = cb.CatBoostClassifier if task == "classification" else cb.CatBoostRegressor
    params = dict(params)
    if gpu:
        params.pop("rsm", None)  # column sampling runs on the CPU only (CatBoost's rule)
    extra: dict[str, Any] = {"task_type": "GPU", "devices": "0"} if gpu else {}
    if task == "classification":
        extra["loss_function"] = "MultiClass" if n_classes > 2 else "Logloss"
    est = cls(
        iterations=rounds,
        thread_count=threads,
        random_seed=seed,
        verbose=False,
        allow_writing_files=False,  # CatBoost writes catboost_info/ in the cwd by default
        early_stopping_rounds=stop or None,
        use_best_model=bool(stop),
        **extra,
        **params,
    )
    # CatBoost runs no callbacks on a GPU (it refuses them)
    return est, {} if gpu else {"callbacks": [_CatBoostStopWhen(should_stop)]}


class _CatBoostStopWhen:
    """A CatBoost callback: go on while ``should_stop()`` is False (see the module docstring)."""

    def __init__(self, should_stop):
        self.should_stop = should_stop

    def after_iteration(self, info) -> bool:
        return not self.should_stop()


_MAKE = {"lightgbm": _lightgbm, "xgboost": _xgboost, "catboost": _catboost}


def _best_rounds(library: str, est) -> int | None:
    """The number of rounds early stopping kept (None: it did not stop)."""
    if library == "lightgbm":
        best = getattr(est, "best_iteration_", 0)
        return int(best) if best else None
    if library == "xgboost":
        best = getattr(est, "best_iteration", None)
        return None if best is None else int(best) + 1
    best = est.get_best_iteration()
    return None if best is None else int(best) + 1


def _eval_kw(library: str, est, X, y, w) -> dict[str, Any]:
    """The keyword arguments of ``est.fit`` that give it the held-out rows."""
    if library == "catboost":
        from catboost import Pool

        return {"eval_set": Pool(X, y, weight=w)}
    if library == "lightgbm":
        import inspect

        if "eval_X" in inspect.signature(est.fit).parameters:  # LightGBM >= 4.7
            out = {"eval_X": (X,), "eval_y": (y,)}
        else:
            out = {"eval_set": [(X, y)]}
        return {**out, **({"eval_sample_weight": [w]} if w is not None else {})}
    return {"eval_set": [(X, y)], **({"sample_weight_eval_set": [w]} if w is not None else {})}


class _Boosted(BaseEstimator):
    """What the classifier and the regressor share (see the module docstring).

    ``params``: the library's own hyperparameters (the spec maps its fields and regularizers
    onto them). ``n_estimators``: the most boosting rounds. ``device``: "auto" trains on a GPU
    when the trial was given one (:meth:`bind_resources`) and the installed library can use it;
    "gpu" always (an error if it cannot); "cpu" never.
    """

    _task = ""

    def __init__(
        self,
        library: str = "lightgbm",
        params: dict[str, Any] | None = None,
        n_estimators: int = 500,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.1,
        device: str = "auto",
        n_jobs: int = 1,
        random_state: int = 0,
    ):
        self.library = library
        self.params = params
        self.n_estimators = n_estimators
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state

    def bind_resources(self, cpus: int, gpus: float) -> None:
        """Told by a trial what it was given: with a GPU, ``device="auto"`` may use it.

        Not a parameter (``clone`` drops it): a trial calls it on its own clone, and a model
        never bound (a refit in the driver) stays on the CPU under "auto"."""
        self._gpus = float(gpus or 0)

    def _use_gpu(self) -> bool:
        if self.device == "cpu":
            return False
        if self.device == "gpu":
            if self.library != "lightgbm" and not gpu_available(self.library):
                raise RuntimeError(
                    f"device='gpu' but the installed {self.library} cannot train on a GPU here "
                    "(no CUDA build of xgboost, or no GPU visible): use device='auto'"
                )
            return True
        if self.device != "auto":
            raise ValueError(f"unknown device {self.device!r} (auto, cpu, gpu)")
        return getattr(self, "_gpus", 0.0) > 0 and gpu_available(self.library)

    def _fit_once(self, X, y, w, rounds, stop_rows, gpu, should_stop):
        """One fit of the library's estimator; call it inside :func:`stoppable_call`."""
        make = _MAKE[self.library]
        stop = self.early_stopping_rounds if stop_rows is not None else 0
        est, fit_kw = make(
            self._task, dict(self.params or {}), rounds, stop, len(self._labels()),
            _threads(self.n_jobs), self.random_state, gpu, should_stop,
        )  # fmt: skip
        if stop_rows is not None:
            Xs, ys, ws = stop_rows
            fit_kw.update(_eval_kw(self.library, est, Xs, ys, ws))
        est.fit(X, y, sample_weight=w, **fit_kw)
        if self.library == "xgboost":
            # the callback reads the trial's flag, which neither pickles nor outlives the trial
            est.set_params(callbacks=None, device="cpu")  # and it predicts where no GPU is
        return est

    def _labels(self):
        return getattr(self, "classes_", ())

    def _encode(self, y):
        return np.asarray(y, dtype=float)

    def fit(self, X, y, sample_weight=None):
        if self.library not in _MAKE:
            raise ValueError(f"unknown library {self.library!r} (one of {', '.join(LIBRARIES)})")
        with stoppable_call() as should_stop:  # see the module docstring: "Time limits"
            return self._fit(X, y, sample_weight, should_stop)

    def _fit(self, X, y, sample_weight, should_stop):
        X = np.asarray(X, dtype=np.float32)
        yv = self._encode(y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.n_features_in_ = X.shape[1]
        gpu = self._use_gpu()
        rounds = int(self.n_estimators)
        split = stop_split(
            yv, self.validation_fraction, self.random_state, self._task == "classification"
        )
        self.stopped_at_ = None
        if split is None or not self.early_stopping_rounds:
            self.model_ = self._fit_once(X, yv, w, rounds, None, gpu, should_stop)
            self.n_rounds_ = rounds
            return self
        fit, stop = split
        held = (X[stop], yv[stop], None if w is None else w[stop])
        wf = None if w is None else w[fit]
        model = self._fit_once(X[fit], yv[fit], wf, rounds, held, gpu, should_stop)
        kept = _best_rounds(self.library, model) or rounds
        self.stopped_at_ = kept
        per_round = len(self._labels()) if len(self._labels()) > 2 else 1
        if len(yv) * per_round <= REFIT_MAX_ROWS and not should_stop():
            # all the rows this fit was given, for as many rounds as the held-out rows chose
            # (scaled: more rows take more rounds to fit to the same point)
            kept = max(1, min(rounds, int(round(kept * len(yv) / len(fit)))))
            model = self._fit_once(X, yv, w, kept, None, gpu, should_stop)
        self.model_ = model
        self.n_rounds_ = kept
        return self

    def _predict_raw(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        with stoppable_call():  # a time limit waits for the library to return (module docs)
            return self.model_.predict(np.asarray(X, dtype=np.float32))


class BoostedClassifier(ClassifierMixin, _Boosted):
    """A LightGBM / XGBoost / CatBoost classifier (``library``), early-stopped on its own
    training rows; any labels (encoded to 0..K-1 inside, as XGBoost needs)."""

    _task = "classification"

    def _encode(self, y):
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        return codes.astype(np.int64)

    def predict_proba(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        with stoppable_call():  # a time limit waits for the library to return (module docs)
            proba = np.asarray(self.model_.predict_proba(np.asarray(X, dtype=np.float32)))
        if proba.ndim == 1:  # a single class seen: every row is that class
            proba = proba.reshape(-1, 1)
        return proba

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class BoostedRegressor(RegressorMixin, _Boosted):
    """A LightGBM / XGBoost / CatBoost regressor (``library``), early-stopped on its own
    training rows."""

    _task = "regression"

    def predict(self, X):
        return np.asarray(self._predict_raw(X), dtype=float).ravel()
