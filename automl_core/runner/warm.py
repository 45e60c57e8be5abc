"""Keeping warm Python workers ready on the embedded Ray between runs.

Ray Tune creates fresh trial actors for every ``Tuner.fit`` and ends them at its close; a
new actor needs a new worker process, which must start Python and import the trial's stack
(~2.5 s on 2 busy cores, before the first trial can start). A raylet answers a
``PrestartWorkers`` request at any time by starting idle workers ahead of demand. We send one
when ``ensure_ray`` starts the embedded Ray (one worker per CPU) and after each run, so the
next run's actors find workers that already imported :mod:`.worker_preload`.

Only on the Ray this process started itself (we chose its settings); a cluster's workers are
its operator's business. Needs ``grpcio`` (a dependency); any failure here is silent: the next
run then starts its workers itself, as Ray would without us.
"""

from __future__ import annotations

import logging
import threading
import time

__all__ = ["prestart_workers", "prestart_when_free", "set_worker_preload"]

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


#: Ray Tune's environment for its trial actors, copied from ``ray.tune.execution.class_cache``
#: (Ray 2.60): importing that module imports all of Ray Tune (~1 s of CPU), and the
#: prestart must go out the moment Ray is up. ``tests/test_warm_workers.py`` checks that the
#: copy still matches Ray's.
TUNE_ACTOR_ENV_VARS = {"PL_DISABLE_FORK": "1"}
#: the driver's variables Ray Tune copies into its trial actors' environment, when set
TUNE_PROPAGATED_ENV_VARS = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECURITY_TOKEN",
        "AWS_SESSION_TOKEN",
        "NCCL_RAS_ADDR",
        "RAY_CHDIR_TO_TRIAL_DIR",
        "RAY_TRAIN_CHECKPOINT_UPLOAD_WARN_INTERVAL_S",
        "RAY_TRAIN_COLLECTIVE_TIMEOUT_S",
        "RAY_TRAIN_COLLECTIVE_WARN_INTERVAL_S",
        "RAY_TRAIN_ENABLE_CONTROLLER_STRUCTURED_LOGGING",
        "RAY_TRAIN_ENABLE_PREEMPTION_WATCHER",
        "RAY_TRAIN_ENABLE_PRINT_PATCH",
        "RAY_TRAIN_ENABLE_STATE_ACTOR_RECONCILIATION",
        "RAY_TRAIN_ENABLE_V2_MIGRATION_WARNINGS",
        "RAY_TRAIN_ENABLE_WORKER_STRUCTURED_LOGGING",
        "RAY_TRAIN_HEALTH_CHECK_INTERVAL_S",
        "RAY_TRAIN_PREEMPTION_POLL_INTERVAL_S",
        "RAY_TRAIN_STATE_ACTOR_RECONCILIATION_INTERVAL_S",
        "RAY_TRAIN_V2_ENABLED",
        "RAY_TRAIN_WORKER_GROUP_START_TIMEOUT_S",
        "RAY_TRAIN_WORKER_HEALTH_CHECK_TIMEOUT_S",
        "RAY_WARN_BLOCKING_GET_INSIDE_ASYNC",
        "TORCHFT_LIGHTHOUSE",
        "TRAIN_COPY_DIRECTORY_CHECKPOINTS_INSTEAD_OF_MOVING",
    }
)


def trial_actor_env_vars() -> dict[str, str]:
    """The environment variables Ray Tune sets on each trial actor, built as it builds them."""
    import os

    env_vars = dict(TUNE_ACTOR_ENV_VARS)
    for name in TUNE_PROPAGATED_ENV_VARS:
        if name in os.environ:
            env_vars[name] = os.environ[name]
    return env_vars


def _trial_actor_runtime_env_info():
    """The runtime environment Ray Tune gives its trial actors, as the raylet sees it.

    A raylet hands an idle worker only to an actor of the same runtime environment, and
    Tune sets one on every trial actor (:func:`trial_actor_env_vars`); workers prestarted
    without it would sit unused.
    """
    from ray._private.utils import get_runtime_env_info
    from ray.runtime_env import RuntimeEnv

    return get_runtime_env_info(RuntimeEnv(env_vars=trial_actor_env_vars()), serialize=False)


def preload_file(node) -> str:
    """The path of :data:`PRELOAD_FILE` in the session directory of ``node`` (a Ray
    ``_private.node.Node``: the driver's, or a worker's own)."""
    return f"{node.get_session_dir_path()}/{PRELOAD_FILE}"


def set_worker_preload(profile: str) -> bool:
    """Name what new workers of the embedded Ray import before their first trial.

    ``profile`` is a key of :data:`.worker_preload.PROFILES` ("core" for a plain function
    objective, "tables" for a table experiment). It applies to every worker started from now
    on, prestarted or on demand. Call only on the Ray this process started (its session
    directory is on this machine). True if written.
    """
    try:
        import ray

        path = preload_file(ray._private.worker.global_worker.node)
        tmp = f"{path}.{threading.get_ident()}"
        with open(tmp, "w") as f:
            f.write(profile)
        import os

        os.replace(tmp, path)  # a worker reading it sees the old name or the new, never half
        return True
    except Exception as exc:  # best effort: see the module docstring
        log.debug("naming the worker preload failed: %s", exc)
        return False


def prestart_workers(n: int, keep_alive_s: int = KEEP_ALIVE_S) -> bool:
    """Ask the local raylet for ``n`` idle workers for this job; True if it accepted."""
    if n <= 0:
        return False
    try:
        import ray
        from ray._private.grpc_utils import init_grpc_channel
        from ray.core.generated import common_pb2, node_manager_pb2, node_manager_pb2_grpc

        worker = ray._private.worker.global_worker
        node = worker.node
        channel = init_grpc_channel(f"{node.node_ip_address}:{node.node_manager_port}")
        try:
            stub = node_manager_pb2_grpc.NodeManagerServiceStub(channel)
            request = node_manager_pb2.PrestartWorkersRequest(
                language=common_pb2.PYTHON,
                job_id=worker.current_job_id.binary(),
                runtime_env_info=_trial_actor_runtime_env_info(),
                num_workers=int(n),
                keep_alive_duration_secs=int(keep_alive_s),
            )
            stub.PrestartWorkers(request, timeout=5)
        finally:
            channel.close()
        return True
    except Exception as exc:  # best effort: see the module docstring
        log.debug("prestarting %d Ray workers failed: %s", n, exc)
        return False


def prestart_when_free(n: int, wait_s: float = FREE_WAIT_S) -> threading.Thread:
    """:func:`prestart_workers` once ``n`` CPUs are free again, from a background thread.

    The raylet prestarts at most as many workers as it has CPUs available, and a run's
    trial actors and placement groups give theirs back a moment after ``Tuner.fit``
    returns; asked at once it would often start fewer workers than the next run needs.
    The caller does not wait (the thread is a daemon); if the CPUs stay busy (the next run
    already started), as many workers as there are free CPUs are asked for at the end.
    """

    def wait_then_prestart() -> None:
        try:
            import ray

            deadline = time.monotonic() + wait_s
            free = 0
            while time.monotonic() < deadline and ray.is_initialized():
                free = int(ray.available_resources().get("CPU", 0))
                if free >= n:
                    break
                time.sleep(0.05)
            if ray.is_initialized():
                prestart_workers(min(n, free))
        except Exception as exc:  # best effort: see the module docstring
            log.debug("prestarting Ray workers failed: %s", exc)

    thread = threading.Thread(target=wait_then_prestart, name="automl-prestart", daemon=True)
    thread.start()
    return thread
