"""The entry point automl-core loads (group ``automl_core``): registers the ``tpe`` kind."""

from __future__ import annotations

from automl_core.hookspecs import hookimpl

from .spec import TPESpec


@hookimpl
def automl_register_strategies():
    return [TPESpec]
