"""The autopilot's executor on one machine: a warm process pool, one trial per CPU.

Why not Ray Tune here: measured on these 2-core machines, every ``Tuner`` run starts fresh
trial actors, and their first trials began 13-16 s after the run did (load ~10; ~3 s idle) on
top of ``ray.init``. On a 30 s budget that is half the budget. A reusable process pool (joblib's
loky) keeps its workers, with their imports done, between runs, and hands them a trial in
milliseconds. The cluster case (an ``address``) still goes through the runner and Ray.

The data is written once per run to a file the workers load and keep (not pickled per trial).
A trial past its time cap gets ``TrialTimeout`` from a ``SIGALRM`` in the worker (it lands at
the next Python bytecode: between boosting rounds, trees, folds); a worker stuck in one long C
call is killed when the run ends, so the run never waits for it.
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
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from typing import Any

from ..runner.limits import TrialTimeout
from ..runner.records import Recorder, TrialRecord
from ..seeds import derive_seed
from ..strategies.base import Outcome, Strategy

__all__ = ["executor", "fit_all", "kill_workers", "run_local", "warm_up"]

#: objectives loaded in this worker process, by run key (one run at a time: the last one)
_LOADED: dict[str, Any] = {}
#: seconds an idle pool worker lives on, so the next run in this process finds it warm
IDLE_WORKER_S = 600


def executor(workers: int):
    """The reusable pool (created on first use, kept warm between runs)."""
    from joblib.externals.loky import get_reusable_executor

    return get_reusable_executor(max_workers=workers, timeout=IDLE_WORKER_S, reuse=True)


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
def _alarm(timeout_s: float | None):
    if not timeout_s or threading.current_thread() is not threading.main_thread():
        yield
        return

    def fire(signum, frame):
        raise TrialTimeout

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _trial(path: str, key: str, trial_id: int, params: dict, seed: int, timeout_s: float | None):
    """Run one trial in a pool worker; every outcome is returned, never raised."""
    from threadpoolctl import threadpool_limits

    objective = _LOADED.get(key)
    if objective is None:
        import joblib

        objective = joblib.load(path)
        _LOADED.clear()
        _LOADED[key] = objective
    t0 = time.perf_counter()
    try:
        with threadpool_limits(1), _alarm(timeout_s):
            out = objective(params, _Context(trial_id, seed))
        value = float(out.pop("score"))
        status, error = ("ok", None) if math.isfinite(value) else ("failed", "the score is NaN")
    except TrialTimeout:
        out, value, status = {}, float("nan"), "timeout"
        error = f"ran past its time limit of {timeout_s:g} s"
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
    deadline: float,
    workers: int,
    seed: int,
    n_trials: int | None = None,
    trial_timeout_s: float | None = None,
) -> tuple[Recorder, bool]:
    """Ask/tell ``strategy`` over ``objective`` on the pool until ``deadline`` (perf_counter).

    Trials still running at the deadline are recorded as "cancelled". Returns the records and
    whether a worker is still stuck in a trial (then call :func:`kill_workers` once done).
    """
    import joblib

    recorder = Recorder()
    key = uuid.uuid4().hex
    fd, path = tempfile.mkstemp(prefix="automl_autopilot_", suffix=".joblib")
    os.close(fd)
    joblib.dump(objective, path)
    pool = executor(workers)
    running: dict[Any, int] = {}
    asked = 0
    stuck = False
    try:
        while time.perf_counter() < deadline:
            while len(running) < workers and (n_trials is None or asked < n_trials):
                point = strategy.ask(str(asked))
                if point is None:
                    n_trials = asked
                    break
                trial_seed = derive_seed(seed, "trial", asked)
                rec = TrialRecord(asked, space.with_constants(point), "running", seed=trial_seed)
                rec.started_s = recorder.now()
                recorder.add(rec)
                # a trial also ends at the deadline by itself, so the pool stays warm for the
                # refit (killing a busy worker costs a restart of a few seconds)
                cap = max(0.1, deadline - time.perf_counter())
                cap = min(cap, trial_timeout_s) if trial_timeout_s else cap
                fut = pool.submit(_trial, path, key, asked, rec.params, trial_seed, cap)
                running[fut] = asked
                asked += 1
            if not running:
                break
            left = max(0.0, deadline - time.perf_counter())
            done, _ = wait(list(running), timeout=left, return_when=FIRST_COMPLETED)
            for fut in done:
                _finish(recorder, strategy, running.pop(fut), fut)
    finally:
        stuck = _stop(running, recorder, strategy)
        try:
            os.unlink(path)
        except OSError:
            pass
    return recorder, stuck


def kill_workers() -> None:
    """End the pool's workers (one stuck in a long C call would delay the next run)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=False, kill_workers=True)


def _finish(recorder: Recorder, strategy: Strategy, n: int, fut) -> None:
    rec = recorder.trials[n]
    rec.finished_s = recorder.now()
    try:
        status, value, out, error, _ = fut.result()
    except Exception as exc:  # the worker died (killed, out of memory)
        status, value, out, error = "failed", float("nan"), {}, f"worker died: {exc}"
    rec.status, rec.metrics, rec.error = status, out, error
    rec.score = value if status == "ok" else None
    strategy.tell(str(n), Outcome(rec.score, status, out))


def _stop(running: dict, recorder: Recorder, strategy: Strategy) -> bool:
    """Cancel what has not started; give running trials (capped at the deadline) 2 s to end.
    Returns whether one is still running."""
    for fut in list(running):
        if fut.cancel():
            recorder.trials[running.pop(fut)].status = "cancelled"
    if not running:
        return False
    done, still = wait(list(running), timeout=2.0)
    for fut in done:  # ended in time, by its cap or with a result
        _finish(recorder, strategy, running.pop(fut), fut)
    for n in running.values():
        rec = recorder.trials[n]
        rec.status = "cancelled"
        rec.error = "the run's time budget ended first"
    return bool(still)
