"""Base classes for component specs: the extension points plugins subclass.

A spec is data: a frozen pydantic model whose ``kind`` (a ``Literal``) names the component and
whose other fields are its hyperparameters only. Any hyperparameter declared ``Searchable[T]``
accepts a fixed value or a search-space primitive. ``spec.build(...)`` turns a *resolved* spec
(every field fixed) into the behaving object. No logic in constructors; fitted state ends in ``_``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from .space import Domain, is_domain

if TYPE_CHECKING:
    from .space import SearchSpace
    from .strategies.base import Strategy

__all__ = [
    "ComponentSpec",
    "CleanerSpec",
    "ModelSpec",
    "RegularizerSpec",
    "StrategySpec",
    "Task",
    "CATEGORIES",
]

Task = Literal["classification", "regression"]


class ComponentSpec(BaseModel):
    """Common base: frozen, unknown keys are errors, ``kind`` discriminates."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    #: which registry category the spec belongs to; set by each base class below.
    category: ClassVar[str] = ""

    def search_fields(self) -> dict[str, Domain]:
        """The fields whose value is a search-space primitive, by field name."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if is_domain(getattr(self, name))
        }

    def resolve(self, values: dict[str, Any]) -> ComponentSpec:
        """A copy with the searchable fields set to ``values`` (validated again)."""
        data = self.model_dump(mode="python")
        data.update(values)
        return type(self).model_validate(data)

    def is_resolved(self) -> bool:
        return not self.search_fields()


class CleanerSpec(ComponentSpec):
    """A data cleaner.

    ``stage = "pipeline"`` (default): ``build(task)`` returns a scikit-learn compatible
    transformer taking and returning a pandas DataFrame; it is fitted on training folds only.
    A transformer may also offer ``fit_resample(X, y) -> (X, y)`` (resamplers), which the
    pipeline calls during ``fit`` only, never at predict time.

    ``stage = "dataset"``: ``build(task)`` returns an object with ``apply(X, y) -> (X, y, info)``
    run once on the whole table before any split (e.g. dropping duplicated rows); ``info`` is a
    dict reported in the results.
    """

    category: ClassVar[str] = "cleaner"
    stage: ClassVar[Literal["pipeline", "dataset"]] = "pipeline"

    def build(self, task: Task) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class RegularizerSpec(ComponentSpec):
    """A regularizer (l1, l2, dropout, early stopping...).

    A regularizer has no behaviour of its own: the model spec that accepts it (see
    ``ModelSpec.accepted_regularizers``) maps it onto its own parameters in ``build``.
    """

    category: ClassVar[str] = "regularizer"


class ModelSpec(ComponentSpec):
    """An estimator.

    Subclasses set ``tasks`` (which tasks they serve), ``accepted_regularizers`` (the regularizer
    kinds they can map onto their own parameters) and implement ``build``. ``default_search``
    returns the spec with the ranges searched when the user names the model without ranges.
    """

    category: ClassVar[str] = "model"
    tasks: ClassVar[frozenset[str]] = frozenset({"classification", "regression"})
    accepted_regularizers: ClassVar[frozenset[str]] = frozenset()

    def build(
        self,
        task: Task,
        regularizers: list[RegularizerSpec],
        seed: int,
        n_jobs: int = 1,
    ) -> Any:  # pragma: no cover - abstract
        """Return an unfitted scikit-learn compatible estimator for ``task``.

        ``regularizers`` are resolved specs of kinds in ``accepted_regularizers``.
        """
        raise NotImplementedError

    @classmethod
    def default_search(cls, task: Task) -> ModelSpec:
        """The spec searched by default (ranges over the hyperparameters that matter)."""
        return cls()  # type: ignore[call-arg]


class StrategySpec(ComponentSpec):
    """A search strategy; ``build`` returns an ask/tell :class:`~automl_core.Strategy`."""

    category: ClassVar[str] = "strategy"

    def build(
        self, space: SearchSpace, mode: Literal["min", "max"], seed: int
    ) -> Strategy:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_space(self, space: SearchSpace) -> None:
        """Raise ``ValueError`` naming the dim if this strategy cannot search ``space``."""


CATEGORIES: dict[str, type[ComponentSpec]] = {
    "cleaner": CleanerSpec,
    "model": ModelSpec,
    "regularizer": RegularizerSpec,
    "strategy": StrategySpec,
}
