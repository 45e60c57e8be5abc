"""The entry point automl-core loads (group ``automl_core``): registers the ``mlflow`` kind."""

from __future__ import annotations

from automl_core.hookspecs import hookimpl

from .spec import MlflowSpec


@hookimpl
def automl_register_loggers():
    return [MlflowSpec]
