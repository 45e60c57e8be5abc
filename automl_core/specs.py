"""Base classes for component specs: the extension points plugins subclass.

A spec is data: a frozen pydantic model whose ``kind`` (a ``Literal``) names the component and
whose other fields are its hyperparameters only. Any hyperparameter declared ``Searchable[T]``
accepts a fixed value or a search-space primitive. ``spec.build(...)`` turns a *resolved* spec
(every field fixed) into the behaving object. No logic in constructors; fitted state ends in ``_``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from .search.space import Domain, is_domain

if TYPE_CHECKING:
    from .search.space import SearchSpace
    from .search.strategies.base import Strategy

__all__ = [
    "ComponentSpec",
    "CleanerSpec",
    "LoggerSpec",
    "ModelSpec",
    "PortfolioEntry",
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


class PortfolioEntry(NamedTuple):
    """One known-good configuration of a model, for the autopilot (see ``ModelSpec.portfolio``).

    ``rank``: when the autopilot tries it; the entries of every installed model run in order
    of rank, lowest first (ties: by kind). The builtins use 1, 2, 3...; a plugin places its
    entries among them by cost and strength: the first two run while the budget is fresh.
    ``values``: a value for some of the fields of the model's :meth:`ModelSpec.default_search`
    (``"<field>"``), or of its :meth:`ModelSpec.default_regularizers`
    (``"<regularizer kind>.<field>"``); fields left out take the middle of their range, values
    outside a range are moved into it. A key that names no searched field is an error.
    """

    rank: float
    values: dict[str, Any]


class ModelSpec(ComponentSpec):
    """An estimator.

    Subclasses set ``tasks`` (which tasks they serve), ``accepted_regularizers`` (the regularizer
    kinds they can map onto their own parameters) and implement ``build``.

    How a model takes part in runs that do not spell it out (every hook below is optional and
    is read from the registered class, so a plugin's model takes part exactly like a builtin):

    - :meth:`default_search` and :meth:`default_regularizers`: the ranges searched when the
      user names the model by its kind alone (``models=["svc"]``: no hyperparameter and no
      regularizer given; give any and the model is taken as written), in a config that names
      no models, and by the autopilot.
    - :attr:`default_rank`: whether and where the model is in the model list of a configured
      run whose config names no models (``strategy="random"`` without ``models``).
    - :meth:`portfolio`: the autopilot searches every installed model that has portfolio
      entries for the task, and runs those entries first.
    """

    category: ClassVar[str] = "model"
    tasks: ClassVar[frozenset[str]] = frozenset({"classification", "regression"})
    accepted_regularizers: ClassVar[frozenset[str]] = frozenset()
    #: place in the default model list of a configured run that names no models (lower
    #: first; None: not in it). The builtins use 1 (linear), 2 (forest), 3 (kernel SVM).
    default_rank: ClassVar[float | None] = None

    def build(
        self,
        task: Task,
        regularizers: list[RegularizerSpec],
        seed: int,
        n_jobs: int = 1,
    ) -> Any:  # pragma: no cover - abstract
        """Return an unfitted scikit-learn compatible estimator for ``task``.

        ``regularizers`` are resolved specs of kinds in ``accepted_regularizers``. ``n_jobs``
        is the number of CPUs the trial was given: pin the estimator's threads to it.
        """
        raise NotImplementedError

    @classmethod
    def default_search(cls, task: Task) -> ModelSpec:
        """The spec searched by default (ranges over the hyperparameters that matter)."""
        return cls()  # type: ignore[call-arg]

    @classmethod
    def default_regularizers(cls, task: Task) -> list[dict[str, Any]]:
        """Regularizers searched with :meth:`default_search`, as config entries: ``{"kind":
        "l2", "strength": Float(1e-3, 1e3, log=True)}``. Each kind must be in
        ``accepted_regularizers``; a kind no installed plugin registers is left out."""
        return []

    @classmethod
    def portfolio(cls, task: Task, n_features: int) -> list[PortfolioEntry]:
        """Known-good configurations for ``task`` on a table of ``n_features`` input columns,
        tried first by the autopilot: see :class:`PortfolioEntry`. Keep the early ones cheap:
        the autopilot's smallest budgets are about 30 s on 2 CPUs. Empty (the default): the
        autopilot does not search this model."""
        return []


class StrategySpec(ComponentSpec):
    """A search strategy; ``build`` returns an ask/tell :class:`~automl_core.Strategy`."""

    category: ClassVar[str] = "strategy"

    def build(
        self, space: SearchSpace, mode: Literal["min", "max"], seed: int
    ) -> Strategy:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_space(self, space: SearchSpace) -> None:
        """Raise ``ValueError`` naming the dim if this strategy cannot search ``space``."""


class LoggerSpec(ComponentSpec):
    """An experiment tracker (MLflow...): it gets the run's events, in the driver only.

    Its fields are settings, never search ranges. ``build()`` returns the logger, an object
    with these methods (all called in the driver, in this order, by
    :class:`automl_core.experiment.loggers.LoggerHub`; never on a trial worker):

    - ``start(*, kind, config, info, seed, results_dir, resumed, finished_rows,
      finished_history)``: the run starts. ``kind``: ``"run"``, ``"tune"`` or
      ``"autopilot"``; ``config``: the validated config as a JSON-ready dict (``ac.tune``: its
      settings); ``info``: the data summary (rows, columns, task, ``plugins``: distribution ->
      version); ``results_dir``: the results folder or None. ``resumed``: True when
      ``ac.resume`` continues an interrupted run; then ``finished_rows`` (the rows of
      :meth:`trial`) and ``finished_history`` are what earlier processes finished, so a
      logger can continue its own record of the run and fill in what it missed.
    - ``trial(row, history)``: a trial finished (it is already in the journal). ``row``:
      ``trial_id, status, score, score_std, params`` (real values), ``metrics`` (a dict),
      ``error, node, started_s, finished_s, attempts, seed``; ``history``: its per-epoch rows
      ``{"trial_id", "epoch", "metric", "value"}``.
    - ``end(results, results_dir, example=None)``: the run finished and was saved.
      ``results``: :class:`automl_core.Results`; ``example``: a few input rows of the best
      pipeline (a DataFrame) or None.
    - ``close()`` (optional): the run was interrupted (Ctrl-C, an error) before ``end``.

    A method that raises is a warning naming the logger; the search goes on. A logger whose
    ``start`` raised gets no further call in that run. Run the conformance kit on yours:
    :func:`automl_core.testing.check_logger`.
    """

    category: ClassVar[str] = "logger"

    def build(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


CATEGORIES: dict[str, type[ComponentSpec]] = {
    "cleaner": CleanerSpec,
    "model": ModelSpec,
    "regularizer": RegularizerSpec,
    "strategy": StrategySpec,
    "logger": LoggerSpec,
}
