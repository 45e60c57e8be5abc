"""Per-trial limits enforced inside the worker process: wall time and memory.

Time: Ray Tune runs a function trainable in a thread of the actor, and signals only reach the
main thread, so ``SIGALRM`` cannot interrupt it. A watchdog thread instead raises
:class:`TrialTimeout` in the trial's thread (``PyThreadState_SetAsyncExc``). That lands at the
next Python bytecode: it stops Python loops and code between library calls (the tree loop of a
forest, the epoch loop of a net), not one long C call. If the trial is still running
``grace_s`` later, the watchdog ends the worker process; the driver sees a dead worker past the
time limit and records "timeout" (see :mod:`automl_core.trials.engine`), not a crash to retry.
In the driver's own process (the thread executor, ``exit_when_stuck=False``) the watchdog does
not end the process: the trial's thread is left to return by itself and the executor moves on.
A ``stop_check`` (polled every ``poll_s``) ends the trial the same way when the run is over
(the local pool's stop file): the trial then reads "cancelled", not "timeout".

The exception would land at whatever bytecode the thread is at, and some code must not be cut
in two: the import system, finalizers (``__del__``), locks, queues and pools leave process-wide
state half-changed (a module broken for the rest of the process, a pool that hangs the next
fit; :data:`UNSAFE_MODULES`). So the watchdog looks first (``sys._current_frames``, the
trial's part of the stack) and raises only once the thread is out of such code; if it is still
there at the end of the grace, the trial is stuck. Libraries that call C through ``ctypes``
(their Python callbacks and handle bookkeeping are not in that list) fit inside
:func:`stoppable_call`, as the boosting plugin does, and the core builds each trial's pipeline
there. A library whose training loop is C++ and calls back into Python between steps (CatBoost)
is better asked than interrupted: inside :func:`stoppable_call` the watchdog raises nothing at the
limit; it sets a flag that the library's callback reads (``should_stop()``), the library ends its
loop and returns, and :class:`TrialTimeout` is raised when the block is left. Without it such a
fit runs on to its last round past the limit (no Python runs inside it for the exception to
land in), so its trial was often counted "stuck" and, on threads, left fitting beside the next
trials. With a callback but outside the block, the exception lands in CatBoost's callback
wrapper, which prints it as ignored and ends training as if done (checked with catboost 1.2.10:
101 of 3,000 rounds, no exception): the trial would go on with a cut-short model and read "ok".

Memory: ``RLIMIT_DATA`` (heap and private anonymous mappings, Linux >= 4.7) is set to what the
worker already uses plus the trial's allowance, so an allocation past it raises ``MemoryError``
inside the trial and the row reads "oom" while the worker lives on. ``RLIMIT_AS`` would also count
Ray's shared-memory object store mapping and thread stacks reservations, which are not the
trial's memory. The limit is per process: it bounds this trial's own growth, not loky children.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = [
    "STOP_GRACE_S",
    "STOP_POLL_S",
    "TIMEOUT_EXIT_CODE",
    "TrialLimits",
    "TrialTimeout",
    "default_grace_s",
    "stoppable_call",
]

#: exit status of a worker ended by the watchdog (visible in Ray's worker logs)
TIMEOUT_EXIT_CODE = 124
#: how often a running trial's watchdog asks ``stop_check`` whether the run has ended (seconds)
STOP_POLL_S = 0.25
#: seconds the local executors give running trials to end by themselves once told to stop
STOP_GRACE_S = 2.0


def default_grace_s(timeout_s: float | None) -> float:
    """Seconds a trial gets after its time limit's exception before it counts as stuck in one
    C call (the worker is ended; on threads the trial is given up on)."""
    return 2.0 + 0.05 * (timeout_s or 0)


class TrialTimeout(BaseException):
    """Raised in a trial's thread at its time limit.

    A ``BaseException`` (like ``KeyboardInterrupt``) so objective code that catches
    ``Exception`` per fold or per model does not swallow it and carry on.
    """


def _vm_data_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


#: the limits armed in this thread (None outside a trial), for :func:`stoppable_call`
_ARMED = threading.local()
#: modules whose code leaves process-wide state half-changed when an exception lands in it, so
#: the watchdog waits while the trial's thread runs any of them (see ``_in_unsafe_code``): the
#: import system (a module half-imported stays broken: ``KeyError: '__reduce_cython__'`` from
#: scikit-learn's compiled modules, ``NameError: base_events`` from asyncio, a segmentation fault
#: importing torch again) and locks, queues and pools (an exception inside joblib's thread-pool
#: start left the next HistGradientBoosting fit waiting forever).
UNSAFE_MODULES = (
    "importlib._bootstrap",
    "importlib._bootstrap_external",
    "threading",
    "queue",
    "multiprocessing",
    "concurrent.futures",
    "joblib._parallel_backends",
    "joblib.pool",
    "joblib.externals.loky",
)
#: how often the watchdog looks again while the trial's thread is in unsafe code (seconds)
UNSAFE_POLL_S = 0.005


@contextmanager
def stoppable_call() -> Iterator[Callable[[], bool]]:
    """Run one long library call that can stop itself between steps; yields ``should_stop``.

    Extension point for model plugins. Use::

        with stoppable_call() as should_stop:
            booster.fit(X, y, callbacks=[StopWhen(should_stop)])  # the library polls it

    Inside the block the trial's time limit (or the run's end) does not raise an exception
    into the call: ``should_stop()`` turns True, the library returns at its next step, and
    leaving the block raises :class:`TrialTimeout`, so the trial still reads "timeout" (or
    "cancelled"). If the call has not returned ``grace_s`` after the limit, the trial is
    stuck as before. Outside a trial (a refit, a user's own fit) ``should_stop()`` is False.

    Use it also where an exception must not land even for a call with no steps to poll
    (ignore ``should_stop``): code that calls C through ``ctypes`` and frees its handles in
    Python (LightGBM's and XGBoost's fits and predictions: an exception inside their callbacks
    or ``__del__`` corrupted the heap and killed the process), and first imports (the core
    builds each trial's pipeline inside it: an import cut short leaves a compiled module
    broken for the rest of the process).
    """
    limits = getattr(_ARMED, "limits", None)
    if limits is None:
        yield _never
        return
    with limits._lock:
        limits._cooperative += 1
    try:
        yield limits._asked.is_set
    finally:
        with limits._lock:
            limits._cooperative -= 1
            asked = limits._asked.is_set() and limits._cooperative == 0
        if asked:
            raise TrialTimeout("the trial's time limit passed during a stoppable call")


def _never() -> bool:
    return False


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``thread_id`` at its next bytecode (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


class TrialLimits:
    """Arm the limits for the calling thread; :meth:`disarm` (idempotent) lifts them.

    Use::

        limits = TrialLimits(timeout_s, memory_mb).arm()
        try:
            ...  # the trial
        finally:
            limits.disarm()

    ``timed_out`` tells afterwards whether the watchdog fired.
    """

    def __init__(
        self,
        timeout_s: float | None,
        memory_mb: float | None,
        grace_s: float | None = None,
        stop_check: Callable[[], bool] | None = None,
        poll_s: float = STOP_POLL_S,
        exit_when_stuck: bool = True,
    ):
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.grace_s = grace_s if grace_s is not None else default_grace_s(timeout_s)
        self.stop_check = stop_check
        self.poll_s = poll_s
        #: end the process when the trial is still stuck ``grace_s`` after the exception (a
        #: worker process); False where the process is the user's (the thread executor)
        self.exit_when_stuck = exit_when_stuck
        self.timed_out = False
        #: the watchdog fired because ``stop_check`` said the run is over (not the time limit)
        self.stopped = False
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._armed = False
        self._thread_id = 0
        self._entry_code = None  # the code of the frame that armed the limits (see arm)
        #: how many :func:`stoppable_call` blocks the trial is inside, and the flag they read
        self._cooperative = 0
        self._asked = threading.Event()
        self._old_rlimit: tuple[int, int] | None = None

    def arm(self) -> TrialLimits:
        self._thread_id = threading.get_ident()
        # the trial's frames are those above the caller's: the walk of _in_unsafe_code stops here
        self._entry_code = sys._getframe(1).f_code
        self._armed = True
        _ARMED.limits = self
        if self.memory_mb:
            self._set_memory_limit()
        if self.timeout_s or self.stop_check is not None:
            threading.Thread(target=self._watch, name="automl-trial-watchdog", daemon=True).start()
        return self

    def _set_memory_limit(self) -> None:
        import resource

        base = _vm_data_bytes()
        if base is None:  # not Linux: no per-trial memory limit
            return
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        limit = base + int(self.memory_mb * 2**20)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
        self._old_rlimit = (soft, hard)

    def _watch(self) -> None:
        end = time.monotonic() + self.timeout_s if self.timeout_s else math.inf
        while True:
            wait = end - time.monotonic()
            if self.stop_check is not None:
                wait = min(wait, self.poll_s)
            if self._done.wait(max(0.0, wait)):
                return
            if time.monotonic() >= end:
                break
            if self.stop_check is not None and self.stop_check():
                self.stopped = True
                break
        if self._interrupt(time.monotonic() + self.grace_s) or not self.exit_when_stuck:
            return
        # stuck in one C call that the exception cannot interrupt: end the worker; Ray starts a
        # fresh one for the next trial
        os._exit(TIMEOUT_EXIT_CODE)

    def _interrupt(self, give_up_at: float) -> bool:
        """Stop the trial: ask its stoppable call, or raise :class:`TrialTimeout` in its thread
        once that thread is out of :data:`UNSAFE_MODULES` and finalizers. Returns whether the
        trial ended by ``give_up_at``; if not, it is stuck (and was never raised into unsafe code).

        The check and the raise are two steps, so a thread could enter unsafe code between them;
        the exception lands at the thread's next bytecode, within microseconds of the check, which
        makes that rare, where raising without looking landed in such code within seconds of a
        run of small trials (``tests/test_limits_unsafe_code.py``).
        """
        while True:
            with self._lock:
                if self._done.is_set():
                    return True
                self.timed_out = True
                if self._cooperative:
                    self._asked.set()  # the call stops itself; leaving the block raises
                    break
                if not self._in_unsafe_code():
                    _async_raise(self._thread_id, TrialTimeout)
                    break
            if self._done.wait(UNSAFE_POLL_S):
                return True
            if time.monotonic() >= give_up_at:
                return False
        return self._done.wait(max(0.0, give_up_at - time.monotonic()))

    def _in_unsafe_code(self) -> bool:
        """Whether the trial's thread runs code of :data:`UNSAFE_MODULES` or a finalizer
        (``__del__``: an exception there is printed and lost, and a handle freed but not yet
        cleared is freed again) anywhere in the trial's part of its stack."""
        frame = sys._current_frames().get(self._thread_id)
        while frame is not None and frame.f_code is not self._entry_code:
            module = frame.f_globals.get("__name__") or ""
            if frame.f_code.co_name == "__del__" or any(
                module == m or module.startswith(m + ".") for m in UNSAFE_MODULES
            ):
                return True
            frame = frame.f_back
        return False

    def disarm(self) -> None:
        """Stop the watchdog and restore the memory limit; clears a timeout not yet delivered."""
        if not self._armed:
            return
        with self._lock:
            self._done.set()
            if self.timed_out:
                # the exception may still be pending in this thread: do not let it escape later
                _async_raise(self._thread_id, None)
        self._armed = False
        if getattr(_ARMED, "limits", None) is self:
            _ARMED.limits = None
        if self._old_rlimit is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_DATA, self._old_rlimit)
            self._old_rlimit = None
