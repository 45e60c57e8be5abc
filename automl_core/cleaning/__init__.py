"""Cleaning transformers: scikit-learn compatible, pandas DataFrame in, DataFrame out.

Each learns only from the rows it is fitted on (inside a trial: the training folds).
"""

from .columns import categorical_columns, numeric_columns
from .transformers import DropDuplicates, Imputer, NumericGuard, OneHotEncoder, StandardScaler

__all__ = [
    "DropDuplicates",
    "Imputer",
    "NumericGuard",
    "OneHotEncoder",
    "StandardScaler",
    "categorical_columns",
    "numeric_columns",
]
