"""Compatibility: the transformers first lived here; they now have a module each."""

from __future__ import annotations

from .drop import DropDuplicates
from .encode import OneHotEncoder
from .guard import NumericGuard
from .impute import Imputer
from .scale import StandardScaler

__all__ = ["DropDuplicates", "Imputer", "OneHotEncoder", "StandardScaler", "NumericGuard"]
