"""The experiment config's tables (cv, budget, resources, faults, scheduler) and its base
model; the component unions are added by :func:`automl_core.config.build.config_class`."""

from __future__ import annotations

import sys
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_serializer,
    model_validator,
)

from ..evaluation.metrics import METRICS, metric_mode

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass
from .errors import DEFAULT_TRIALS


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CVConfig(_Strict):
    """Cross-validation: ``folds`` folds, stratified for classification unless told otherwise."""

    folds: int = Field(default=3, ge=2, le=50)
    shuffle: bool = True
    stratified: bool | None = None
    #: also score each fold's training rows (the train_score column, for over/underfitting
    #: charts); off by default because predicting the training rows costs as much as the fit
    train_score: bool = False


class BudgetConfig(_Strict):
    """Stop after ``trials`` trials or ``time_s`` seconds, whichever comes first.

    ``trials`` left out: no cap beside ``time_s``; else every point of a grid, or
    :data:`DEFAULT_TRIALS`. Filled in by the experiment config and never written out: a config
    read back (or given another strategy) decides again.
    """

    trials: int | None = Field(default=None, ge=1)
    time_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of(self):
        if self.time_s is None and self.trials is None and "trials" in self.model_fields_set:
            raise ValueError("give trials, time_s or both")
        return self

    @model_serializer(mode="wrap")
    def _without_default(self, handler):
        data = handler(self)
        if "trials" not in self.model_fields_set:
            data.pop("trials", None)
        return data


class ResourcesConfig(_Strict):
    """Resources of one trial; fractional GPUs allowed. A trial runs on one node, so each
    must fit on a single node (checked before the run starts).

    ``memory_mb`` reserves that much of a node's Ray ``memory`` for each trial and caps the
    trial's heap at it: past it the trial ends with status "oom". ``max_concurrent`` caps the
    trials running at once (default: as many as the nodes hold).
    """

    cpu: float = Field(default=1, gt=0)
    gpu: float = Field(default=0, ge=0)
    memory_mb: float | None = Field(default=None, gt=0)
    max_concurrent: int | None = Field(default=None, ge=1)
    #: which executor runs the trials: "auto" (the rule in automl_core.trials.executors: threads
    #: of this process for the autopilot on one machine, its warm local pool when memory_mb
    #: caps each trial, Ray Tune otherwise), "ray", "local" (the pool), "threads"
    executor: Literal["auto", "ray", "local", "threads"] = "auto"


class FaultsConfig(_Strict):
    """What a run does when trials go wrong.

    ``retries``: how many times a trial runs again when its worker process or node dies (an
    exception in the objective is a failed row at once: it would fail again). ``trial_timeout_s``:
    a trial still running after this many seconds ends with status "timeout".
    """

    retries: int = Field(default=2, ge=0)
    trial_timeout_s: float | None = Field(default=None, gt=0)


class SchedulerConfig(_Strict):
    """Early stopping of bad trials from their per-epoch reports (Ray Tune's ASHA / HyperBand).

    ``max_epochs`` is the most epochs a trial may run, ``grace_period`` the fewest before it
    can be stopped, ``reduction_factor`` how many of each rung go on (1 in 3 by default).
    """

    kind: Literal["none", "asha", "hyperband"] = "none"
    max_epochs: int = Field(default=100, ge=1)
    grace_period: int = Field(default=1, ge=1)
    reduction_factor: float = Field(default=3, gt=1)


class ExperimentConfig(_Strict):
    """Fields shared by every experiment; component fields are added by :func:`config_class`.

    Use :func:`parse_config` / :func:`load_config` to validate: they pick the class built from
    the registry of installed plugins.
    """

    data: str | None = None
    target: str
    task: Literal["classification", "regression"] | None = None
    metric: str | None = None
    extra_metrics: list[str] = Field(default_factory=list)
    cv: CVConfig = Field(default_factory=CVConfig)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    resources: ResourcesConfig = Field(default_factory=ResourcesConfig)
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    faults: FaultsConfig = Field(default_factory=FaultsConfig)
    #: share of rows held out (stratified for classification) to score the refit best pipeline
    test_size: float | None = Field(default=None, gt=0, lt=1)
    #: after the search, score the best model with minimal preprocessing too, on the same
    #: folds: ``info["cleaning_gain"]`` (costs two more cross-validations of that model)
    cleaning_gain: bool = False
    results_dir: str | None = None
    seed: int = 0
    address: str | None = None
    #: run the default experiment (:mod:`automl_core.autopilot`: portfolio, local search,
    #: ensemble, the time budget kept) rather than ``models`` x ``strategy``; a file may also
    #: say ``strategy = "auto"``, which :func:`parse_config` reads as this
    autopilot: bool = False
    #: (added by :func:`config_class`) ``loggers``: experiment trackers that get the run's
    #: events in the driver (``[[loggers]]`` in TOML, or ``loggers = ["mlflow"]``); see
    #: :class:`automl_core.specs.LoggerSpec` and :mod:`automl_core.experiment.loggers`

    @model_validator(mode="after")
    def _default_trials(self):
        """Fill in ``budget.trials`` when the budget leaves it out (see :class:`BudgetConfig`):
        None (no cap) beside a time budget or for a grid, whose run ends with its last point."""
        if "trials" in self.budget.model_fields_set or not hasattr(self, "strategy"):
            return self
        grid = self.strategy.kind == "grid"
        trials = None if self.budget.time_s is not None or grid else DEFAULT_TRIALS
        filled = self.budget.model_copy(update={"trials": trials})
        filled.__pydantic_fields_set__.discard("trials")  # a default: never written out
        object.__setattr__(self, "budget", filled)  # frozen: set once, while validating
        return self

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v):
        if v is not None and v not in METRICS:
            raise ValueError(f"unknown metric {v!r} (known: {', '.join(sorted(METRICS))})")
        return v

    @field_validator("extra_metrics")
    @classmethod
    def _known_metrics(cls, v):
        for m in v:
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r} (known: {', '.join(sorted(METRICS))})")
        return v

    @property
    def mode(self) -> Literal["min", "max"]:
        return metric_mode(self.metric or "accuracy")
