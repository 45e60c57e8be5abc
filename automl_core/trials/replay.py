"""What a resumed run starts from: the strategy brought back to its state at the crash, the
trials to keep and to run again, and the saved experiment (see :mod:`.journal`)."""

from __future__ import annotations

import os
import pickle
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .journal import EXPERIMENT_FILE, STATE_DIR, Journal, normalise

__all__ = ["ResumeState", "load_experiment", "outcome_of", "restore", "save_experiment"]


def outcome_of(
    score: float | None, status: str, metrics: Mapping[str, Any], history: list[dict[str, Any]]
):
    """The :class:`~automl_core.search.strategies.base.Outcome` a strategy is told: the score, and the
    epochs the trial reached (``fidelity``, ``curve``) from its per-epoch ``score`` rows."""
    from ..search.strategies.base import Outcome

    curve = {h["epoch"]: h["value"] for h in history or () if h.get("metric") == "score"}
    curve = {e: v for e, v in curve.items() if isinstance(e, (int, float))}
    fidelity = max(curve) if curve else None
    return Outcome(score, status, dict(metrics or {}), fidelity=fidelity, curve=curve)


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
            outcome = outcome_of(e.get("score"), e["status"], e["metrics"], e.get("history"))
            strategy.tell(str(e["trial_id"]), outcome)
    finished = {n: dict(e) for n, e in journal.finished().items()}
    if journal.aside_key is not None:  # the values kept aside go back into their trials' rows
        for n, e in finished.items():
            value = journal.aside(n)
            if value is not None:
                e["metrics"] = {**e["metrics"], journal.aside_key: value}
    asked = journal.asked()
    rerun = [(n, asked[n]["params"], asked[n]["seed"]) for n in sorted(asked) if n not in finished]
    return ResumeState(
        finished=finished,
        rerun=rerun,
        next_id=max(asked, default=-1) + 1,
        elapsed_s=journal.elapsed_s(),
        complete=journal.complete,
    )


def cloudpickler():
    """cloudpickle (functions defined in ``__main__`` or a notebook pickle by value)."""
    try:
        import cloudpickle
    except ImportError:  # joblib, a dependency, vendors it
        from joblib.externals import cloudpickle
    return cloudpickle


def save_experiment(directory: str | Path, payload: dict[str, Any]) -> None:
    """Write what :func:`automl_core.experiment.resume` needs to start the run again."""
    target = Path(directory) / STATE_DIR / EXPERIMENT_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        cloudpickler().dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, target)


def load_experiment(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / STATE_DIR / EXPERIMENT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the run cannot be started again")
    with open(path, "rb") as f:
        return pickle.load(f)
