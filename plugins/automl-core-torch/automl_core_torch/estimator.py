"""scikit-learn estimators around a torch network, trained epoch by epoch.

The epoch protocol (what ``automl_core.evaluation.epochs.cross_validate_epochs`` drives): ``iter_epochs(X,
y)`` is a generator that trains one epoch per step and yields that epoch's statistics; between
steps the estimator is fitted (``predict`` works). After the last step it holds the final
weights (the best ones, under early stopping). ``fit`` runs the generator to its end.
``bind_resources(cpus, gpus)`` tells it what the trial was given.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from .device import amp_dtype, autocast, make_grad_scaler, resolve_device, torch_threads
from .images import to_nhwc
from .networks import MLPNet
from .training import EarlyStopper, criterion, make_optimizer, train_epoch

__all__ = ["TorchClassifier", "TorchRegressor"]

#: rows per forward pass at predict time (bounds memory, not a tuning knob)
_PREDICT_CHUNK = 2048


class _TorchEstimator(BaseEstimator):
    """Shared machinery; use :class:`TorchClassifier` or :class:`TorchRegressor`.

    Parameters (all stored as given, scikit-learn's rule):

    - ``network``: an :class:`~automl_core_torch.MLPNet` (default) or
      :class:`~automl_core_torch.CNNNet`.
    - ``epochs``, ``batch_size``, ``learning_rate``, ``optimizer`` ("adam", "adamw", "sgd"),
      ``momentum`` (sgd only).
    - ``weight_decay``: L2 on the weights (the optimizer's; decoupled for adamw).
    - ``l1``: ``l1 * sum(|w|)`` over the weights added to every batch's loss.
    - ``dropout``: rate of the dropout layers after each hidden layer (0: none).
    - ``patience``: early stopping when set: ``validation_fraction`` of the training rows are
      held out (stratified for classes) and training stops once their loss has not improved by
      more than ``min_delta`` for ``patience`` epochs; ``restore_best`` keeps the best epoch.
    - ``standardize``: z-score inputs with training statistics (per column; per channel for
      images). Regression targets are always standardized inside, predictions are not.
    - ``image_shape``: (H, W, C) of flat rows without ``px_`` column names (CNN only).
    - ``device``: "auto" (the GPU when there is one the trial may use), "cpu" or "cuda";
      ``amp``: mixed precision, on the GPU only.
    - ``n_jobs``: torch threads while fitting/predicting (-1: all cores); ``random_state``.
    """

    _classification = True

    def __init__(
        self,
        network: Any = None,
        *,
        epochs: int = 20,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        optimizer: str = "adam",
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        l1: float = 0.0,
        dropout: float = 0.0,
        patience: int | None = None,
        min_delta: float = 0.0,
        validation_fraction: float = 0.1,
        restore_best: bool = True,
        standardize: bool = True,
        image_shape: tuple[int, int, int] | None = None,
        device: str = "auto",
        amp: bool = False,
        n_jobs: int | None = 1,
        random_state: int = 0,
        verbose: int = 0,
    ):
        self.network = network
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.l1 = l1
        self.dropout = dropout
        self.patience = patience
        self.min_delta = min_delta
        self.validation_fraction = validation_fraction
        self.restore_best = restore_best
        self.standardize = standardize
        self.image_shape = image_shape
        self.device = device
        self.amp = amp
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ---- the epoch protocol -------------------------------------------------------------

    def bind_resources(self, cpus: int, gpus: float) -> None:
        """Called by a trial with its resources: without a GPU, ``device="auto"`` stays on CPU."""
        self._allow_cuda = gpus > 0

    def iter_epochs(self, X, y, sample_weight=None) -> Iterator[dict[str, float]]:
        """Train one epoch per step; yield ``{"epoch", "train_loss", ["train_accuracy"],
        ["stop_loss"], "last"}``. The estimator is usable for prediction after every step.

        ``sample_weight`` weights each training row's loss (the early-stopping loss is
        unweighted)."""
        device = resolve_device(self.device, getattr(self, "_allow_cuda", True))
        net = self.network if self.network is not None else MLPNet()
        with torch_threads(self.n_jobs):
            Xa = self._inputs(X, net, fit=True)
            ya = self._encode_y(y, fit=True)
            fit_rows, stop_rows = self._holdout(ya)
            torch.manual_seed(self.random_state)  # weight init and dropout masks
            self.module_ = net.build(Xa.shape[1:], self._n_outputs(), self.dropout).to(device)
            Xt = torch.as_tensor(Xa[fit_rows]).to(device)
            yt = torch.as_tensor(ya[fit_rows]).to(device)
            wt = None
            if sample_weight is not None:
                w = np.asarray(sample_weight, dtype=np.float32)[fit_rows]
                wt = torch.as_tensor(w / w.mean()).to(device)  # mean 1: the lr keeps its scale
            if stop_rows is not None:
                Xs = torch.as_tensor(Xa[stop_rows]).to(device)
                ys = torch.as_tensor(ya[stop_rows]).to(device)
            opt = make_optimizer(
                self.module_, self.optimizer, self.learning_rate, self.weight_decay, self.momentum
            )
            dtype = amp_dtype(device, self.amp)
            scaler = make_grad_scaler(dtype)
            gen = torch.Generator().manual_seed(self.random_state)
            loss_fn = criterion(self._classification)
        self.device_ = str(device)
        self.n_epochs_ = 0
        self.best_epoch_ = None
        self.history_: list[dict[str, float]] = []
        stopper = EarlyStopper(self.patience, self.min_delta) if stop_rows is not None else None
        for epoch in range(1, self.epochs + 1):
            with torch_threads(self.n_jobs):
                stats = train_epoch(
                    self.module_,
                    Xt,
                    yt,
                    opt,
                    loss_fn,
                    batch_size=self.batch_size,
                    generator=gen,
                    weights=wt,
                    l1=self.l1,
                    amp_dtype=dtype,
                    scaler=scaler,
                    classification=self._classification,
                )
                stats["train_loss"] *= self._loss_unit()
                last = epoch == self.epochs
                if stopper is not None:
                    stop_loss = self._mean_loss(Xs, ys, loss_fn, dtype)
                    stats["stop_loss"] = stop_loss * self._loss_unit()
                    last = stopper.update(epoch, stop_loss, self.module_) or last
                    if last and self.restore_best and stopper.best_state is not None:
                        self.module_.load_state_dict(stopper.best_state)
                        self.best_epoch_ = stopper.best_epoch
                self.module_.eval()
            self.n_epochs_ = epoch
            stats.update(epoch=epoch, last=last)
            self.history_.append(stats)
            if self.verbose:
                print(f"epoch {epoch}: " + ", ".join(f"{k}={v:.4g}" for k, v in stats.items()))
            yield stats
            if last:
                break
        del opt  # optimizer state (Adam moments) is not kept after training

    def fit(self, X, y, sample_weight=None):
        """Train for ``epochs`` epochs (fewer under early stopping)."""
        for _ in self.iter_epochs(X, y, sample_weight):
            pass
        return self

    def evaluate(self, X, y) -> dict[str, float]:
        """``{"loss": ..., "accuracy": ...}`` (accuracy for classifiers) in one forward pass.

        The loss is the training criterion: mean cross-entropy, or the mean squared error in the
        target's own units.
        """
        out = self._forward(X)
        if self._classification:
            codes, known = self._codes(y)
            acc = float((out.argmax(1).numpy() == codes).mean()) if len(codes) else float("nan")
            t = torch.as_tensor(codes[known])
            sel = torch.as_tensor(known)
            loss = (
                float(torch.nn.functional.cross_entropy(out[sel], t))
                if known.any()
                else float("nan")
            )
            return {"loss": loss, "accuracy": acc}
        pred = out.squeeze(-1).numpy() * self.y_scale_ + self.y_mean_
        return {"loss": float(np.mean((pred - np.asarray(y, dtype=np.float64)) ** 2))}

    # ---- conversion ---------------------------------------------------------------------

    def _inputs(self, X, net, fit: bool) -> np.ndarray:
        """Rows as float32: (N, features) for flat networks, (N, C, H, W) for image networks."""
        if isinstance(X, pd.DataFrame):
            X = self._aligned(X, fit)
        if getattr(net, "image_input", False):
            arr = to_nhwc(X, self.image_shape)
            arr = np.ascontiguousarray(arr.transpose(0, 3, 1, 2))
            axes: tuple[int, ...] = (0, 2, 3)  # one mean per channel
        else:
            arr = (
                X.to_numpy(dtype=np.float32)
                if isinstance(X, pd.DataFrame)
                else np.asarray(X, dtype=np.float32)
            )
            arr = arr.reshape(len(arr), -1)  # an image array flattens for the MLP
            axes = (0,)
        if fit:
            self.input_shape_ = tuple(arr.shape[1:])
            self.n_features_in_ = int(np.prod(arr.shape[1:]))
            if self.standardize:
                mean = arr.mean(axis=axes, keepdims=True, dtype=np.float64)
                std = arr.std(axis=axes, keepdims=True, dtype=np.float64)
                self.x_mean_ = mean[0].astype(np.float32)
                self.x_scale_ = np.where(std[0] > 0, std[0], 1.0).astype(np.float32)
        elif tuple(arr.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"inputs have shape {arr.shape[1:]}, the model was fitted on {self.input_shape_}"
            )
        if not np.isfinite(arr).all():
            raise ValueError("inputs hold NaN or infinite values; add an impute cleaner")
        if self.standardize:
            arr = (arr - self.x_mean_) / self.x_scale_
        return arr

    def _aligned(self, X: pd.DataFrame, fit: bool) -> pd.DataFrame:
        """Remember column names at fit; at predict, reorder by name (and name what is missing)."""
        names = [str(c) for c in X.columns]
        if fit:
            self.feature_names_in_ = np.asarray(names, dtype=object)
            return X
        want = list(getattr(self, "feature_names_in_", names))
        if names == want:
            return X
        missing = [c for c in want if c not in set(names)]
        if missing:
            raise ValueError(f"columns missing at predict (present at fit): {missing[:5]}")
        return X.set_axis(names, axis=1)[want]

    def _holdout(self, ya: np.ndarray):
        """(fit rows, early-stopping rows or None): the stopping rows come out of the training
        rows only, so a trial's validation fold never decides when training stops."""
        n = len(ya)
        if self.patience is None:
            return np.arange(n), None
        from sklearn.model_selection import train_test_split

        n_stop = max(1, int(round(n * self.validation_fraction)))
        if n - n_stop < 1:
            raise ValueError(
                f"{n} rows are too few to hold out {self.validation_fraction:.0%} for early stopping"
            )
        strat = None
        if self._classification:
            counts = np.bincount(ya)
            if counts[counts > 0].min() >= 2 and n_stop >= (counts > 0).sum():
                strat = ya
        fit_rows, stop_rows = train_test_split(
            np.arange(n), test_size=n_stop, stratify=strat, random_state=self.random_state
        )
        return np.sort(fit_rows), np.sort(stop_rows)

    # ---- forward passes -------------------------------------------------------------------

    def _mean_loss(self, X: torch.Tensor, y: torch.Tensor, loss_fn, dtype) -> float:
        self.module_.eval()
        total = torch.zeros((), device=X.device)
        with torch.inference_mode(), autocast(X.device, dtype):
            for i in range(0, len(X), _PREDICT_CHUNK):
                xb, yb = X[i : i + _PREDICT_CHUNK], y[i : i + _PREDICT_CHUNK]
                total += loss_fn(self.module_(xb), yb, "sum").float()
        return total.item() / max(len(X), 1)

    def _forward(self, X) -> torch.Tensor:
        """Raw network outputs on the CPU (float32), in chunks, in eval mode."""
        if not hasattr(self, "module_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")
        net = self.network if self.network is not None else MLPNet()
        device = torch.device(self.device_)
        dtype = amp_dtype(device, self.amp)
        outs = []
        with torch_threads(self.n_jobs):
            Xa = self._inputs(X, net, fit=False)
            self.module_.eval()
            with torch.inference_mode(), autocast(device, dtype):
                for i in range(0, len(Xa), _PREDICT_CHUNK):
                    xb = torch.as_tensor(Xa[i : i + _PREDICT_CHUNK]).to(device)
                    outs.append(self.module_(xb).float().cpu())
        if not outs:
            return torch.zeros((0, self._n_outputs()))
        return torch.cat(outs)

    # ---- pickling: a model trained on a GPU loads on a machine without one ------------------

    def __getstate__(self):
        # a copy: object.__getstate__ hands back the live __dict__, and the fitted estimator
        # must stay on its device
        state = dict(super().__getstate__())
        module = state.get("module_")
        if module is not None and state.get("device_", "cpu") != "cpu":
            state["module_"] = copy.deepcopy(module).to("cpu")
            state["device_"] = "cpu"
        return state


class TorchClassifier(ClassifierMixin, _TorchEstimator):
    """A torch network as a scikit-learn classifier (``classes_``, ``predict_proba``).

    Trains on mean cross-entropy over one output per class. See :class:`_TorchEstimator` for
    the parameters.
    """

    _classification = True

    def _encode_y(self, y, fit: bool) -> np.ndarray:
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if fit:
            self.classes_ = np.unique(y)
        codes, known = self._codes(y)
        if not known.all():
            raise ValueError(f"labels not seen at fit: {np.unique(y[~known])[:5]}")
        return codes.astype(np.int64)

    def _codes(self, y) -> tuple[np.ndarray, np.ndarray]:
        y = np.asarray(y)
        codes = np.searchsorted(self.classes_, y).clip(0, len(self.classes_) - 1)
        known = self.classes_[codes] == y
        return np.where(known, codes, -1), known

    def _n_outputs(self) -> int:
        return len(self.classes_)

    def _loss_unit(self) -> float:
        return 1.0

    def predict_proba(self, X) -> np.ndarray:
        return torch.softmax(self._forward(X), dim=1).numpy()

    def predict(self, X) -> np.ndarray:
        return self.classes_[self._forward(X).argmax(1).numpy()]


class TorchRegressor(RegressorMixin, _TorchEstimator):
    """A torch network as a scikit-learn regressor (one output).

    Trains on the mean squared error of the standardized target; losses it reports are in the
    target's units (MSE). See :class:`_TorchEstimator` for the parameters.
    """

    _classification = False

    def _encode_y(self, y, fit: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        if fit:
            self.y_mean_ = float(y.mean())
            std = float(y.std())
            self.y_scale_ = std if std > 0 else 1.0
        return ((y - self.y_mean_) / self.y_scale_).astype(np.float32)

    def _n_outputs(self) -> int:
        return 1

    def _loss_unit(self) -> float:
        return self.y_scale_**2

    def predict(self, X) -> np.ndarray:
        return (
            self._forward(X).squeeze(-1).numpy().astype(np.float64) * self.y_scale_ + self.y_mean_
        )
