"""Builtin cleaner specs."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from ..cleaning import DropDuplicates, Imputer, OneHotEncoder, StandardScaler
from ..space import Searchable
from ..specs import CleanerSpec

NumericImpute = Literal["mean", "median", "most_frequent", "constant"]
CategoricalImpute = Literal["most_frequent", "constant"]


class DropDuplicatesSpec(CleanerSpec):
    """Drop fully duplicated rows once, before the split; the count is in the results."""

    kind: Literal["drop_duplicates"] = "drop_duplicates"
    keep: Literal["first", "last"] = "first"
    stage: ClassVar = "dataset"

    def build(self, task):
        return DropDuplicates(keep=self.keep)


class ImputeSpec(CleanerSpec):
    """Fill missing values (statistics from the training folds only)."""

    kind: Literal["impute"] = "impute"
    numeric: Searchable[NumericImpute] = "mean"
    categorical: Searchable[CategoricalImpute] = "most_frequent"
    fill_value: float = 0.0

    def build(self, task):
        return Imputer(numeric=self.numeric, categorical=self.categorical, fill_value=self.fill_value)


class OneHotSpec(CleanerSpec):
    """One-hot encode text/categorical columns; unseen categories at predict time become 0s."""

    kind: Literal["one_hot"] = "one_hot"
    drop_first: Searchable[bool] = False
    max_categories: Searchable[int] = Field(default=50, ge=1)

    def build(self, task):
        return OneHotEncoder(drop_first=self.drop_first, max_categories=self.max_categories)


class StandardScaleSpec(CleanerSpec):
    """z-score numeric columns."""

    kind: Literal["standard_scale"] = "standard_scale"

    def build(self, task):
        return StandardScaler()


BUILTIN_CLEANERS = [DropDuplicatesSpec, ImputeSpec, OneHotSpec, StandardScaleSpec]
