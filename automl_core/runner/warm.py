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

__all__ = ["prestart_workers", "prestart_when_free"]

log = logging.getLogger(__name__)

#: how long prestarted idle workers wait for the next run before the raylet ends them
KEEP_ALIVE_S = 600

#: how long :func:`prestart_when_free` waits for the last run's CPUs to come back
FREE_WAIT_S = 15.0


def _trial_actor_runtime_env_info():
    """The runtime environment Ray Tune gives its trial actors, as the raylet sees it.

    A raylet hands an idle worker only to an actor of the same runtime environment, and
    Tune sets one on every trial actor (a few environment variables:
    ``ray.tune.execution.class_cache``); workers prestarted without it would sit unused.
    Built the way that cache builds it, in this process, so the two serialize alike.
    """
    import os

    from ray._private.utils import get_runtime_env_info
    from ray.runtime_env import RuntimeEnv
    from ray.tune.execution.class_cache import DEFAULT_ENV_VARS, ENV_VARS_TO_PROPAGATE

    env_vars = DEFAULT_ENV_VARS.copy()
    for name in ENV_VARS_TO_PROPAGATE:
        if name in os.environ:
            env_vars[name] = os.environ[name]
    return get_runtime_env_info(RuntimeEnv(env_vars=env_vars), serialize=False)


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
