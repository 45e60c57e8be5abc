"""The entry point automl-core loads (group ``automl_core``): models ``lightgbm``, ``xgboost`` and
``catboost``. Imports no boosting library (see ``specs.py``)."""

from __future__ import annotations

from automl_core.hookspecs import hookimpl

from .specs import BOOSTING_MODELS


@hookimpl
def automl_register_models():
    return list(BOOSTING_MODELS)
