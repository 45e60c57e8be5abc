"""Deep learning for automl-core: torch ``mlp`` and ``cnn`` models, ``dropout`` and
``early_stopping`` regularizers, trained and reported epoch by epoch.

Installed with pip, it is found through the ``automl_core`` entry point (``plugin`` module).
The estimators (which import torch) load lazily, so registering the plugin stays cheap.
"""

from __future__ import annotations

from automl_core.lazy import lazy_attributes

from .images import image_layout, load_image_folder, to_nhwc
from .regularizers import DropoutSpec, EarlyStoppingSpec
from .specs import CNNSpec, MLPSpec

__all__ = [
    "CNNNet",
    "CNNSpec",
    "DropoutSpec",
    "EarlyStoppingSpec",
    "MLPNet",
    "MLPSpec",
    "TorchClassifier",
    "TorchRegressor",
    "image_layout",
    "load_image_folder",
    "to_nhwc",
]

_LAZY = {
    "TorchClassifier": "estimator",
    "TorchRegressor": "estimator",
    "MLPNet": "networks",
    "CNNNet": "networks",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
