"""Hyperopt's TPE as an automl-core search strategy (kind ``"tpe"``).

Installed with pip, it is found through the ``automl_core`` entry point (``plugin`` module).
"""

from __future__ import annotations

from .space import flatten, to_hyperopt
from .spec import TPESpec
from .strategy import TPEStrategy, tpe_algo

__all__ = ["TPESpec", "TPEStrategy", "flatten", "to_hyperopt", "tpe_algo"]
