"""The thread executor: the trial engine's trials on threads of the calling process.

Why: memory. Every process that imports pandas, scikit-learn and the trial objective holds
about 200 MB RSS before it holds any data (measured here, ``benchmarks/RESULTS.md``, issue 16).
The warm local pool's driver and two workers peaked at 770-1090 MB on the 12 benchmark tables,
where AutoGluon, one process, peaked at 300-360 MB on the small ones. Threads share the driver's
imports and its table: nothing is copied or pickled.

Why threads still run side by side: the fitting loops of scikit-learn's trees and forests, its
histogram gradient boosting, LightGBM, XGBoost, CatBoost and torch release the GIL; the Python
between them (cleaning, scoring) does not, which is the price against the pool.

What it gives up against the pool (so the rule in :mod:`.executors` sends such runs there):

- no per-trial memory cap (``RLIMIT_DATA`` is per process: it would cap the user's process);
- a trial stuck in one C call past its time limit cannot be ended. The watchdog's exception
  lands at the next Python bytecode (:mod:`.limits`); until then the thread is left to finish
  by itself (a daemon thread), the run goes on and ends on time, and its CPU stays busy until
  the call returns. :func:`run_threads` says so by returning True, and the interpreter waits
  for such a thread at exit (at most :data:`EXIT_WAIT_S`), since one ended inside C code
  while the interpreter finalizes can crash the process.

One BLAS/OpenMP thread per trial: the BLAS limit is per process, so it is set once for the run;
OpenMP's is per thread, so each trial's thread sets its own (without it, measured here: two
trial threads running OpenMP fits with two threads each made trials about 3x slower).
"""

from __future__ import annotations

import atexit
import queue
import threading
import time
from typing import Any

from .engine import FINISHED, Attempt, TrialEngine
from .limits import STOP_GRACE_S, STOP_POLL_S, default_grace_s
from .worker import TrialContext, run_objective

__all__ = ["fit_all", "is_trial_thread", "run_threads"]

#: a trial's thread is named this plus its trial id ("automl-trial-7")
TRIAL_THREAD_PREFIX = "automl-trial-"

#: the most the interpreter waits at exit for trial threads left inside a C call (seconds)
EXIT_WAIT_S = 60.0
#: trial threads left running by a run, joined at exit (see :func:`_wait_at_exit`)
_LEFT_AT_EXIT: list[threading.Thread] = []
#: glibc's malloc_trim once looked up (False: this C library has none)
_MALLOC_TRIM: list[Any] = [None]


def _trial(objective: Any, rec: Any, engine: TrialEngine, stop: threading.Event, out) -> None:
    """One trial on this thread; puts ``(trial_id, Attempt)`` on ``out``, always."""
    from threadpoolctl import threadpool_limits

    attempt = Attempt("died", error="the trial's thread ended without a result")
    try:
        # OpenMP's thread count is per calling thread (a new thread starts from the process
        # default, all the cores): set here, not only by the run's process-wide limit
        threadpool_limits(1, user_api="openmp")
        ctx = TrialContext(rec.trial_id, rec.seed, cpus=1, gpus=0.0)
        metrics, score, status, error = run_objective(
            objective,
            rec.params,
            ctx,
            engine.trial_timeout_s,
            None,  # no memory cap in a shared process (module docstring)
            stop_check=stop.is_set,
            exit_when_stuck=False,
        )
        attempt = Attempt("result", status=status, score=score, metrics=metrics, error=error)
    except BaseException as exc:  # noqa: BLE001 - a late TrialTimeout: the row says what ended it
        attempt = Attempt("died", error=f"the trial's thread ended: {type(exc).__name__}: {exc}")
    finally:
        _release_free_memory()
        out.put((rec.trial_id, attempt))


def _release_free_memory() -> None:
    """Hand the heap's free pages back to the system after a trial (glibc's ``malloc_trim``).

    Why: the trials' threads allocate from several malloc arenas, which keep what a finished
    trial freed; the process's resident size then climbs trial after trial. Measured on the
    churn table at 30 s (2026-11-29): peak RSS 348 MB without, 303 MB with, the trial count
    unchanged. A no-op where the C library has no ``malloc_trim`` (not glibc).
    """
    trim = _MALLOC_TRIM[0]
    if trim is None:
        import ctypes
        import ctypes.util

        try:
            trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            trim = False
        _MALLOC_TRIM[0] = trim
    if trim:
        trim(0)


def run_threads(objective: Any, engine: TrialEngine, *, workers: int) -> bool:
    """Run ``engine``'s trials of ``objective`` on ``workers`` threads of this process until
    the engine has no more or its search end passes. Returns whether a trial was still running
    after the stop (a thread left to finish one C call). Ctrl-C raises
    :class:`~.journal.ExperimentInterrupted` with what finished kept."""
    run = _Run(objective, engine, workers)
    limits = _one_thread_each()
    end, interrupted, stuck = None, False, False
    try:
        end = run.loop()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        run.stop.set()  # running trials see it within STOP_POLL_S and end ("cancelled")
        engine.stopping = True
        stuck = run.wind_down()
        engine.close(end, interrupted=interrupted)
        limits.restore_original_limits()
    if interrupted:
        raise engine.interrupted_error()
    return stuck


def _one_thread_each():
    """One BLAS/OpenMP thread for every trial thread. The limit is per process, so it is set
    for the run and restored after; unlike the pool's :func:`.worker.pin_threads` it leaves the
    environment (``OMP_NUM_THREADS``...) alone, which is the user's here."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


class _Run:
    """The trials of one run on threads: which run, since when, and which were left stuck."""

    def __init__(self, objective: Any, engine: TrialEngine, workers: int):
        self.objective = objective
        self.engine = engine
        self.workers = workers
        self.stop = threading.Event()
        self.results: queue.Queue = queue.Queue()
        self.running: dict[int, tuple[threading.Thread, float]] = {}  # id -> (thread, start)
        #: threads given up on (stuck in one C call past their limit): each holds a CPU
        self.left_stuck: list[threading.Thread] = []
        timeout = engine.trial_timeout_s
        #: past this, a trial the watchdog could not interrupt is recorded as a timeout
        self.give_up_s = None if not timeout else timeout + default_grace_s(timeout)

    def slots(self) -> int:
        """Trials to run at once: one fewer for every stuck thread still busy (one at least)."""
        self.left_stuck = [t for t in self.left_stuck if t.is_alive()]
        return max(1, self.workers - len(self.left_stuck))

    def loop(self) -> str:
        """Start trials and collect them; returns why the search ended."""
        engine = self.engine
        while time.perf_counter() < engine.search_end():
            while len(self.running) < self.slots():
                rec = engine.next_trial()
                if rec is None or rec is FINISHED:
                    break
                thread = threading.Thread(
                    target=_trial,
                    args=(self.objective, rec, engine, self.stop, self.results),
                    name=f"{TRIAL_THREAD_PREFIX}{rec.trial_id}",
                    daemon=True,  # one stuck in a C call must not hold the interpreter at exit
                )
                self.running[rec.trial_id] = (thread, time.perf_counter())
                thread.start()
            if not self.running:
                return "done"
            wait = max(0.0, engine.search_end() - time.perf_counter())
            if self.give_up_s is not None:
                first = min(started for _, started in self.running.values())
                wait = min(wait, max(0.0, first + self.give_up_s - time.perf_counter()) + 0.05)
            try:
                n, attempt = self.results.get(timeout=min(wait, 3600.0))
            except queue.Empty:
                self.give_up_on_stuck()
                continue
            if self.running.pop(n, None) is not None:  # else: given up on before; dropped
                engine.finish(n, attempt)
        return "time budget"

    def give_up_on_stuck(self) -> None:
        """Record trials past their limit and grace as timeouts and free their slots: the
        watchdog's exception cannot reach a thread inside one C call, and the run must not wait
        for it (the thread finishes by itself; its late result is dropped)."""
        if self.give_up_s is None:
            return
        now = time.perf_counter()
        for n, (thread, started) in list(self.running.items()):
            if now - started >= self.give_up_s:
                del self.running[n]
                self.left_stuck.append(thread)
                timeout = self.engine.trial_timeout_s
                error = (
                    f"ran past its time limit of {timeout:g} s; stuck in a call the timeout "
                    "could not interrupt, its thread was left to finish by itself"
                )
                self.engine.finish(n, Attempt("result", status="timeout", error=error))

    def wind_down(self) -> bool:
        """Give running trials (told to stop) a grace to end; the engine keeps what finished.
        Returns whether one is still running (or one given up on earlier still is)."""
        until = time.perf_counter() + STOP_GRACE_S + STOP_POLL_S
        while self.running:
            left = until - time.perf_counter()
            if left <= 0:
                break
            try:
                n, attempt = self.results.get(timeout=left)
            except queue.Empty:
                break
            if self.running.pop(n, None) is not None:
                self.engine.finish(n, attempt)
        self.slots()  # forget the stuck threads that have returned
        left = [t for t, _ in self.running.values()] + self.left_stuck
        _wait_at_exit(left)
        return bool(left)


def is_trial_thread(thread: threading.Thread) -> bool:
    """Whether ``thread`` runs a trial (not the watchdog, "automl-trial-watchdog")."""
    rest = thread.name.removeprefix(TRIAL_THREAD_PREFIX)
    return rest != thread.name and rest.isdigit()


def _wait_at_exit(threads: list[threading.Thread]) -> None:
    """Have the interpreter wait (at most :data:`EXIT_WAIT_S`) for trial threads still inside a
    C call when it exits. Why: a daemon thread that comes back from C code while the interpreter
    finalizes is ended inside that code, which can crash the process (a segmentation fault at
    exit was seen once, after a run that left such a thread). ``atexit`` runs before daemon
    threads are stopped; the stop event is set, so each ends as soon as its call returns."""
    # threads that have ended since an earlier run left them need no join: dropped here, so
    # a process running many searches keeps only the threads still inside a call
    _LEFT_AT_EXIT[:] = [t for t in (*_LEFT_AT_EXIT, *threads) if t.is_alive()]


@atexit.register
def _join_left_threads() -> None:
    until = time.monotonic() + EXIT_WAIT_S
    for thread in _LEFT_AT_EXIT:
        thread.join(timeout=max(0.0, until - time.monotonic()))


def fit_all(pipelines, X, y, workers: int) -> list:
    """Fit ``pipelines`` on ``X``/``y`` side by side on ``workers`` threads, one BLAS/OpenMP
    thread each (see :func:`.local_pool.fit_all` for why one)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    def fit(pipeline):
        with threadpool_limits(1, user_api="openmp"):  # per thread (module docstring)
            return pipeline.fit(X, y)

    with _one_thread_each(), ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fit, pipelines))
