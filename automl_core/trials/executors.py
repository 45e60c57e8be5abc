"""Which executor runs a search, and the one call that runs it.

The rule (:func:`choose_executor`): Ray Tune schedules configured experiments, every run with
a scheduler (ASHA, HyperBand), with GPUs, or on a cluster (an ``address``); threads of this
process run the autopilot on one machine (:mod:`.threads`: Ray Tune's actor start-up would eat
a short budget, and a process per trial its own copy of the imports), the warm local pool
(:mod:`.local_pool`) when ``memory_mb`` caps each trial. ``executor="ray"``, ``"local"`` or
``"threads"`` chooses explicitly (``[resources] executor``, ``ac.tune(executor=...)``); the
local executors refuse what they cannot do (a scheduler, GPUs, a cluster; threads also a
memory cap) with a clear error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import TrialEngine

__all__ = ["EXECUTORS", "ExecutorSettings", "choose_executor", "run_trials"]

EXECUTORS = ("auto", "ray", "local", "threads")


@dataclass
class ExecutorSettings:
    """Where and how the trials run (the ``resources`` of a config, and the cluster)."""

    executor: str = "auto"
    cpu: float = 1
    gpu: float = 0
    address: str | None = None
    scheduler: Any = None
    max_concurrent: int | None = None
    required_kinds: Mapping[str, Sequence[str]] | None = None
    #: the local pool's size (default: the CPUs this process may use)
    workers: int | None = None
    #: the run is the autopilot (the only one the local executors take by default)
    autopilot: bool = False
    #: the per-trial memory cap (MiB): a process of its own per trial, so not ``"threads"``
    memory_mb: float | None = None


def choose_executor(s: ExecutorSettings) -> str:
    """``"ray"`` or ``"local"`` for these settings (see the module docstring)."""
    if s.executor not in EXECUTORS:
        raise ValueError(f"executor: must be one of {EXECUTORS}, got {s.executor!r}")
    needs_ray = [
        why
        for why, yes in (
            ("a scheduler", _has_scheduler(s.scheduler)),
            ("GPUs", bool(s.gpu)),
            ("a cluster address", s.address is not None),
        )
        if yes
    ]
    if s.executor in ("local", "threads"):
        what = "the local pool" if s.executor == "local" else "the thread executor"
        if s.executor == "threads" and s.memory_mb:
            needs_ray.append("a per-trial memory cap (memory_mb)")
        if needs_ray:
            raise ValueError(
                f"executor: {what} cannot run {' and '.join(needs_ray)}; use "
                "executor = 'ray' (or 'auto')"
            )
        return s.executor
    if s.executor == "ray" or needs_ray or not s.autopilot:
        return "ray"
    return "local" if s.memory_mb else "threads"


def _has_scheduler(scheduler: Any) -> bool:
    """A scheduler config, dict or kind other than "none"."""
    if scheduler is None:
        return False
    kind = (
        scheduler.get("kind")
        if isinstance(scheduler, dict)
        else getattr(scheduler, "kind", scheduler)
    )
    return kind not in (None, "none")


def cpu_count() -> int:
    """The CPUs this process may use."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_trials(objective: Any, engine: TrialEngine, settings: ExecutorSettings) -> bool:
    """Run the engine's search on the chosen executor; returns whether a local worker is
    still stuck in a trial (see :func:`.local_pool.kill_workers`).

    A resumed engine (:meth:`TrialEngine.restore`) that has nothing left to do only closes.
    """
    state = engine.resumed
    if state is not None:
        if state.complete:
            engine.close(None)
            return False
        if engine.expired():
            engine.close("time budget")
            return False
        if engine.nothing_left():
            engine.close("done")
            return False
        if engine.journal is not None:
            engine.journal.append(
                "resume",
                done=len(state.finished),
                rerun=[n for n, _, _ in state.rerun],
                remaining_s=None if not engine.deadline.bounded else engine.deadline.left(),
            )
    chosen = choose_executor(settings)
    if chosen in ("local", "threads"):
        workers = settings.workers or cpu_count()
        if settings.max_concurrent:
            workers = min(workers, settings.max_concurrent)
        if chosen == "threads":
            from .threads import run_threads

            return run_threads(objective, engine, workers=max(1, workers))
        from .local_pool import run_local

        return run_local(objective, engine, workers=max(1, workers))
    from ..runner.search import run_on_ray

    run_on_ray(
        objective,
        engine,
        cpu=settings.cpu,
        gpu=settings.gpu,
        address=settings.address,
        scheduler=settings.scheduler,
        max_concurrent=settings.max_concurrent,
        required_kinds=settings.required_kinds,
    )
    return False
