"""The search a config describes (its strategy over its models, cleaners and ranges), as a
:class:`~automl_core.experiment.lifecycle.Search`, and where a config's trials run."""

from __future__ import annotations

from typing import Any

from ..results import Results
from ..seeds import derive_seed
from ..trials.engine import TrialEngine
from ..trials.executors import ExecutorSettings
from ..trials.records import Recorder
from .lifecycle import Experiment, Search

__all__ = [
    "ConfiguredSearch",
    "executor_settings",
    "refit_pipeline",
    "required_kinds",
    "worker_config",
]


class ConfiguredSearch(Search):
    """The search a config describes: its strategy over its models, cleaners and ranges."""

    def __init__(self, exp: Experiment):
        super().__init__(exp)
        from ..search.config_space import build_space

        self.name = exp.cfg.strategy.kind
        self.space = build_space(exp.cfg)
        self.folds = None

    def prepare(self, X, y) -> None:
        from ..evaluation.cv import make_folds

        cfg = self.exp.cfg
        self.folds = make_folds(
            y,
            cfg.task,
            cfg.cv.folds,
            cfg.cv.shuffle,
            cfg.cv.stratified,
            derive_seed(cfg.seed, "folds"),
        )

    def search(self, X, y, journal, progress, on_trial) -> Recorder:
        from ..evaluation.objective import PipelineObjective

        cfg = self.exp.cfg
        strategy = cfg.strategy.build(self.space, self.exp.mode, derive_seed(cfg.seed, "strategy"))
        engine = TrialEngine(
            strategy,
            self.space,
            seed=cfg.seed,
            mode=self.exp.mode,
            n_trials=cfg.budget.trials,
            retries=cfg.faults.retries,
            trial_timeout_s=cfg.faults.trial_timeout_s,
            memory_mb=cfg.resources.memory_mb,
            journal=journal,
            progress=progress,
            deadline=self.exp.deadline,
            on_trial=on_trial,
        )
        objective = PipelineObjective(worker_config(cfg), X, y, self.folds, cfg.task)
        self.run_engine(engine, objective, journal, executor_settings(cfg))
        return engine.recorder

    def refit(self, results: Results, recorder: Recorder, X, y) -> None:
        cfg = self.exp.cfg
        best = recorder.best(self.exp.mode)
        if best is None:
            return
        if cfg.cleaning_gain:
            from ..evaluation.before_after import compare_cleaning
            from ..search.config_space import resolve

            results.info["cleaning_gain"] = compare_cleaning(
                X, y, cfg.task, cfg.metric, self.folds, resolve(cfg, best.params), best.seed
            )
        results.best_pipeline = refit_pipeline(cfg, best).fit(X, y)


def executor_settings(cfg: Any, **extra: Any) -> ExecutorSettings:
    """Where a config's trials run (its ``resources``, ``scheduler`` and ``address``)."""
    return ExecutorSettings(
        executor=cfg.resources.executor,
        cpu=cfg.resources.cpu,
        gpu=cfg.resources.gpu,
        address=cfg.address,
        scheduler=cfg.scheduler,
        max_concurrent=cfg.resources.max_concurrent,
        required_kinds=required_kinds(cfg),
        memory_mb=cfg.resources.memory_mb,
        **extra,
    )


def worker_config(cfg: Any) -> dict[str, Any]:
    """The config the trial workers validate again: without the loggers, which run in the
    driver only (a node without a logger's plugin must still run the trials)."""
    return cfg.model_dump(mode="json", exclude={"loggers"})


def refit_pipeline(cfg, best_rec):
    """The best trial's pipeline, to be fitted on all training rows.

    Scikit-learn models get every core (``n_jobs=-1``). Networks (the epoch protocol) keep
    the threads a trial had: their OpenMP threads spin-wait when the cores are busy, and on a
    shared 2-core machine a 2-thread refit of the digits CNN took 10x longer than a 1-thread
    one (benchmarks/RESULTS.md, issue 5); a small network gains little from more threads.
    """
    import math

    from ..evaluation.epochs import has_epoch_protocol
    from ..evaluation.pipeline import build_pipeline
    from ..search.config_space import resolve

    pipe = build_pipeline(resolve(cfg, best_rec.params), cfg.task, seed=best_rec.seed, n_jobs=-1)
    model = pipe.steps[-1][1]
    if has_epoch_protocol(model) and "n_jobs" in model.get_params():
        model.set_params(n_jobs=max(1, math.ceil(cfg.resources.cpu)))
    return pipe


def required_kinds(cfg: Any) -> dict[str, list[str]]:
    """The cleaner / model / regularizer kinds the workers must know to run ``cfg``."""
    from ..search.config_space import config_models

    models = list(config_models(cfg) if (cfg.models or cfg.task) else [])
    return {
        "cleaner": sorted({c.kind for c in cfg.cleaners or []}),
        "model": sorted({m.kind for m in models}),
        "regularizer": sorted({r.kind for m in models for r in getattr(m, "regularizers", [])}),
    }
