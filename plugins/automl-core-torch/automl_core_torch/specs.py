"""The model specs ``mlp`` (tables) and ``cnn`` (images).

Both build a :class:`~automl_core_torch.TorchClassifier` or
:class:`~automl_core_torch.TorchRegressor` (by task) and take the regularizers ``dropout``,
``early_stopping`` and automl-core's ``l1`` and ``l2``. torch is imported by ``build`` only, so
loading the plugin (every time automl-core builds its registry) stays cheap.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from automl_core.search.space import Choice, Float, Int, Searchable
from automl_core.specs import ModelSpec
from pydantic import Field, field_validator

__all__ = ["MLPSpec", "CNNSpec"]

PositiveInt = Annotated[int, Field(ge=1)]
PositiveFloat = Annotated[float, Field(gt=0)]
Optimizer = Literal["adam", "adamw", "sgd"]
Activation = Literal["relu", "tanh", "gelu", "elu"]


def regularizer_params(regularizers) -> dict[str, Any]:
    """The estimator parameters the regularizers map onto (see ``regularizers.py``)."""
    out: dict[str, Any] = {
        "l1": sum(r.strength for r in regularizers if r.kind == "l1"),
        "weight_decay": sum(r.strength for r in regularizers if r.kind == "l2"),
        "dropout": max((r.rate for r in regularizers if r.kind == "dropout"), default=0.0),
    }
    stops = [r for r in regularizers if r.kind == "early_stopping"]
    if stops:
        es = min(stops, key=lambda r: r.patience)  # given twice, the more impatient wins
        out.update(
            patience=es.patience,
            min_delta=es.min_delta,
            validation_fraction=es.validation_fraction,
            restore_best=es.restore_best,
        )
    return out


class _TorchModelSpec(ModelSpec):
    """Training fields shared by ``mlp`` and ``cnn``."""

    learning_rate: Searchable[PositiveFloat] = 1e-3
    batch_size: Searchable[PositiveInt] = 64
    epochs: Searchable[PositiveInt] = 20
    optimizer: Searchable[Optimizer] = "adam"
    momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    activation: Searchable[Activation] = "relu"
    standardize: bool = True
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: bool = False

    accepted_regularizers: ClassVar = frozenset({"l1", "l2", "dropout", "early_stopping"})

    def _network(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _extra(self) -> dict[str, Any]:
        return {}

    def build(self, task, regularizers, seed, n_jobs=1):
        from .estimator import TorchClassifier, TorchRegressor

        cls = TorchClassifier if task == "classification" else TorchRegressor
        return cls(
            self._network(),
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            optimizer=self.optimizer,
            momentum=self.momentum,
            standardize=self.standardize,
            device=self.device,
            amp=self.amp,
            n_jobs=n_jobs,
            random_state=seed,
            **regularizer_params(regularizers),
            **self._extra(),
        )


class MLPSpec(_TorchModelSpec):
    """A multi-layer perceptron (torch) for tables: classification and regression.

    Structure: ``hidden_layers`` dense layers of ``units`` units with ``activation`` (0 hidden
    layers: a linear/logistic model). Training: ``epochs`` passes of mini-batches of
    ``batch_size`` rows with ``optimizer`` ("adam", "adamw", "sgd" with ``momentum``) at
    ``learning_rate``. Inputs are z-scored with training statistics when ``standardize``;
    regression targets always are (inside; predictions are in the target's units).
    ``device``: "auto" trains on the GPU a trial was given (``resources.gpu``), else the CPU;
    ``amp`` turns on mixed precision there (no effect on CPU). Trains epoch by epoch: trials
    report train/validation loss and accuracy per epoch, and ASHA/HyperBand can stop them.
    Takes ``dropout``, ``early_stopping``, ``l1``, ``l2``.
    """

    kind: Literal["mlp"] = "mlp"
    hidden_layers: Searchable[Annotated[int, Field(ge=0, le=16)]] = 2
    units: Searchable[PositiveInt] = 64

    def _network(self):
        from .networks import MLPNet

        return MLPNet(self.hidden_layers, self.units, self.activation)

    @classmethod
    def default_search(cls, task):
        return cls(
            hidden_layers=Int(1, 3),
            units=Int(16, 256, log=True),
            learning_rate=Float(1e-4, 1e-2, log=True),
            batch_size=Choice([32, 64, 128]),
        )


class CNNSpec(_TorchModelSpec):
    """A convolutional network (torch) for images: classification and regression.

    Input: a table of ``px_{row}_{col}_{channel}`` pixel columns (what the image cleaners and
    ``automl_core_torch.load_image_folder`` produce; the shape comes from the names), or flat
    rows with ``image_shape = [H, W, C]``. Any other numeric table is read as a 1-pixel-high
    image (convolution along the column order).

    Structure: ``conv_blocks`` blocks of a ``kernel_size`` x ``kernel_size`` convolution
    (``filters`` channels, doubling each block), optional ``batch_norm``, ``activation``, 2x2
    max pooling; then a dense layer of ``dense_units`` (0: none) and the output. Training fields,
    ``standardize`` (per channel), ``device`` and ``amp`` as for ``mlp``. Takes ``dropout``
    (after each block and the dense layer), ``early_stopping``, ``l1``, ``l2``.
    """

    kind: Literal["cnn"] = "cnn"
    conv_blocks: Searchable[Annotated[int, Field(ge=1, le=6)]] = 2
    filters: Searchable[PositiveInt] = 32
    kernel_size: Searchable[Literal[1, 3, 5, 7]] = 3
    dense_units: Searchable[Annotated[int, Field(ge=0)]] = 128
    batch_norm: Searchable[bool] = False
    image_shape: tuple[PositiveInt, PositiveInt, PositiveInt] | None = None

    @field_validator("image_shape", mode="before")
    @classmethod
    def _listish(cls, v):
        return tuple(v) if isinstance(v, list) else v

    def _network(self):
        from .networks import CNNNet

        return CNNNet(
            self.conv_blocks,
            self.filters,
            self.kernel_size,
            self.dense_units,
            self.activation,
            self.batch_norm,
        )

    def _extra(self):
        return {"image_shape": self.image_shape}

    @classmethod
    def default_search(cls, task):
        return cls(
            conv_blocks=Int(1, 3),
            filters=Choice([16, 32, 64]),
            kernel_size=Choice([3, 5]),
            dense_units=Choice([0, 64, 128]),
            learning_rate=Float(3e-4, 1e-2, log=True),
            batch_size=Choice([32, 64, 128]),
        )
