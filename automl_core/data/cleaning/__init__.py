"""Cleaning transformers: scikit-learn compatible, pandas DataFrame in, DataFrame out.

Each learns only from the rows it is fitted on (inside a trial: the training folds). Dataset
stage cleaners (:class:`DropDuplicates`) run once on the whole table, before the split.
"""

from __future__ import annotations

from .base import FrameTransformer
from .columns import (
    categorical_columns,
    datetime_unit,
    infer_column_roles,
    is_constant,
    is_id_like,
    numeric_columns,
)
from .dates import DATE_FEATURES, DatetimeFeatures
from .drop import DropColumns, DropDuplicates
from .encode import OneHotEncoder, OrdinalEncoder
from .guard import NumericGuard
from .images import (
    ImageBinarize,
    ImageGrayscale,
    ImageNormalize,
    ImageResize,
    frame_to_images,
    image_paths,
    images_to_frame,
    load_images,
)
from .impute import Imputer
from .outliers import OutlierClipper
from .resample import ClassWeights, Resampler
from .scale import Scaler, StandardScaler

__all__ = [
    "DATE_FEATURES",
    "ClassWeights",
    "DatetimeFeatures",
    "DropColumns",
    "DropDuplicates",
    "FrameTransformer",
    "ImageBinarize",
    "ImageGrayscale",
    "ImageNormalize",
    "ImageResize",
    "Imputer",
    "NumericGuard",
    "OneHotEncoder",
    "OrdinalEncoder",
    "OutlierClipper",
    "Resampler",
    "Scaler",
    "StandardScaler",
    "categorical_columns",
    "datetime_unit",
    "frame_to_images",
    "image_paths",
    "images_to_frame",
    "infer_column_roles",
    "is_constant",
    "is_id_like",
    "load_images",
    "numeric_columns",
]
