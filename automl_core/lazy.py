"""Names of a package that load with their submodule on first use (PEP 562).

A package whose ``__init__`` every Ray worker, every registry build or every ``import`` pays
for keeps its heavy names here: ``__getattr__ = lazy_attributes(__name__, {...})``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: ``names`` maps an attribute to the submodule
    (relative to ``package``) that defines it. The submodule is imported on first access, and
    the value then stays on the package as a plain attribute."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
