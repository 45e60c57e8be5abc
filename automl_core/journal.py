"""The experiment journal: what lets a run be resumed after its driver dies.

Files in the results folder (written only when a results folder is set):

``journal.jsonl``
    Append-only, one JSON object per line, flushed and fsync'ed as each is written, so a
    ``SIGKILL`` loses at most a half-written last line (ignored and cut off on resume). Events,
    each with ``event`` and ``t`` (Unix time):

    - ``start``: the run's budget and identity (n_trials, time_budget_s, mode, seed, strategy).
    - ``ask``: the strategy handed out trial ``trial_id``: ``point`` (what ``ask`` returned),
      ``params`` (with the space's constants) and the trial's ``seed``.
    - ``launch``: trial ``trial_id`` was sent to a worker (``attempt`` counts from 1).
    - ``retry``: its worker or node died; it is queued to run again (``error`` says why).
    - ``trial``: it finished, with its row: status, score, metrics, error, node, seed, params,
      started_s, finished_s, attempts, history. Written before the strategy is told.
    - ``resume``: a later process took over (``done``: finished trials, ``rerun``: trial ids
      that were running and run again).
    - ``interrupted`` (Ctrl-C) or ``end`` (budget spent, space exhausted): how a process
      stopped. ``end`` makes the experiment complete: resuming it only rebuilds the results.

``resume/strategy.pkl``
    The strategy's ``state_dict()`` after each ask and each tell, replaced atomically, with
    ``events``: how many journal lines it reflects. On resume the strategy is rebuilt from its
    spec and seed, loads this state, and replays the (at most one or two) journal events after
    it, so its state is exactly that of the process that died.

``resume/experiment.pkl``
    What the run needs to start again (the validated config and the prepared table, or the
    function, space and settings of ``ac.tune``). A pickle: read only results folders you trust.

Trials that were running when the driver died are run again with the *same* trial id, params
and seed (the strategy already handed them out and counts them as pending), so a resumed run
produces the same table as an uninterrupted one wherever the strategy's choices do not depend
on finishing order (grid, random).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "JOURNAL_FILE",
    "ExperimentInterrupted",
    "Journal",
    "ResumeState",
    "restore",
    "save_experiment",
    "load_experiment",
    "has_journal",
]

JOURNAL_FILE = "journal.jsonl"
STATE_DIR = "resume"
STRATEGY_FILE = "strategy.pkl"
EXPERIMENT_FILE = "experiment.pkl"
VERSION = 1

#: statuses of a trial that is over; anything else (running, pending, cancelled) runs again
FINAL_STATUSES = frozenset({"ok", "failed", "timeout", "oom", "stopped early"})


class ExperimentInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C after keeping what finished; ``automl resume`` continues it.

    A ``KeyboardInterrupt``, so code that does not know about it still stops. ``done`` and
    ``total`` count trials; ``results_dir`` is where the journal is (None without one).
    """

    def __init__(self, done: int, total: int | None, results_dir: str | Path | None = None):
        self.done = done
        self.total = total
        self.results_dir = str(results_dir) if results_dir is not None else None
        self.recorder: Any = None
        super().__init__(self.message())

    def message(self) -> str:
        total = f" of {self.total}" if self.total else ""
        if not self.results_dir:
            return f"interrupted: {self.done}{total} trials had finished (no results folder)"
        return (
            f"interrupted: {self.done}{total} trials finished and are kept in "
            f"{self.results_dir}; continue with: automl resume {self.results_dir}"
        )


def _json_default(v: Any) -> Any:
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    return str(v)


def _clean(v: Any) -> Any:
    """JSON has no NaN/inf: write them as null (a NaN score already means "no score")."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def normalise(obj: Any) -> Any:
    """``obj`` as it reads back from the journal (tuples become lists, numpy scalars numbers)."""
    return json.loads(json.dumps(_clean(obj), default=_json_default))


def has_journal(directory: str | Path) -> bool:
    return (Path(directory) / JOURNAL_FILE).exists()


class Journal:
    """The append-only event log of one experiment (see the module docstring)."""

    def __init__(self, directory: str | Path, events: list[dict[str, Any]] | None = None):
        self.dir = Path(directory)
        self.path = self.dir / JOURNAL_FILE
        self.events: list[dict[str, Any]] = list(events or [])
        self._f = None

    # Ray Tune pickles the searcher, and so this, into its experiment state: no file handle.
    def __getstate__(self):
        return {**self.__dict__, "_f": None}

    @classmethod
    def create(cls, directory: str | Path, **header: Any) -> Journal:
        """Start a new journal (replacing an earlier experiment's in the same folder)."""
        d = Path(directory)
        (d / STATE_DIR).mkdir(parents=True, exist_ok=True)
        for stale in (d / JOURNAL_FILE, d / STATE_DIR / STRATEGY_FILE):
            stale.unlink(missing_ok=True)
        j = cls(d)
        j.append("start", version=VERSION, **header)
        return j

    @classmethod
    def open(cls, directory: str | Path) -> Journal:
        """Read an existing journal to continue it; a torn last line is cut off."""
        d = Path(directory)
        path = d / JOURNAL_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{d} has no {JOURNAL_FILE}: it is not the results folder of a run that can be "
                "resumed (only runs given a results folder keep a journal)"
            )
        raw = path.read_bytes()
        good = raw[: raw.rfind(b"\n") + 1]  # a line without its newline was cut by a crash
        events = []
        for line in good.splitlines():
            if line.strip():
                events.append(json.loads(line))
        if len(good) != len(raw):
            with open(path, "r+b") as f:
                f.truncate(len(good))
        if not events or events[0].get("event") != "start":
            raise ValueError(f"{path} does not begin with a start event")
        return cls(d, events)

    # -- writing ----------------------------------------------------------------------------

    @property
    def count(self) -> int:
        return len(self.events)

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        rec = normalise({"event": event, "t": time.time(), **fields})
        line = json.dumps(rec, separators=(",", ":"))
        if self._f is None:
            self._f = open(self.path, "a", encoding="utf-8")
        self._f.write(line + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())
        self.events.append(rec)
        return rec

    def save_strategy(self, state: dict[str, Any], **extra: Any) -> None:
        """Replace the strategy snapshot atomically (write aside, then rename)."""
        target = self.dir / STATE_DIR / STRATEGY_FILE
        tmp = target.with_suffix(".tmp")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            pickle.dump({"events": self.count, "state": state, **extra}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)

    def load_strategy(self) -> dict[str, Any] | None:
        path = self.dir / STATE_DIR / STRATEGY_FILE
        if not path.exists():
            return None
        with open(path, "rb") as f:
            return pickle.load(f)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    # -- reading ----------------------------------------------------------------------------

    @property
    def header(self) -> dict[str, Any]:
        return self.events[0]

    def of(self, *kinds: str) -> Iterable[dict[str, Any]]:
        return (e for e in self.events if e["event"] in kinds)

    @property
    def complete(self) -> bool:
        """An ``end`` event after the last (re)start: nothing is left to run."""
        for e in reversed(self.events):
            if e["event"] == "end":
                return True
            if e["event"] in ("start", "resume"):
                return False
        return False

    def finished(self) -> dict[int, dict[str, Any]]:
        """The ``trial`` event of each finished trial, by trial id."""
        return {e["trial_id"]: e for e in self.of("trial")}

    def asked(self) -> dict[int, dict[str, Any]]:
        """The ``ask`` event of each trial the strategy handed out, by trial id."""
        return {e["trial_id"]: e for e in self.of("ask")}

    def elapsed_s(self) -> float:
        """Run time spent by earlier processes: from each (re)start to its last event."""
        total, seg_start, last = 0.0, None, None
        for e in self.events:
            if e["event"] in ("start", "resume"):
                if seg_start is not None:
                    total += last - seg_start
                seg_start = e["t"]
            last = e["t"]
        if seg_start is not None:
            total += last - seg_start
        return total


@dataclass
class ResumeState:
    """Where a resumed run starts from (built by :func:`restore`)."""

    finished: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (trial id, params, seed) of trials handed out but not finished: run again as they were
    rerun: list[tuple[int, dict[str, Any], int]] = field(default_factory=list)
    next_id: int = 0
    elapsed_s: float = 0.0
    complete: bool = False


def restore(journal: Journal, strategy: Any) -> ResumeState:
    """Bring ``strategy`` (freshly built from its spec and seed) to its state at the crash.

    Loads the latest snapshot, then replays the journal events written after it: each ``ask``
    asks again (the same point, since the state is the same) and each ``trial`` is told.
    """
    from .strategies.base import Outcome

    snap = journal.load_strategy()
    start = 1  # a fresh strategy has seen nothing after the start event
    if snap is not None:
        strategy.load_state_dict(snap["state"])
        start = snap["events"]
    for e in journal.events[start:]:
        if e["event"] == "ask":
            point = strategy.ask(str(e["trial_id"]))
            if point is None or normalise(point) != e["point"]:
                warnings.warn(
                    f"resume: the strategy asked again for trial {e['trial_id']} gave "
                    f"{point!r}, not the journal's {e['point']!r}; the journal's point is kept",
                    RuntimeWarning,
                    stacklevel=2,
                )
        elif e["event"] == "trial":
            strategy.tell(str(e["trial_id"]), Outcome(e.get("score"), e["status"], e["metrics"]))
    finished = journal.finished()
    asked = journal.asked()
    rerun = [(n, asked[n]["params"], asked[n]["seed"]) for n in sorted(asked) if n not in finished]
    return ResumeState(
        finished=finished,
        rerun=rerun,
        next_id=max(asked, default=-1) + 1,
        elapsed_s=journal.elapsed_s(),
        complete=journal.complete,
    )


def _pickler():
    """cloudpickle (functions defined in ``__main__`` or a notebook pickle by value)."""
    try:
        import cloudpickle
    except ImportError:  # joblib, a dependency, vendors it
        from joblib.externals import cloudpickle
    return cloudpickle


def save_experiment(directory: str | Path, payload: dict[str, Any]) -> None:
    """Write what :func:`automl_core.resume` needs to start the run again."""
    target = Path(directory) / STATE_DIR / EXPERIMENT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        _pickler().dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)


def load_experiment(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / STATE_DIR / EXPERIMENT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the run cannot be started again")
    with open(path, "rb") as f:
        return pickle.load(f)
