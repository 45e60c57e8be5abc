"""Keeping warm Python workers ready on the embedded Ray between runs.

Ray Tune creates fresh trial actors for every ``Tuner.fit`` and ends them at its close; a
new actor needs a new worker process, which must start Python and import the trial's stack
(~2.5 s on 2 busy cores, before the first trial can start). A raylet answers a
``PrestartWorkers`` request at any time by starting idle workers ahead of demand. We send one
when ``ensure_ray`` starts the embedded Ray (one worker per CPU) and after each run, so the
next run's actors find workers that already imported :mod:`.worker_preload`.

Only on the Ray this process started itself (we chose its settings); a cluster's workers are
its operator's business. The request and the session directory are Ray's private API, fenced
in :mod:`.ray_private`: on its public path (another Ray version, ``AUTOML_RAY_PRIVATE=0``, or
a failure there) nothing here happens, and each run starts its workers itself, as Ray would
without us.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from . import ray_private

__all__ = [
    "DEFAULT_PRELOAD",
    "note_worker_started",
    "prestart_workers",
    "prestart_when_free",
    "preload_path",
    "set_worker_preload",
    "wait_for_prestarted",
]

log = logging.getLogger(__name__)

#: how long prestarted idle workers wait for the next run before the raylet ends them
KEEP_ALIVE_S = 600

#: the file, in the Ray session's directory, naming the preload profile of new workers
#: (:mod:`.worker_preload` reads it)
PRELOAD_FILE = "automl_core_worker_preload"

#: the profile of objectives that do not say (``worker_preload``), and of workers that find
#: no profile named
DEFAULT_PRELOAD = "tables"

#: how long :func:`prestart_when_free` waits for the last run's CPUs to come back
FREE_WAIT_S = 15.0

#: the folder, in the Ray session's directory, where each worker that preloads notes (a file
#: named by its pid) that it has registered with the raylet (:func:`note_worker_started`)
STARTED_DIR = "automl_core_workers"

#: at most this long :func:`wait_for_prestarted` waits for the workers asked for at Ray's start
STARTED_WAIT_S = 10.0

#: workers asked for when this process started Ray, not yet waited for: ``(n, session dir)``
_cold_prestart: tuple[int, str] | None = None


def preload_path() -> str | None:
    """The path of :data:`PRELOAD_FILE` in this process's Ray session directory (the driver's
    or, in a worker, its node's); None on the public path of :mod:`.ray_private`."""
    directory = ray_private.session_dir()
    return None if directory is None else os.path.join(directory, PRELOAD_FILE)


def set_worker_preload(profile: str) -> bool:
    """Name what new workers of the embedded Ray import before their first trial.

    ``profile`` is a key of :data:`.worker_preload.PROFILES` ("core" for a plain function
    objective, "tables" for a table experiment). It applies to every worker started from now
    on, prestarted or on demand. Call only on the Ray this process started (its session
    directory is on this machine). True if written; False on the public path or if the
    session directory cannot be written (the workers then preload :data:`DEFAULT_PRELOAD`).
    """
    path = preload_path()
    if path is None:
        return False
    tmp = f"{path}.{threading.get_ident()}"
    try:
        with open(tmp, "w") as f:
            f.write(profile)
        os.replace(tmp, path)  # a worker reading it sees the old name or the new, never half
        return True
    except OSError as exc:  # the session directory went away (Ray shut down)
        log.debug("naming the worker preload failed: %s", exc)
        return False


def prestart_workers(n: int, keep_alive_s: int = KEEP_ALIVE_S) -> bool:
    """Ask the local raylet for ``n`` idle workers for this job; True if it accepted."""
    return ray_private.prestart_workers(n, keep_alive_s)


def prestart_at_start(n: int) -> bool:
    """:func:`prestart_workers` when this process has just started Ray; the first run then
    waits for them (:func:`wait_for_prestarted`). True if the raylet accepted."""
    global _cold_prestart
    directory = ray_private.session_dir()
    if directory is None or not prestart_workers(n):
        return False
    _cold_prestart = (n, os.path.join(directory, STARTED_DIR))
    return True


def note_worker_started(ready: bool = False) -> None:
    """In a worker, as it starts preloading (it is registered with the raylet by then): note
    it in :data:`STARTED_DIR` (a file named by its pid); with ``ready``, once its preload is
    done (``PID.ready``). Best effort."""
    directory = ray_private.session_dir()
    if directory is None:
        return
    name = f"{os.getpid()}.ready" if ready else str(os.getpid())
    try:
        os.makedirs(os.path.join(directory, STARTED_DIR), exist_ok=True)
        open(os.path.join(directory, STARTED_DIR, name), "w").close()
    except OSError as exc:
        log.debug("noting a started worker failed: %s", exc)


def wait_for_prestarted(max_s: float = STARTED_WAIT_S, ready: bool = False) -> float:
    """Before the first run on the Ray this process started: wait (at most ``max_s``) until
    the workers asked for at its start have registered with the raylet (``ready``: have also
    finished their preload); returns the seconds waited (0 when there is nothing to wait for:
    only the first call after Ray's start waits).

    Why: Ray Tune asks for its trial actors at once, and a raylet with a request for a worker
    but none idle starts another worker process as soon as one of those it is starting comes
    up. On a cold start the driver reaches its first trials before its prestarted workers
    have imported Ray, so Ray would start one more worker than the trials need, whose ~3 s
    of imports (Ray twice, Ray Tune, pandas, scikit-learn) compete with the first trial's
    worker for the CPUs (measured in benchmarks/bench_cold_start.py). The trials could not
    start before those workers anyway: they wait for the workers' preload. ``ac.compare``
    waits for ``ready`` workers before its first strategy, which would otherwise pay for the
    imports that the later strategies find done.
    """
    global _cold_prestart
    pending, _cold_prestart = _cold_prestart, None
    if pending is None or max_s <= 0:
        return 0.0
    n, directory = pending
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_s:
        try:
            if sum(f.endswith(".ready") == ready for f in os.listdir(directory)) >= n:
                break
        except OSError:  # no worker has noted itself yet
            pass
        time.sleep(0.02)
    return time.monotonic() - t0


def prestart_when_free(n: int, wait_s: float = FREE_WAIT_S) -> threading.Thread:
    """:func:`prestart_workers` once ``n`` CPUs are free again, from a background thread.

    The raylet prestarts at most as many workers as it has CPUs available, and a run's
    trial actors and placement groups give theirs back a moment after ``Tuner.fit``
    returns; asked at once it would often start fewer workers than the next run needs.
    The caller does not wait (the thread is a daemon); if the CPUs stay busy (the next run
    already started), as many workers as there are free CPUs are asked for at the end.
    """

    def wait_then_prestart() -> None:
        if not ray_private.FENCE.enabled():
            return
        import ray

        try:
            deadline = time.monotonic() + wait_s
            free = 0
            while time.monotonic() < deadline and ray.is_initialized():
                free = int(ray.available_resources().get("CPU", 0))
                if free >= n:
                    break
                time.sleep(0.05)
        except Exception as exc:  # Ray shut down while we waited: nothing to warm
            log.debug("waiting for free CPUs failed: %s", exc)
            return
        if ray.is_initialized():
            prestart_workers(min(n, free))

    thread = threading.Thread(target=wait_then_prestart, name="automl-prestart", daemon=True)
    thread.start()
    return thread
