"""The entry point automl-core loads (group ``automl_core``): models ``mlp`` and ``cnn``,
regularizers ``dropout`` and ``early_stopping``. Imports no torch (see ``specs.py``)."""

from __future__ import annotations

from automl_core.hookspecs import hookimpl

from .regularizers import DropoutSpec, EarlyStoppingSpec
from .specs import CNNSpec, MLPSpec


@hookimpl
def automl_register_models():
    return [MLPSpec, CNNSpec]


@hookimpl
def automl_register_regularizers():
    return [DropoutSpec, EarlyStoppingSpec]
