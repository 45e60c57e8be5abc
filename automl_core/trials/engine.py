"""The trial engine: a trial's whole life, written once for every executor.

Launch: take a trial to run again (a retry, or one that was running when a resumed run's driver
died) or ask the strategy for a new one → derive its seed → record it → journal ``ask`` →
snapshot the strategy → journal ``launch``.

Finish: sort what the executor saw (:class:`Attempt`) into a status: ``ok``, ``failed`` (it
raised, or its score is NaN or infinite), ``timeout``, ``oom``, ``stopped early`` (a scheduler
ended it after an epoch), ``cancelled`` (the run ended first); a dead worker or node runs the
trial again, up to ``retries`` times, else ``failed`` → journal ``trial`` → tell the strategy
(with the epochs it reached) → snapshot → progress → the ``on_trial`` callback (loggers).

Executors (the Ray Tune adapter in :mod:`automl_core.runner.searcher`, the warm local pool in
:mod:`.local_pool`) only move trials to workers and results back; they hold no trial logic.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..seeds import derive_seed
from .deadline import Deadline
from .journal import FINAL_STATUSES, ExperimentInterrupted, Journal, normalise
from .records import Recorder, TrialRecord
from .replay import ResumeState, outcome_of

__all__ = ["Attempt", "FINISHED", "TrialEngine"]

#: :meth:`TrialEngine.next_trial` returns this when no trial is left to launch, ever
FINISHED = "FINISHED"


@dataclass
class Attempt:
    """What an executor saw of one attempt of a trial, before the engine sorts it.

    ``kind``:

    - ``"result"``: the worker ran the objective to its end; ``status`` is the worker's own
      (:func:`automl_core.trials.worker.run_objective`: ok, failed, timeout, oom, cancelled);
    - ``"stopped"``: a scheduler stopped it after an epoch (``score``: its last report);
    - ``"died"``: its worker process or node died (``oom``: killed by a memory monitor);
    - ``"error"``: the executor's own machinery raised around the objective (not retried).
    """

    kind: str
    status: str = "ok"
    score: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    node: str | None = None
    oom: bool = False


class TrialEngine:
    """Drives ``strategy`` over ``space`` for an executor (see the module docstring).

    Trials are numbered 0, 1, 2... in the order they are asked; that number is the trial id of
    the results table and the key the strategy sees. A trial run again (a retry, or a re-run
    after a resume) keeps its id, params and seed, and the strategy is told about it once.

    ``deadline`` (a :class:`~.deadline.Deadline`) ends the search; ``reserve(recorder)``, if
    given, keeps back that many seconds before it (the autopilot keeps its refit's time; it may
    change as trials finish).
    """

    def __init__(
        self,
        strategy: Any,
        space: Any,
        *,
        seed: int,
        mode: str,
        n_trials: int | None,
        retries: int = 0,
        trial_timeout_s: float | None = None,
        memory_mb: float | None = None,
        journal: Journal | None = None,
        progress: Any = None,
        deadline: Deadline | None = None,
        reserve: Callable[[Recorder], float] | None = None,
        on_trial: Callable[[TrialRecord, list[dict[str, Any]]], None] | None = None,
        recorder: Recorder | None = None,
    ):
        self.strategy = strategy
        self.space = space
        self.seed = seed
        self.mode = mode
        self.n_trials = n_trials
        self.retries = retries
        self.trial_timeout_s = trial_timeout_s
        self.memory_mb = memory_mb
        self.journal = journal
        self.progress = progress
        self.deadline = deadline or Deadline(None)
        self.reserve = reserve
        self.on_trial = on_trial
        self.recorder = recorder or Recorder()
        #: set at Ctrl-C or the end of the budget: trials ending now are unfinished, not failed
        self.stopping = False
        self.resumed: ResumeState | None = None
        self._queue: deque[int] = deque()  # trials to run (again) before asking for new ones
        self._launched: dict[int, float] = {}  # trial id -> perf_counter at launch
        self._epochs_seen: set[tuple[int, Any]] = set()
        self._next = 0
        self._exhausted = False

    # Ray Tune pickles its searcher (and so this engine) into its experiment state.
    def __getstate__(self):
        return {**self.__dict__, "on_trial": None}

    # -- resume ---------------------------------------------------------------------------------

    def restore(self, state: ResumeState) -> None:
        """Continue a run from its journal: finished trials kept, unfinished ones queued."""
        self.resumed = state
        self._queue.extend(self.recorder.restore(state))
        self._next = state.next_id

    @property
    def finished_count(self) -> int:
        return len(self.recorder.done())

    def nothing_left(self) -> bool:
        """The trial budget is already met (a resumed run that had finished its trials)."""
        return (
            self.n_trials is not None and self.finished_count >= self.n_trials and not self._queue
        )

    # -- the deadline ---------------------------------------------------------------------------

    def search_end(self) -> float:
        """When the search must stop (``perf_counter`` clock; ``inf`` without a budget)."""
        if self.deadline.at is None:
            return math.inf
        return self.deadline.at - (self.reserve(self.recorder) if self.reserve else 0.0)

    def expired(self) -> bool:
        return time.perf_counter() >= self.search_end()

    # -- launch ---------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Trials are running or queued to run again (so the search is not over yet)."""
        return bool(self._launched or self._queue)

    def next_trial(self) -> TrialRecord | str | None:
        """The next trial to run, launched; ``None``: none now (wait for a running one);
        :data:`FINISHED`: none ever again."""
        if self.stopping:
            return FINISHED
        if self._queue:
            return self._launch(self._queue.popleft())
        if self._exhausted or (self.n_trials is not None and self._next >= self.n_trials):
            # not FINISHED while a running trial may still die and need a retry
            return None if self.busy else FINISHED
        n = self._next
        point = self.strategy.ask(str(n))
        if point is None:
            self._exhausted = True
            return None if self.busy else FINISHED
        self._next += 1
        full = self.space.with_constants(point)
        seed = derive_seed(self.seed, "trial", n)
        self.recorder.add(TrialRecord(n, full, status="pending", seed=seed, attempts=0))
        if self.journal is not None:
            self.journal.append(
                "ask", trial_id=n, point=normalise(point), params=normalise(full), seed=seed
            )
            self._snapshot()
        return self._launch(n)

    def _launch(self, n: int) -> TrialRecord:
        rec = self.recorder.trials[n]
        rec.status = "running"
        rec.attempts += 1
        rec.started_s = self.recorder.now()
        rec.error = None
        self._launched[n] = time.perf_counter()
        if rec.attempts > 1:  # the history of a failed attempt is not this trial's
            self.recorder.history[:] = [h for h in self.recorder.history if h["trial_id"] != n]
            self._epochs_seen = {k for k in self._epochs_seen if k[0] != n}
        if self.journal is not None:
            self.journal.append("launch", trial_id=n, attempt=rec.attempts)
        return rec

    # -- during a trial ---------------------------------------------------------------------------

    def report_epoch(self, n: int, epoch: Any, metrics: dict[str, Any]) -> None:
        """Per-epoch rows of one intermediate report (once per trial and epoch)."""
        if (n, epoch) in self._epochs_seen:
            return
        self._epochs_seen.add((n, epoch))
        for k, v in metrics.items():
            if (k.startswith(("val_", "train_")) or k == "score") and isinstance(v, (int, float)):
                self.recorder.history.append(
                    {"trial_id": n, "epoch": epoch, "metric": k, "value": float(v)}
                )

    # -- finish ---------------------------------------------------------------------------------

    def finish(self, n: int, attempt: Attempt) -> None:
        """Sort one attempt of trial ``n`` into its row (or a retry), then journal, tell, show."""
        launched = self._launched.pop(n, time.perf_counter())
        rec = self.recorder.trials[n]
        if self.stopping and attempt.kind != "result":
            return  # cut short by Ctrl-C or the end of the budget: unfinished, not failed
        rec.finished_s = self.recorder.now()
        rec.node = attempt.node or rec.node
        if attempt.kind == "died":
            if not self._sort_death(rec, attempt, time.perf_counter() - launched):
                return  # queued to run again
        elif attempt.kind == "result":
            rec.status = attempt.status
            rec.error = attempt.error
            rec.metrics = dict(attempt.metrics)
            rec.score = _finite(attempt.score) if attempt.status == "ok" else None
        elif attempt.kind == "stopped":
            rec.status = "stopped early"
            rec.score = _finite(attempt.score)
        else:
            rec.status = "failed"
            rec.error = attempt.error
        if rec.status == "ok" and rec.score is None:
            rec.status = "failed"
            rec.error = rec.error or "the score is NaN"
        if rec.status == "cancelled":
            return  # not over: a resumed run runs it again; close() keeps its row
        self._record(rec)

    def _sort_death(self, rec: TrialRecord, attempt: Attempt, elapsed: float) -> bool:
        """A dead worker or node: timeout (the watchdog ended it), oom, a retry, or failed.
        Returns False when the trial was queued to run again."""
        text = attempt.error or "the trial's worker died"
        if self.trial_timeout_s and elapsed >= self.trial_timeout_s:
            # the watchdog ended a worker stuck in native code (see trials.limits)
            rec.status = "timeout"
            rec.error = (
                f"ran past its time limit of {self.trial_timeout_s:g} s; its worker was "
                "ended (stuck in a call the timeout could not interrupt)"
            )
        elif attempt.oom:
            rec.status = "oom"
            rec.error = "the memory monitor killed the worker (the node ran low on memory)"
            rec.error += f"\n{text}"[-2000:]
        elif rec.attempts <= self.retries:
            rec.status = "pending"
            rec.error = text
            self._queue.append(rec.trial_id)
            if self.journal is not None:
                self.journal.append(
                    "retry", trial_id=rec.trial_id, attempt=rec.attempts, error=text
                )
            return False
        else:
            rec.status = "failed"
            tries = f" (after {rec.attempts} attempts)" if rec.attempts > 1 else ""
            rec.error = f"the trial's worker or node died{tries}: {text}"[-2000:]
        return True

    def _record(self, rec: TrialRecord) -> None:
        """Journal the row, then tell the strategy, then snapshot it (the replay order)."""
        assert rec.status in FINAL_STATUSES, rec.status
        history = [h for h in self.recorder.history if h["trial_id"] == rec.trial_id]
        if self.journal is not None:
            self.journal.append_trial(rec, history)
        self.strategy.tell(
            str(rec.trial_id), outcome_of(rec.score, rec.status, rec.metrics, history)
        )
        if self.journal is not None:
            self._snapshot()
        if self.progress is not None:
            self.progress.show(self.recorder, self.mode)
        if self.on_trial is not None:
            self.on_trial(rec, history)

    def _snapshot(self) -> None:
        self.journal.save_strategy(self.strategy.state_dict(), next=self._next)

    # -- end --------------------------------------------------------------------------------------

    def close(self, end: str | None, interrupted: bool = False) -> None:
        """Unfinished trials read "cancelled"; the journal says how this process stopped."""
        cancelled = []
        for rec in self.recorder.trials.values():
            if rec.status in ("pending", "running", "cancelled"):
                rec.status = "cancelled"
                rec.error = rec.error or "the run ended (time budget or interruption) first"
                cancelled.append(rec.trial_id)
        if self.journal is not None:
            if interrupted:
                self.journal.append("interrupted", done=self._final_count())
            elif end is not None and not self.journal.complete:
                self.journal.append("end", reason=end, cancelled=cancelled)
            self.journal.close()
        if self.progress is not None:
            self.progress.show(self.recorder, self.mode, final=True)

    def interrupted_error(self) -> ExperimentInterrupted:
        """The exception for a run stopped by Ctrl-C, carrying what finished."""
        where = self.journal.dir if self.journal else None
        exc = ExperimentInterrupted(self._final_count(), self.n_trials, where)
        exc.recorder = self.recorder
        return exc

    def _final_count(self) -> int:
        """Trials that are over (what a resume keeps)."""
        return sum(r.status in FINAL_STATUSES for r in self.recorder.trials.values())


def _finite(score: Any) -> float | None:
    ok = isinstance(score, (int, float)) and math.isfinite(score)
    return float(score) if ok else None
