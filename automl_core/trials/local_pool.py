"""The warm local pool executor: the trial engine's trials on a reusable process pool.

Why not Ray Tune here: measured on these 2-core machines, every ``Tuner`` run starts fresh
trial actors, and their first trials began 13-16 s after the run did (load ~10; ~3 s idle) on
top of ``ray.init``. On the autopilot's 30 s budget that is half the budget. A reusable process
pool (joblib's loky) keeps its workers, with their imports done, between runs, and hands them a
trial in milliseconds. Which executor runs is :func:`automl_core.trials.executors.choose_executor`.

The objective is written once per run to a file the workers load and keep (not pickled per
trial). Limits are the same as on Ray (:func:`~.worker.run_objective`): a trial past
``trial_timeout_s`` gets ``TrialTimeout``, a worker stuck in one C call is ended after a grace
and the engine reads that death as "timeout"; ``memory_mb`` caps the worker's heap ("oom"). A
worker that dies otherwise is a crash the engine retries (``retries``); the pool is made anew.
The search's end may move earlier while it runs (the autopilot keeps back its refit time): a
stop file tells running trials to end (polled every :data:`.limits.STOP_POLL_S` s; they read
"cancelled").
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from .engine import FINISHED, Attempt, TrialEngine
from .limits import STOP_GRACE_S
from .worker import TrialContext, pin_threads, run_objective

__all__ = ["executor", "fit_all", "kill_workers", "run_local", "warm_up"]

#: objectives loaded in this worker process, by run key (one run at a time: the last one)
_LOADED: dict[str, Any] = {}
#: seconds an idle pool worker lives on, so the next run in this process finds it warm
IDLE_WORKER_S = 600
#: the pool :func:`executor` handed out last (the one :func:`kill_workers` ends)
_POOL: list[Any] = [None]


def executor(workers: int):
    """The reusable pool (created on first use, kept warm between runs; made anew when a
    worker died and broke it)."""
    from joblib.externals.loky import get_reusable_executor

    pool = get_reusable_executor(max_workers=workers, timeout=IDLE_WORKER_S, reuse=True)
    _POOL[0] = pool
    return pool


def warm_up(workers: int) -> None:
    """Start the workers and their imports now, while the driver still prepares the data."""
    pool = executor(workers)
    for _ in range(workers):
        pool.submit(_import_worker)


def _import_worker() -> None:
    import sklearn.ensemble  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import automl_core.autopilot.objective  # noqa: F401


def _trial(
    path: str,
    key: str,
    trial_id: int,
    params: dict,
    seed: int,
    timeout_s: float | None,
    memory_mb: float | None,
    stop_path: str,
):
    """Run one trial in a pool worker: ``(metrics, score, status, error)``, never raised."""
    if os.path.exists(stop_path):  # the search ended while this one queued
        return {}, float("nan"), "cancelled", "the search ended before it started"
    objective = _LOADED.get(key)
    if objective is None:
        import pickle

        with open(path, "rb") as f:
            objective = pickle.load(f)
        _LOADED.clear()
        _LOADED[key] = objective
    ctx = TrialContext(trial_id, seed, cpus=1, gpus=0.0)
    with pin_threads(1):
        return run_objective(
            objective,
            params,
            ctx,
            timeout_s,
            memory_mb,
            stop_check=lambda: os.path.exists(stop_path),
        )


def _fit(pipeline, X, y):
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return pipeline.fit(X, y)


def fit_all(pipelines, X, y, workers: int) -> list:
    """Fit ``pipelines`` on ``X``/``y`` side by side on the pool, one thread each.

    One thread per fit: under load, OpenMP (gradient boosting) with several threads per fit
    was measured up to 10x slower here than the same fit on one thread.
    """
    pool = executor(workers)
    futures = [pool.submit(_fit, p, X, y) for p in pipelines]
    return [f.result() for f in futures]


def _attempt(fut) -> Attempt:
    try:
        metrics, score, status, error = fut.result()
    except Exception as exc:  # the worker died (killed, out of memory, ended by the watchdog)
        return Attempt("died", error=f"the pool's worker process died: {type(exc).__name__}: {exc}")
    return Attempt("result", status=status, score=score, metrics=metrics, error=error)


def run_local(objective: Any, engine: TrialEngine, *, workers: int) -> bool:
    """Run ``engine``'s trials of ``objective`` on the pool, ``workers`` at a time, until the
    engine has no more or its search end passes. Returns whether a worker is still stuck in a
    trial after the stop (then call :func:`kill_workers`). Ctrl-C raises
    :class:`~.journal.ExperimentInterrupted` with what finished kept."""
    from .replay import cloudpickler

    key = uuid.uuid4().hex
    fd, path = tempfile.mkstemp(prefix="automl_pool_", suffix=".pkl")
    stop_path = path + ".stop"
    with os.fdopen(fd, "wb") as f:  # cloudpickle: a function from __main__ or a notebook too
        cloudpickler().dump(objective, f)
    running: dict[Any, int] = {}
    stuck, end, interrupted = False, None, False
    try:
        end = _loop(engine, running, workers, (path, key, stop_path))
    except KeyboardInterrupt:
        interrupted = True
    finally:
        with open(stop_path, "w"):
            pass  # running trials see it within limits.STOP_POLL_S and end
        engine.stopping = True
        stuck = _stop(engine, running)
        engine.close(end, interrupted=interrupted)
        for p in (path, stop_path):
            try:
                os.unlink(p)
            except OSError:
                pass
    if interrupted:
        raise engine.interrupted_error()
    return stuck


def _loop(engine: TrialEngine, running: dict, workers: int, run: tuple) -> str:
    """Hand out trials and collect them; returns why the search ended."""
    path, key, stop_path = run
    while time.perf_counter() < engine.search_end():
        while len(running) < workers:
            rec = engine.next_trial()
            if rec is None or rec is FINISHED:
                break
            fut = executor(workers).submit(
                _trial,
                path,
                key,
                rec.trial_id,
                rec.params,
                rec.seed,
                engine.trial_timeout_s,
                engine.memory_mb,
                stop_path,
            )
            running[fut] = rec.trial_id
        if not running:
            return "done"
        left = max(0.0, engine.search_end() - time.perf_counter())
        done, _ = wait(list(running), timeout=min(left, 3600.0), return_when=FIRST_COMPLETED)
        for fut in done:
            engine.finish(running.pop(fut), _attempt(fut))
    return "time budget"


def kill_workers() -> None:
    """End the pool's workers now (one stuck in a long C call would hold a CPU and delay the
    next run). Not through ``get_reusable_executor()``: called with other arguments than the
    pool's, it shuts the pool down *waiting* for the stuck call (measured: 99 s)."""
    pool, _POOL[0] = _POOL[0], None
    if pool is not None:
        pool.shutdown(wait=False, kill_workers=True)


def _stop(engine: TrialEngine, running: dict) -> bool:
    """Cancel what has not started; give running trials (told to stop) a grace to end; the
    engine keeps what finished. Returns whether one is still running."""
    for fut in list(running):
        if fut.cancel():
            running.pop(fut)
    if not running:
        return False
    done, still = wait(list(running), timeout=STOP_GRACE_S)
    for fut in done:  # ended in time, by its cap or with a result
        engine.finish(running.pop(fut), _attempt(fut))
    return bool(still)
