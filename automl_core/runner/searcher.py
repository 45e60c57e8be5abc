"""The thin adapter from the trial engine onto Ray Tune's ``Searcher``.

``suggest`` → :meth:`TrialEngine.next_trial`; ``on_trial_result`` → the epoch's history;
``on_trial_complete`` → an :class:`~automl_core.trials.engine.Attempt` for
:meth:`TrialEngine.finish`. Everything a trial's life means (seeds, records, retries, statuses,
journal, strategy snapshots) is the engine's; this file only translates Ray Tune's calls and
reads Ray's error of a trial whose worker died.

Ray Tune gets the searcher as :func:`search_algorithm` builds it: wrapped as Tune itself wraps
a ``Searcher`` with ``max_concurrent_trials``, in a generator that also keeps each Trial it
creates (to read a crashed trial's error). Not through a ``tune.Callback``: any callback makes
Ray Tune's usage telemetry import the MLflow, W&B, Comet and Aim integrations at every
``Tuner.fit`` (``ray.air._internal.usage.tag_callbacks``), ~1 s of CPU with MLflow installed,
on the way to the first trial.
"""

from __future__ import annotations

import pickle
from typing import Any

from ray.tune.search import ConcurrencyLimiter, Searcher, SearchGenerator

from ..trials.engine import FINISHED, Attempt, TrialEngine
from .errors import classify_error, node_from_error

__all__ = ["EngineSearcher", "TrialKeepingGenerator", "read_tune_error", "search_algorithm"]


def read_tune_error(trial: Any) -> tuple[str, BaseException | None]:
    """The last error Ray Tune stored for its ``trial`` (a ``ray.tune`` Trial, or None when
    unknown): its text and, when it could be unpickled, the exception (to tell a dead worker
    from an error it raised)."""
    if trial is None:
        return "the trial's worker died", None
    exc = None
    try:
        exc = trial.get_pickled_error()
    except Exception:  # an exception class this process cannot import
        pass
    path = getattr(trial, "error_file", None)
    try:
        with open(path) as f:
            text = f.read()
    except (OSError, TypeError):
        return (str(exc) if exc else "the trial's worker died"), exc
    # the file holds every failure of the trial, each after a "Failure # n" line
    text = text.rsplit("Failure # ", 1)[-1].split("\n", 1)[-1].strip()[-2000:]
    return text, exc


class TrialKeepingGenerator(SearchGenerator):
    """Ray Tune's own ``SearchGenerator``, which also hands each Trial it creates to the
    :class:`EngineSearcher` (Ray Tune writes a crashed trial's error into that Trial before it
    calls ``on_trial_complete(..., error=True)``)."""

    def __init__(self, searcher: Searcher, engine_searcher: EngineSearcher):
        super().__init__(searcher)
        self.engine_searcher = engine_searcher

    def create_trial_if_possible(self, experiment_spec):
        trial = super().create_trial_if_possible(experiment_spec)
        if trial is not None:
            self.engine_searcher.tune_trials[trial.trial_id] = trial
        return trial


def search_algorithm(searcher: EngineSearcher, max_concurrent: int) -> SearchGenerator:
    """``searcher`` as Ray Tune's ``search_alg``: what ``tune.run`` makes of a ``Searcher``
    and ``max_concurrent_trials`` (a ``ConcurrencyLimiter`` in a ``SearchGenerator``), with the
    generator that keeps the trials (see the module docstring)."""
    return TrialKeepingGenerator(ConcurrencyLimiter(searcher, max_concurrent), searcher)


class EngineSearcher(Searcher):
    """Ray Tune's view of a :class:`TrialEngine` (see the module docstring)."""

    def __init__(self, engine: TrialEngine):
        super().__init__(metric="score", mode=engine.mode)
        self.engine = engine
        self._ids: dict[str, int] = {}  # Ray Tune trial id -> our trial id
        #: Ray Tune's Trial objects of the unfinished trials, by Tune's trial id (kept by
        #: :class:`TrialKeepingGenerator`), to read an error's text
        self.tune_trials: dict[str, Any] = {}

    def __getstate__(self):
        return {**self.__dict__, "tune_trials": {}}

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        rec = self.engine.next_trial()
        if rec is FINISHED:
            return Searcher.FINISHED
        if rec is None:
            return None
        self._ids[trial_id] = rec.trial_id
        return {"params": rec.params, "trial": rec.trial_id, "seed": rec.seed}

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        n = self._ids.get(trial_id)
        if n is not None and not result.get("final"):
            self._epoch(n, result)

    def _epoch(self, n: int, result: dict) -> None:
        self.engine.report_epoch(n, result.get("epoch", result.get("training_iteration")), result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False):
        n = self._ids.pop(trial_id, None)
        trial = self.tune_trials.pop(trial_id, None)
        if n is None:
            return
        self.engine.finish(n, self._attempt(trial, n, result or {}, error))

    def _attempt(self, trial: Any, n: int, result: dict, error: bool) -> Attempt:
        node = result.get("node")
        if error:
            text, exc = read_tune_error(trial)
            node = node_from_error(text, self.engine.recorder.node_names) or node
            kind = classify_error(text, exc)
            if kind == "error":  # the trainable raised: it would raise again
                return Attempt("error", error=text, node=node)
            return Attempt("died", error=text, node=node, oom=kind == "oom")
        if result.get("final"):
            return Attempt(
                "result",
                status=result.get("status", "ok"),
                score=result.get("score"),
                # Ray Tune flattens nested result dicts: {"metrics": {"a": 1}} is "metrics/a"
                metrics={
                    k.split("/", 1)[1]: v for k, v in result.items() if k.startswith("metrics/")
                },
                error=result.get("error"),
                node=node,
            )
        # ended by the scheduler (ASHA/HyperBand) after an intermediate report; Ray hands that
        # last report to on_trial_complete only, so its epoch is recorded here
        self._epoch(n, result)
        if result.get("last"):
            # stopped at the report of its last epoch (ASHA has a rung at max_epochs when it
            # is a power of the reduction factor): it trained all it would, so it is finished
            epoch = result.get("epoch", result.get("training_iteration"))
            return Attempt("result", score=result.get("score"), metrics={"epochs_run": epoch},
                           node=node)  # fmt: skip
        return Attempt("stopped", score=result.get("score"), node=node)

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump({"strategy": self.engine.strategy.state_dict()}, f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            self.engine.strategy.load_state_dict(pickle.load(f)["strategy"])
