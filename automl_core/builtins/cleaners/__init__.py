"""Builtin cleaner specs, registered by :mod:`automl_core.builtins` like any plugin's."""

from __future__ import annotations

from .images import (
    IMAGE_CLEANERS,
    ImageBinarizeSpec,
    ImageGrayscaleSpec,
    ImageNormalizeSpec,
    ImageResizeSpec,
)
from .imbalance import IMBALANCE_CLEANERS, ClassWeightSpec, ResampleSpec
from .tabular import (
    TABULAR_CLEANERS,
    DatetimeSpec,
    DropColumnsSpec,
    DropDuplicatesSpec,
    ImputeSpec,
    OneHotSpec,
    OrdinalSpec,
    OutliersSpec,
    ScaleSpec,
    StandardScaleSpec,
)

BUILTIN_CLEANERS = [*TABULAR_CLEANERS, *IMBALANCE_CLEANERS, *IMAGE_CLEANERS]

__all__ = [
    "BUILTIN_CLEANERS",
    "ClassWeightSpec",
    "DatetimeSpec",
    "DropColumnsSpec",
    "DropDuplicatesSpec",
    "ImageBinarizeSpec",
    "ImageGrayscaleSpec",
    "ImageNormalizeSpec",
    "ImageResizeSpec",
    "ImputeSpec",
    "OneHotSpec",
    "OrdinalSpec",
    "OutliersSpec",
    "ResampleSpec",
    "ScaleSpec",
    "StandardScaleSpec",
]
