"""Resuming an experiment from its results folder: ``ac.resume(dir)`` / ``automl resume DIR``.

A run given a results folder keeps a journal there (:mod:`automl_core.trials.journal`). After
the driver died (``SIGKILL``, a lost machine) or was stopped (Ctrl-C), :func:`resume` starts the
same experiment again from the folder: finished trials are kept and never run again, the
strategy continues from its saved state, trials that were running run again with the same id,
params and seed, and the run stops when the table holds the requested number of trials (or the
rest of the time budget is spent: the budget counts every process). Resuming a finished
experiment only rebuilds its results (a finished autopilot run's are read back as saved: its
refit is not redone). A folder whose run is still alive is refused
(:class:`~automl_core.trials.lock.FolderInUse`), before anything in it is read or changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..trials.deadline import Deadline
from ..trials.journal import ExperimentInterrupted, Journal, has_journal
from ..trials.lock import FolderLock
from ..trials.replay import load_experiment

__all__ = ["resume", "ExperimentInterrupted", "has_journal"]


def resume(
    results_dir: str | Path,
    *,
    address: str | None = None,
    show_progress: bool = True,
    objective: Callable | None = None,
):
    """Finish the experiment whose results folder is ``results_dir``; return its Results.

    ``address`` runs the rest on another Ray cluster than the one saved. ``objective`` is
    needed only for an ``ac.tune`` run whose function could not be saved (a lambda closing
    over unpicklable state); a warning at its start said so.
    """
    started = time.perf_counter()
    d = Path(results_dir)
    if not has_journal(d):
        Journal.open(d)  # raises the "not a results folder that can be resumed" error
    lock = FolderLock(d).acquire("resume it")
    try:
        journal = Journal.open(d)
        saved = load_experiment(d)
        # the budget counts every process: what the earlier ones used is spent
        spent = journal.header.get("setup_s", 0.0) + journal.elapsed_s()
        budget = saved.get("time_budget_s")
        if saved["kind"] == "tune":
            budget = saved["kwargs"].get("time_budget_s")
        deadline = Deadline(budget, started, spent_s=spent)
        kind = saved["kind"]
        if kind == "tune":
            return _resume_tune(
                saved, d, journal, lock, deadline, address, show_progress, objective
            )
        if kind not in ("run", "autopilot"):
            raise ValueError(f"{d}: unknown experiment kind {kind!r}")
        if kind == "autopilot" and journal.complete and (d / "info.json").exists():
            # searched, refit and saved: its refit used the time its budget allowed then, so it
            # is kept, not redone
            from ..results import Results

            return Results.load(d)
        return _resume_run(saved, d, journal, lock, deadline, address, show_progress)
    finally:
        lock.release()


def _resume_run(saved, d, journal, lock, deadline, address, show_progress):
    from ..config import parse_config
    from .configured import ConfiguredSearch
    from .lifecycle import Experiment, run_experiment

    update: dict[str, Any] = {"results_dir": str(d)}  # the folder may have moved
    if address is not None:
        update["address"] = address
    cfg = parse_config(saved["config"]).model_copy(update=update)
    exp = Experiment(cfg, saved["X"], saved["y"], dict(saved["info"]), deadline)
    search_cls = ConfiguredSearch
    if saved["kind"] == "autopilot":
        from ..autopilot.run import AutopilotSearch

        exp.autopilot, exp.trials, search_cls = True, saved.get("trials"), AutopilotSearch
    return run_experiment(exp, search_cls, show_progress=show_progress, journal=journal, lock=lock)


def _resume_tune(saved, d, journal, lock, deadline, address, show_progress, objective):
    from .tuning import run_tune

    fn = objective or saved.get("objective")
    if fn is None:
        raise ValueError(
            f"{d}: this ac.tune run's objective could not be saved; pass it again: "
            "ac.resume(dir, objective=my_function)"
        )
    kwargs = dict(saved["kwargs"])
    kwargs.setdefault("executor", "auto")
    if address is not None:
        kwargs["address"] = address
    return run_tune(
        fn,
        saved["space"],
        kwargs,
        deadline=deadline,
        show_progress=show_progress,
        results_dir=d,
        journal=journal,
        lock=lock,
    )
