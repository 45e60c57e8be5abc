"""Hyperopt's TPE as an automl-core search strategy (kind ``"tpe"``).

Installed with pip, it is found through the ``automl_core`` entry point (``plugin`` module).
Registering the kind imports only the spec; hyperopt itself (~0.3 s of imports, networkx
among them) loads when a ``tpe`` strategy is built. Every Ray worker and every process that
builds the registry pays for what this package imports at the top.
"""

from __future__ import annotations

from automl_core.lazy import lazy_attributes

from .spec import TPESpec

__all__ = ["TPESpec", "TPEStrategy", "flatten", "to_hyperopt", "tpe_algo"]

_LAZY = {
    "TPEStrategy": "strategy",
    "tpe_algo": "strategy",
    "flatten": "space",
    "to_hyperopt": "space",
}


__getattr__ = lazy_attributes(__name__, _LAZY)
