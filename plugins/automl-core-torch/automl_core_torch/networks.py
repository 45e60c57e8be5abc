"""Network architectures: small frozen dataclasses that build a ``torch.nn.Module``.

They are the estimators' ``network`` hyperparameter, so they must stay plain data (cloned and
pickled with the estimator); the module is built at fit time, once the input shape is known.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

__all__ = ["MLPNet", "CNNNet", "ACTIVATIONS"]

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "elu": nn.ELU}


def _activation(name: str) -> nn.Module:
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r} (known: {', '.join(ACTIVATIONS)})") from None


@dataclass(frozen=True)
class MLPNet:
    """``hidden_layers`` x (Linear(units) -> activation -> Dropout) -> Linear(n_out).

    ``hidden_layers = 0`` is a linear (or logistic) model.
    """

    hidden_layers: int = 2
    units: int = 64
    activation: str = "relu"

    #: the estimator passes the rows as a flat (N, features) matrix
    image_input = False

    def build(self, in_shape: tuple[int, ...], n_out: int, dropout: float = 0.0) -> nn.Module:
        (n_in,) = in_shape
        layers: list[nn.Module] = []
        width = n_in
        for _ in range(self.hidden_layers):
            layers += [nn.Linear(width, self.units), _activation(self.activation)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = self.units
        layers.append(nn.Linear(width, n_out))
        return nn.Sequential(*layers)


@dataclass(frozen=True)
class CNNNet:
    """``conv_blocks`` x (Conv2d -> [BatchNorm] -> activation -> MaxPool 2x2 -> Dropout), then
    Flatten -> [Linear(dense_units) -> activation -> Dropout] -> Linear(n_out).

    The first block has ``filters`` channels and each next block twice as many. Convolutions are
    padded to keep the size ("same"); pooling halves each side that is still at least 2 pixels,
    so a deep stack on a small image (or a 1-pixel-high row of table features) never fails.
    ``dense_units = 0`` drops the hidden dense layer.
    """

    conv_blocks: int = 2
    filters: int = 32
    kernel_size: int = 3
    dense_units: int = 128
    activation: str = "relu"
    batch_norm: bool = False

    #: the estimator passes images as (N, C, H, W)
    image_input = True

    def build(self, in_shape: tuple[int, ...], n_out: int, dropout: float = 0.0) -> nn.Module:
        channels, h, w = in_shape
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same padding), got {self.kernel_size}")
        layers: list[nn.Module] = []
        for i in range(self.conv_blocks):
            out = self.filters * 2**i
            layers.append(nn.Conv2d(channels, out, self.kernel_size, padding=self.kernel_size // 2))
            if self.batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(_activation(self.activation))
            pool = (2 if h >= 2 else 1, 2 if w >= 2 else 1)
            if pool != (1, 1):
                layers.append(nn.MaxPool2d(pool))
                h, w = h // pool[0], w // pool[1]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            channels = out
        layers.append(nn.Flatten())
        width = channels * h * w
        if self.dense_units:
            layers += [nn.Linear(width, self.dense_units), _activation(self.activation)]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = self.dense_units
        layers.append(nn.Linear(width, n_out))
        return nn.Sequential(*layers)
