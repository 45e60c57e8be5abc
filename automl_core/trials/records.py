"""Our own per-trial records: the source of the results table (not Ray's dataframe)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrialRecord", "Recorder"]


@dataclass
class TrialRecord:
    """One trial, whatever happened to it."""

    trial_id: int
    params: dict[str, Any]
    #: pending | running | ok | failed | stopped early | timeout | oom | cancelled
    status: str = "pending"
    score: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    node: str | None = None
    seed: int | None = None
    started_s: float | None = None
    finished_s: float | None = None
    #: how many times it was launched (more than 1 after its worker or node died)
    attempts: int = 1


class Recorder:
    """Thread-safe store of trial records and per-epoch history (kept by the trial engine)."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.trials: dict[int, TrialRecord] = {}
        self.history: list[dict[str, Any]] = []
        #: Ray node id -> the label of the node column (to name the node of a crashed trial)
        self.node_names: dict[str, str] = {}
        self._lock = threading.Lock()

    # Ray Tune pickles the searcher (and so this) into its experiment state: drop the lock.
    def __getstate__(self):
        state = dict(self.__dict__)
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def add(self, rec: TrialRecord) -> None:
        with self._lock:
            self.trials[rec.trial_id] = rec

    def restore(self, state: Any) -> list[int]:
        """Add the trials of a resumed run (a :class:`~automl_core.trials.replay.ResumeState`): its
        finished rows as they were, and those to run again as pending; returns the latter's
        ids, in order."""
        for n, e in state.finished.items():
            self.add(
                TrialRecord(
                    n,
                    e["params"],
                    status=e["status"],
                    score=e.get("score"),
                    metrics=e.get("metrics") or {},
                    error=e.get("error"),
                    node=e.get("node"),
                    seed=e.get("seed"),
                    started_s=e.get("started_s"),
                    finished_s=e.get("finished_s"),
                    attempts=e.get("attempts", 1),
                )
            )
            self.history.extend(e.get("history") or [])
        rerun = []
        for n, params, seed in state.rerun:
            self.add(TrialRecord(n, params, status="pending", seed=seed, attempts=0))
            rerun.append(n)
        return rerun

    def done(self) -> list[TrialRecord]:
        return [r for r in self.trials.values() if r.status not in ("pending", "running")]

    def best(self, mode: str) -> TrialRecord | None:
        ok = [r for r in self.trials.values() if r.status == "ok" and r.score is not None]
        if not ok:
            return None
        return (max if mode == "max" else min)(ok, key=lambda r: r.score)
