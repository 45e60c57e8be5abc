"""Experiment tracking in MLflow for automl-core: the logger kind ``"mlflow"``.

Installed with pip, it is found through the ``automl_core`` entry point (``plugin`` module).
Registering the kind imports only the spec; MLflow itself (~2-3 s of imports) loads when a run
that names the logger starts it, in the driver only.
"""

from __future__ import annotations

from automl_core.lazy import lazy_attributes

from .spec import MlflowSpec

__all__ = ["MlflowSpec", "MlflowLogger"]

_LAZY = {"MlflowLogger": "logger"}

__getattr__ = lazy_attributes(__name__, _LAZY)
