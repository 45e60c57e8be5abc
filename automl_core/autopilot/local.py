"""The autopilot's executor on one machine: a warm process pool, one trial per CPU.

Why not Ray Tune here: measured on these 2-core machines, every ``Tuner`` run starts fresh
trial actors, and their first trials began 13-16 s after the run did (load ~10; ~3 s idle) on
top of ``ray.init``. On a 30 s budget that is half the budget. A reusable process pool (joblib's
loky) keeps its workers, with their imports done, between runs, and hands them a trial in
milliseconds. The cluster case (an ``address``) still goes through the runner and Ray.

The data is written once per run to a file the workers load and keep (not pickled per trial).
A trial past its time cap gets ``TrialTimeout`` from a ``SIGALRM`` in the worker (it lands at
the next Python bytecode: between boosting rounds, trees, folds); a worker stuck in one long C
call is killed when the search ends, so the run never waits for it. The search's deadline may
move earlier while it runs (the driver keeps back the refit time of the best trial so far): the
alarm also fires every :data:`STOP_POLL_S` seconds and ends the trial once the driver has
written its stop file, so running trials end at the search's end, not at their own cap.
"""

from __future__ import annotations

import math
import os
import signal
import tempfile
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from typing import Any

from ..journal import normalise
from ..runner.limits import TrialTimeout
from ..runner.records import Recorder, TrialRecord
from ..seeds import derive_seed
from ..strategies.base import Outcome, Strategy

__all__ = ["executor", "fit_all", "kill_workers", "run_local", "warm_up"]

#: objectives loaded in this worker process, by run key (one run at a time: the last one)
_LOADED: dict[str, Any] = {}
#: seconds an idle pool worker lives on, so the next run in this process finds it warm
IDLE_WORKER_S = 600
#: the pool :func:`executor` handed out last (the one :func:`kill_workers` ends)
_POOL: list[Any] = [None]
#: how often a running trial looks for the driver's stop file (seconds)
STOP_POLL_S = 0.25


def executor(workers: int):
    """The reusable pool (created on first use, kept warm between runs)."""
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


class _Context:
    """What an objective gets besides its params (the runner's TrialContext, without Ray)."""

    def __init__(self, trial_id: int, seed: int):
        self.trial_id = trial_id
        self.seed = seed
        self.cpus = 1
        self.gpus = 0.0
        self.epoch = 0

    def report(self, epoch: int | None = None, **metrics: float) -> None:
        self.epoch = self.epoch + 1 if epoch is None else int(epoch)


@contextmanager
def _alarm(timeout_s: float | None, stop_path: str | None = None):
    """``TrialTimeout`` once ``timeout_s`` has passed or ``stop_path`` exists (polled)."""
    if not timeout_s or threading.current_thread() is not threading.main_thread():
        yield
        return
    end = time.monotonic() + timeout_s

    def fire(signum, frame):
        if time.monotonic() >= end - 1e-3 or (stop_path and os.path.exists(stop_path)):
            raise TrialTimeout

    old = signal.signal(signal.SIGALRM, fire)
    first = min(timeout_s, STOP_POLL_S) if stop_path else timeout_s
    signal.setitimer(signal.ITIMER_REAL, first, STOP_POLL_S if stop_path else 0.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _trial(
    path: str,
    key: str,
    trial_id: int,
    params: dict,
    seed: int,
    timeout_s: float | None,
    stop_path: str | None = None,
):
    """Run one trial in a pool worker; every outcome is returned, never raised."""
    from threadpoolctl import threadpool_limits

    if stop_path and os.path.exists(stop_path):  # the search ended while this one queued
        return "cancelled", float("nan"), {}, "the search ended before it started", 0.0
    objective = _LOADED.get(key)
    if objective is None:
        import joblib

        objective = joblib.load(path)
        _LOADED.clear()
        _LOADED[key] = objective
    t0 = time.perf_counter()
    try:
        with threadpool_limits(1), _alarm(timeout_s, stop_path):
            out = objective(params, _Context(trial_id, seed))
        value = float(out.pop("score"))
        status, error = ("ok", None) if math.isfinite(value) else ("failed", "the score is NaN")
    except TrialTimeout:
        out, value, status = {}, float("nan"), "timeout"
        error = f"ran past its time limit of {timeout_s:g} s"
        if stop_path and os.path.exists(stop_path) and time.perf_counter() - t0 < timeout_s:
            status, error = "cancelled", "the run's time budget ended first"
    except Exception as exc:  # a failing trial is a failed row; the run goes on
        out, value, status = {}, float("nan"), "failed"
        error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}"
    return status, value, out, error, time.perf_counter() - t0


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


def run_local(
    objective: Any,
    strategy: Strategy,
    space,
    *,
    deadline: float | Callable[[Recorder], float],
    workers: int,
    seed: int,
    n_trials: int | None = None,
    trial_timeout_s: float | None = None,
    progress: Any = None,
    mode: str = "max",
    journal: Any = None,
    resume: Any = None,
) -> tuple[Recorder, bool]:
    """Ask/tell ``strategy`` over ``objective`` on the pool until ``deadline`` (perf_counter).

    ``deadline`` may be a function of the records so far, asked again after every finished
    trial (it may move earlier: the time kept back for the refit of the best trial). Trials still
    running at the deadline are told to stop (stop file) and recorded as "cancelled". Returns
    the records and whether a worker is still stuck in a trial (then call
    :func:`kill_workers`). ``progress`` (a :class:`~automl_core.progress.Progress`) shows each
    finished trial and the best so far for ``mode``.

    With a ``journal`` (:mod:`automl_core.journal`) each ask, launch and finished trial is
    logged and the strategy snapshotted, as the runner does; given ``resume`` (a
    :class:`~automl_core.journal.ResumeState`, the strategy already restored), the finished
    trials are kept, those that were running run first again with their ids, params and seeds,
    and ``n_trials`` counts the whole experiment. An ``end`` event marks the search done.
    """
    import joblib

    recorder = Recorder()
    rerun: deque[int] = deque()
    asked = 0
    if resume is not None:
        rerun.extend(recorder.restore(resume))
        asked = resume.next_id
        if resume.complete:  # the search had ended: only what follows it is left
            return recorder, False
        if journal is not None:
            journal.append("resume", done=len(resume.finished), rerun=list(rerun))
    key = uuid.uuid4().hex
    fd, path = tempfile.mkstemp(prefix="automl_autopilot_", suffix=".joblib")
    os.close(fd)
    stop_path = path + ".stop"
    joblib.dump(objective, path)

    def until() -> float:
        return deadline(recorder) if callable(deadline) else deadline

    pool = executor(workers)
    running: dict[Any, int] = {}
    stuck = False
    ended = None  # why the search ended, once it did (not on an exception)
    try:
        while time.perf_counter() < until():
            while len(running) < workers and (rerun or n_trials is None or asked < n_trials):
                if rerun:  # handed out before the driver died: the same trial again
                    rec = recorder.trials[rerun.popleft()]
                else:
                    point = strategy.ask(str(asked))
                    if point is None:
                        n_trials = asked
                        break
                    params = space.with_constants(point)
                    trial_seed = derive_seed(seed, "trial", asked)
                    rec = TrialRecord(asked, params, seed=trial_seed, attempts=0)
                    recorder.add(rec)
                    asked += 1
                    if journal is not None:
                        journal.append(
                            "ask",
                            trial_id=rec.trial_id,
                            point=normalise(point),
                            params=normalise(rec.params),
                            seed=rec.seed,
                        )
                        journal.save_strategy(strategy.state_dict(), next=asked)
                rec.status, rec.started_s = "running", recorder.now()
                rec.attempts += 1
                if journal is not None:
                    journal.append("launch", trial_id=rec.trial_id, attempt=rec.attempts)
                # a trial also ends at the deadline by itself, so the pool stays warm for the
                # refit (killing a busy worker costs a restart of a few seconds)
                cap = max(0.1, until() - time.perf_counter())
                cap = min(cap, trial_timeout_s) if trial_timeout_s else cap
                fut = pool.submit(
                    _trial, path, key, rec.trial_id, rec.params, rec.seed, cap, stop_path
                )
                running[fut] = rec.trial_id
            if not running:
                ended = "done"
                break
            left = max(0.0, until() - time.perf_counter())
            done, _ = wait(list(running), timeout=left, return_when=FIRST_COMPLETED)
            for fut in done:
                _finish(recorder, strategy, running.pop(fut), fut, journal, asked)
            if done and progress is not None:
                progress.show(recorder, mode)
        else:
            ended = "time budget"
    finally:
        with open(stop_path, "w"):
            pass  # running trials see it within STOP_POLL_S and end
        stuck = _stop(running, recorder, strategy, journal, asked)
        if journal is not None:
            if ended is not None:
                cancelled = [n for n, r in recorder.trials.items() if r.status == "cancelled"]
                journal.append("end", reason=ended, cancelled=cancelled)
            journal.close()
        if progress is not None:
            progress.show(recorder, mode, final=True)
        for p in (path, stop_path):
            try:
                os.unlink(p)
            except OSError:
                pass
    return recorder, stuck


def kill_workers() -> None:
    """End the pool's workers now (one stuck in a long C call would hold a CPU and delay the
    next run). Not through ``get_reusable_executor()``: called with other arguments than the
    pool's, it shuts the pool down *waiting* for the stuck call (measured: 99 s)."""
    pool, _POOL[0] = _POOL[0], None
    if pool is not None:
        pool.shutdown(wait=False, kill_workers=True)


def _finish(recorder: Recorder, strategy: Strategy, n: int, fut, journal=None, asked=0) -> None:
    """Record trial ``n``'s outcome, journal it, tell the strategy, snapshot it (the order
    :func:`automl_core.journal.restore` replays)."""
    rec = recorder.trials[n]
    rec.finished_s = recorder.now()
    try:
        status, value, out, error, _ = fut.result()
    except Exception as exc:  # the worker died (killed, out of memory)
        status, value, out, error = "failed", float("nan"), {}, f"worker died: {exc}"
    rec.status, rec.metrics, rec.error = status, out, error
    rec.score = value if status == "ok" else None
    if journal is not None:
        journal.append_trial(rec)
    strategy.tell(str(n), Outcome(rec.score, status, out))
    if journal is not None:
        journal.save_strategy(strategy.state_dict(), next=asked)


def _stop(running: dict, recorder: Recorder, strategy: Strategy, journal=None, asked=0) -> bool:
    """Cancel what has not started; give running trials (told to stop) 2 s to end.
    Returns whether one is still running."""
    for fut in list(running):
        if fut.cancel():
            recorder.trials[running.pop(fut)].status = "cancelled"
    if not running:
        return False
    done, still = wait(list(running), timeout=2.0)
    for fut in done:  # ended in time, by its cap or with a result
        _finish(recorder, strategy, running.pop(fut), fut, journal, asked)
    for n in running.values():
        rec = recorder.trials[n]
        rec.status = "cancelled"
        rec.error = "the run's time budget ended first"
    return bool(still)
