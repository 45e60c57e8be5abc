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
    status: str = "pending"  # pending | running | ok | failed | stopped early | timeout | cancelled
    score: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    node: str | None = None
    seed: int | None = None
    started_s: float | None = None
    finished_s: float | None = None


class Recorder:
    """Thread-safe store of trial records and per-epoch history, shared by searcher and callback."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.trials: dict[int, TrialRecord] = {}
        self.history: list[dict[str, Any]] = []
        self.errors: dict[int, str] = {}
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

    def done(self) -> list[TrialRecord]:
        return [r for r in self.trials.values() if r.status not in ("pending", "running")]

    def best(self, mode: str) -> TrialRecord | None:
        ok = [r for r in self.trials.values() if r.status == "ok" and r.score is not None]
        if not ok:
            return None
        return (max if mode == "max" else min)(ok, key=lambda r: r.score)
