"""automl-core's builtin plugin: registered through the ``automl_core`` entry point like any other."""

from __future__ import annotations

from ..hookspecs import hookimpl
from .cleaners import BUILTIN_CLEANERS
from .models import BUILTIN_MODELS
from .models_extra import EXTRA_MODELS
from .regularizers import BUILTIN_REGULARIZERS
from .strategies import BUILTIN_STRATEGIES


@hookimpl
def automl_register_cleaners():
    return list(BUILTIN_CLEANERS)


@hookimpl
def automl_register_models():
    return list(BUILTIN_MODELS) + list(EXTRA_MODELS)


@hookimpl
def automl_register_regularizers():
    return list(BUILTIN_REGULARIZERS)


@hookimpl
def automl_register_strategies():
    return list(BUILTIN_STRATEGIES)
