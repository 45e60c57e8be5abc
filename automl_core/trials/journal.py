"""The experiment journal: what lets a run be resumed after its driver dies.

Files in the results folder (written only when a results folder is set):

``journal.jsonl``
    Append-only, one JSON object per line, flushed and fsync'ed as each is written, so a
    ``SIGKILL`` loses at most a half-written last line (ignored and cut off on resume). Events,
    each with ``event`` and ``t`` (Unix time):

    - ``start``: the run's budget and identity (n_trials, time_budget_s, mode, seed, strategy;
      an autopilot run adds ``setup_s``, the part of its budget spent before the journal began).
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

``resume/aside/<trial id>.txt``
    A large per-trial value kept out of the journal's lines (:meth:`Journal.keep_aside`): the
    autopilot's out-of-fold predictions, kept only for the trials that can still join its
    ensemble (the best few), so the folder stays small on a long run.

``resume/experiment.pkl``
    What the run needs to start again (the validated config and the prepared table, or the
    function, space and settings of ``ac.tune``; an autopilot run adds its time budget). A
    pickle: read only results folders you trust.

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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "JOURNAL_FILE",
    "ExperimentInterrupted",
    "Journal",
    "JournalError",
    "has_journal",
    "normalise",
]

JOURNAL_FILE = "journal.jsonl"
STATE_DIR = "resume"
STRATEGY_FILE = "strategy.pkl"
ASIDE_DIR = "aside"
EXPERIMENT_FILE = "experiment.pkl"
VERSION = 1

#: statuses of a trial that is over; anything else (running, pending, cancelled) runs again
FINAL_STATUSES = frozenset({"ok", "failed", "timeout", "oom", "stopped early"})


class JournalError(ValueError):
    """A journal that cannot be read: which file, which line, and what to do about it."""


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


def _parse_line(path: Path, number: int, line: bytes) -> dict[str, Any] | None:
    """One journal line; a damaged line in the middle (not a torn last one) is an error that
    names the line and what to do, never a bare ``JSONDecodeError``."""
    if not line.strip():
        return None
    try:
        event = json.loads(line)
        if not isinstance(event, dict) or "event" not in event:
            raise ValueError("not an event object")
        return event
    except ValueError as exc:
        raise JournalError(
            f"{path}, line {number}, is damaged ({exc}): {line[:80]!r}. The lines before it "
            f"are intact. To resume from them, keep a copy of the file and delete line "
            f"{number} and every line after it; the trials they held run again. Or start the "
            "run again in a new results folder."
        ) from None


def has_journal(directory: str | Path) -> bool:
    return (Path(directory) / JOURNAL_FILE).exists()


class Journal:
    """The append-only event log of one experiment (see the module docstring)."""

    def __init__(self, directory: str | Path, events: list[dict[str, Any]] | None = None):
        self.dir = Path(directory)
        self.path = self.dir / JOURNAL_FILE
        self.events: list[dict[str, Any]] = list(events or [])
        self._f = None
        #: (metrics key, how many trials keep it, mode): see keep_aside
        self._aside: tuple[str, int, str] | None = None
        self._aside_kept: list[tuple[float, int]] = []  # (loss, trial id) with a value aside

    # Ray Tune pickles the searcher, and so this, into its experiment state: no file handle.
    def __getstate__(self):
        return {**self.__dict__, "_f": None}

    @classmethod
    def create(cls, directory: str | Path, **header: Any) -> Journal:
        """Start a new journal (replacing an earlier, ended experiment's in the same folder).

        The caller holds the folder's lock (:mod:`.lock`): a live run's journal is never
        replaced."""
        d = Path(directory)
        (d / STATE_DIR).mkdir(parents=True, exist_ok=True)
        for stale in (d / JOURNAL_FILE, d / STATE_DIR / STRATEGY_FILE):
            stale.unlink(missing_ok=True)
        j = cls(d)
        for stale in j._aside_dir.glob("*.txt"):
            stale.unlink()
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
        events = [_parse_line(path, i, line) for i, line in enumerate(good.splitlines(), 1)]
        events = [e for e in events if e is not None]
        if not events or events[0].get("event") != "start":
            raise JournalError(
                f"{path} does not begin with a start event: it is not a journal this version "
                "wrote, or its first line was lost; start the run again in a new folder"
            )
        if len(good) != len(raw):
            with open(path, "r+b") as f:
                f.truncate(len(good))
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

    def append_trial(self, rec: Any, history: list[dict[str, Any]] | None = None) -> None:
        """The ``trial`` event of a finished trial (``rec``: a runner ``TrialRecord``)."""
        metrics = dict(rec.metrics)
        if self._aside is not None:
            self._put_aside(rec, metrics.pop(self._aside[0], None))
        self.append(
            "trial",
            trial_id=rec.trial_id,
            status=rec.status,
            score=rec.score,
            metrics=metrics,
            error=rec.error,
            node=rec.node,
            seed=rec.seed,
            params=rec.params,
            started_s=rec.started_s,
            finished_s=rec.finished_s,
            attempts=rec.attempts,
            history=history or [],
        )

    # -- large per-trial values, kept for the best trials only --------------------------------

    def keep_aside(self, key: str, top_k: int, mode: str) -> None:
        """Keep ``metrics[key]`` (a string) of finished trials in a file of its own instead of
        the journal's line, and only for the ``top_k`` best ``ok`` trials by score in ``mode``
        ("max"/"min"); :func:`restore` puts it back into their metrics."""
        self._aside = (key, int(top_k), mode)
        kept = {int(p.stem) for p in self._aside_dir.glob("*.txt")}
        self._aside_kept = sorted(
            (self._loss(e["score"]), n)
            for n, e in self.finished().items()
            if n in kept and e.get("score") is not None
        )

    @property
    def _aside_dir(self) -> Path:
        return self.dir / STATE_DIR / ASIDE_DIR

    @property
    def aside_key(self) -> str | None:
        """The metrics key kept aside (:meth:`keep_aside`), if any."""
        return self._aside[0] if self._aside is not None else None

    def _loss(self, score: float) -> float:
        return -score if self._aside is not None and self._aside[2] == "max" else score

    def _put_aside(self, rec: Any, value: Any) -> None:
        if value is None or rec.status != "ok" or rec.score is None:
            return
        _, top_k, _ = self._aside
        entry = (self._loss(rec.score), rec.trial_id)
        if len(self._aside_kept) >= top_k and entry >= self._aside_kept[-1]:
            return  # not among the best: it cannot join the ensemble
        folder = self._aside_dir
        folder.mkdir(parents=True, exist_ok=True)
        # fsync'ed before the trial's line is written: a line never points to a lost value
        with open(folder / f"{rec.trial_id}.txt", "w", encoding="ascii") as f:
            f.write(str(value))
            f.flush()
            os.fsync(f.fileno())
        self._aside_kept.append(entry)
        self._aside_kept.sort()
        while len(self._aside_kept) > top_k:
            _, dropped = self._aside_kept.pop()
            (folder / f"{dropped}.txt").unlink(missing_ok=True)

    def aside(self, trial_id: int) -> str | None:
        """The value kept aside for ``trial_id`` (None if it was not, or no longer is)."""
        path = self._aside_dir / f"{trial_id}.txt"
        return path.read_text(encoding="ascii") if path.exists() else None

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
