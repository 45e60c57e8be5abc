"""The one adapter from an ask/tell :class:`~automl_core.Strategy` onto Ray Tune's Searcher.

It also owns what happens to a trial between ask and tell: retries when its worker or node
dies, the "timeout" / "oom" statuses of trials ended by their limits, and the journal lines
and strategy snapshots that let a run resume (see :mod:`automl_core.journal`).
"""

from __future__ import annotations

import math
import pickle
import time
from collections import deque
from typing import Any

from ray.tune.search import Searcher

from ..journal import FINAL_STATUSES, Journal, ResumeState, normalise
from ..progress import Progress
from ..seeds import derive_seed
from ..space import SearchSpace
from ..strategies.base import Outcome, Strategy
from .errors import classify_error, node_from_error
from .records import Recorder, TrialRecord

__all__ = ["StrategySearcher"]


class StrategySearcher(Searcher):
    """``suggest`` → ``strategy.ask``; ``on_trial_complete`` → record + ``strategy.tell``.

    Trials are numbered 0, 1, 2... in the order they are asked; that number is the trial id of
    the results table and the key the strategy sees. A trial run again (a retry after its
    worker died, or a re-run after a resume) keeps its id, params and seed, and the strategy
    is told about it once, when it is over.
    """

    def __init__(
        self,
        strategy: Strategy,
        space: SearchSpace,
        recorder: Recorder,
        n_trials: int | None,
        seed: int,
        mode: str,
        progress: Progress | None = None,
        *,
        retries: int = 0,
        trial_timeout_s: float | None = None,
        journal: Journal | None = None,
        resume: ResumeState | None = None,
    ):
        super().__init__(metric="score", mode=mode)
        self.strategy = strategy
        self.space = space
        self.recorder = recorder
        self.n_trials = n_trials
        self.seed = seed
        self.progress = progress
        self.retries = retries
        self.trial_timeout_s = trial_timeout_s
        self.journal = journal
        self.stopping = False  # set on Ctrl-C / end of budget: trials ending now are unfinished
        self._ids: dict[str, int] = {}  # Ray Tune trial id -> our trial id
        self._launched: dict[int, float] = {}  # our trial id -> perf_counter at launch
        self._epochs_seen: set[tuple[int, object]] = set()  # (trial, epoch) already in history
        self._queue: deque[int] = deque()  # trials to run (again) before asking for new ones
        self._next = 0
        self._exhausted = False
        if resume is not None:
            self._restore(resume)

    # -- resume -------------------------------------------------------------------------------

    def _restore(self, state: ResumeState) -> None:
        self._queue.extend(self.recorder.restore(state))
        self._next = state.next_id

    # -- Searcher ----------------------------------------------------------------------------

    def _launch(self, tune_id: str, n: int) -> dict[str, Any]:
        rec = self.recorder.trials[n]
        rec.status = "running"
        rec.attempts += 1
        rec.started_s = self.recorder.now()
        rec.error = None
        self._ids[tune_id] = n
        self._launched[n] = time.perf_counter()
        if rec.attempts > 1:  # the history of a failed attempt is not this trial's
            self.recorder.history[:] = [h for h in self.recorder.history if h["trial_id"] != n]
        if self.journal is not None:
            self.journal.append("launch", trial_id=n, attempt=rec.attempts)
        return {"params": rec.params, "trial": n, "seed": rec.seed}

    def _busy(self) -> bool:
        return bool(self._launched or self._queue)

    def suggest(self, trial_id: str) -> dict[str, Any] | str | None:
        if self.stopping:
            return Searcher.FINISHED
        if self._queue:
            return self._launch(trial_id, self._queue.popleft())
        if self._exhausted or (self.n_trials is not None and self._next >= self.n_trials):
            # not FINISHED while a trial may still fail and need a retry: Ray Tune never asks
            # a finished searcher again
            return None if self._busy() else Searcher.FINISHED
        n = self._next
        point = self.strategy.ask(str(n))
        if point is None:
            self._exhausted = True
            return None if self._busy() else Searcher.FINISHED
        self._next += 1
        full = self.space.with_constants(point)
        seed = derive_seed(self.seed, "trial", n)
        self.recorder.add(TrialRecord(n, full, status="pending", seed=seed, attempts=0))
        if self.journal is not None:
            self.journal.append(
                "ask", trial_id=n, point=normalise(point), params=normalise(full), seed=seed
            )
            self._snapshot()
        return self._launch(trial_id, n)

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        n = self._ids.get(trial_id)
        if n is None or result.get("final"):
            return
        self._history(n, result)

    def _history(self, n: int, result: dict) -> None:
        """Per-epoch rows of one intermediate result (once per trial and epoch)."""
        epoch = result.get("epoch", result.get("training_iteration"))
        if (n, epoch) in self._epochs_seen:
            return
        self._epochs_seen.add((n, epoch))
        for k, v in result.items():
            if k.startswith(("val_", "train_")) or k == "score":
                if isinstance(v, (int, float)):
                    self.recorder.history.append(
                        {"trial_id": n, "epoch": epoch, "metric": k, "value": float(v)}
                    )

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False):
        n = self._ids.pop(trial_id, None)
        if n is None:
            return
        launched = self._launched.pop(n, time.perf_counter())
        rec = self.recorder.trials[n]
        result = result or {}
        if self.stopping and not result.get("final"):
            return  # cut short by Ctrl-C or the end of the budget: unfinished, not failed
        rec.finished_s = self.recorder.now()
        rec.node = result.get("node") or rec.node
        if error:
            text, exc = self.recorder.error_of(trial_id)
            rec.node = node_from_error(text, self.recorder.node_names) or rec.node
            kind = classify_error(text, exc)
            elapsed = time.perf_counter() - launched
            if self.trial_timeout_s and elapsed >= self.trial_timeout_s:
                # the watchdog ended a worker stuck in native code (see runner.limits)
                rec.status = "timeout"
                rec.error = (
                    f"ran past its time limit of {self.trial_timeout_s:g} s; its worker was "
                    "ended (stuck in a call the timeout could not interrupt)"
                )
            elif kind == "oom":
                rec.status = "oom"
                rec.error = "Ray's memory monitor killed the worker (the node ran low on memory)"
                rec.error += f"\n{text}"[-2000:]
            elif kind == "crash" and rec.attempts <= self.retries:
                rec.status = "pending"
                rec.error = text
                self._queue.append(n)
                if self.journal is not None:
                    self.journal.append("retry", trial_id=n, attempt=rec.attempts, error=text)
                return
            elif kind == "crash":
                rec.status = "failed"
                tries = f" (after {rec.attempts} attempts)" if rec.attempts > 1 else ""
                rec.error = f"the trial's worker or node died{tries}: {text}"[-2000:]
            else:
                rec.status = "failed"
                rec.error = text
        elif result.get("final"):
            rec.status = result.get("status", "ok")
            rec.error = result.get("error")
            # Ray Tune flattens nested result dicts: {"metrics": {"a": 1}} arrives as "metrics/a"
            rec.metrics = {
                k.split("/", 1)[1]: v for k, v in result.items() if k.startswith("metrics/")
            }
            score = result.get("score")
            rec.score = float(score) if score is not None and math.isfinite(score) else None
        else:
            # ended by the scheduler (ASHA/HyperBand) after an intermediate report; Ray hands
            # that last report to on_trial_complete only, so its epoch is recorded here
            rec.status = "stopped early"
            self._history(n, result)
            score = result.get("score")
            ok = isinstance(score, (int, float)) and math.isfinite(score)
            rec.score = float(score) if ok else None
        if rec.status == "ok" and rec.score is None:
            rec.status = "failed"
            rec.error = rec.error or "the score is NaN"
        self._finish(rec)

    def _finish(self, rec: TrialRecord) -> None:
        """Journal the row, then tell the strategy, then snapshot it (the replay order)."""
        assert rec.status in FINAL_STATUSES, rec.status
        if self.journal is not None:
            history = [h for h in self.recorder.history if h["trial_id"] == rec.trial_id]
            self.journal.append_trial(rec, history)
        self.strategy.tell(str(rec.trial_id), Outcome(rec.score, rec.status, rec.metrics))
        if self.journal is not None:
            self._snapshot()
        if self.progress is not None:
            self.progress.show(self.recorder, self.mode)

    def _snapshot(self) -> None:
        self.journal.save_strategy(self.strategy.state_dict(), next=self._next)

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump({"strategy": self.strategy.state_dict(), "next": self._next}, f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            state = pickle.load(f)
        self.strategy.load_state_dict(state["strategy"])
        self._next = state["next"]
