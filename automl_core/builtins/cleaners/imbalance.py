"""Builtin cleaner specs for class imbalance: resampling and class weights (fit time only)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ...search.space import Searchable
from ...specs import CleanerSpec


def _classification_only(kind: str, task: str) -> None:
    if task != "classification":
        raise ValueError(f"the {kind} cleaner serves classification, not {task}")


class ResampleSpec(CleanerSpec):
    """Rebalance classes in the training rows only: ``over``, ``under`` or ``smote``.

    Applied while the pipeline is fitted (training folds, the refit's training split), never to
    validation folds, the test split or predict-time rows. ``ratio``: the smallest class size
    wanted, as a share of the largest (1.0: balanced). ``k_neighbors``: neighbours SMOTE
    interpolates towards. ``seed``: the random draws.
    """

    kind: Literal["resample"] = "resample"
    method: Searchable[Literal["over", "under", "smote"]] = "smote"
    ratio: Searchable[Annotated[float, Field(gt=0, le=1)]] = 1.0
    k_neighbors: Searchable[Annotated[int, Field(ge=1)]] = 5
    seed: int = 0

    def build(self, task):
        from ...data.cleaning import Resampler

        _classification_only(self.kind, task)
        return Resampler(
            method=self.method, ratio=self.ratio, k_neighbors=self.k_neighbors, seed=self.seed
        )


class ClassWeightSpec(CleanerSpec):
    """Weight training rows by inverse class frequency (``power`` 1: balanced, 0: none).

    The weights reach the model as ``sample_weight`` when its ``fit`` takes it (logistic
    regression, random forest, SVC...); for a model that does not, the training rows are
    over-sampled to the same balance instead. Rows are never changed at predict time.
    """

    kind: Literal["class_weight"] = "class_weight"
    power: Searchable[Annotated[float, Field(ge=0, le=2)]] = 1.0

    def build(self, task):
        from ...data.cleaning import ClassWeights

        _classification_only(self.kind, task)
        return ClassWeights(power=self.power)


IMBALANCE_CLEANERS = [ResampleSpec, ClassWeightSpec]
