"""Starting (or joining) Ray once per process."""

from __future__ import annotations

import logging
import os
import threading

__all__ = ["ensure_ray", "ensure_ray_env", "embedded_node_id", "TUNE_ENV"]

#: set before Ray Tune is imported: no per-trial CSV/JSON/TensorBoard loggers (we keep our own
#: records), no Ray console tables (our progress display replaces them), no experiment
#: checkpoint every few seconds (resume uses our own state).
TUNE_ENV = {
    "TUNE_DISABLE_AUTO_CALLBACK_LOGGERS": "1",
    "RAY_AIR_NEW_OUTPUT": "0",
    "TUNE_GLOBAL_CHECKPOINT_S": "600",
    "TUNE_DISABLE_STRICT_METRIC_CHECKING": "1",
    "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
    "RAY_TRAIN_V2_ENABLED": "0",
    "TUNE_PRINT_ALL_TRIAL_ERRORS": "0",
    # Ctrl-C is ours (runner.search._SigintHandler): Ray Tune's handler would end the loop
    # without saying so, and the run could not tell an interruption from a finished budget
    "TUNE_DISABLE_SIGINT_HANDLER": "1",
}

#: imported by each worker of the embedded Ray before it accepts work
WORKER_PRELOAD = "automl_core.runner.worker_preload"

_lock = threading.Lock()
_embedded_node_id: str | None = None


def ensure_ray_env() -> None:
    """Set :data:`TUNE_ENV` (values the user set win); call before importing ``ray.tune``."""
    for k, v in TUNE_ENV.items():
        os.environ.setdefault(k, v)


def ensure_ray(
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    preload: str = "core",
):
    """Start an embedded local Ray (dashboard off) or connect to ``address`` / ``$RAY_ADDRESS``.

    Does nothing when Ray is already initialised in this process (a notebook, a test fixture).
    A new embedded Ray starts one idle worker per CPU at once, importing ``preload`` (a
    profile of :mod:`.worker_preload`: "core" for function objectives, "tables" for table
    experiments) while the caller goes on.
    """
    ensure_ray_env()
    import ray

    with _lock:
        if ray.is_initialized():
            return ray
        address = address or os.environ.get("RAY_ADDRESS") or None
        common = dict(
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.ERROR,
            configure_logging=True,
        )
        if address:
            ray.init(address=address, **common)
        else:
            # "local" starts a new embedded instance even if a `ray start` cluster runs here:
            # without it ray.init() would silently join that cluster.
            # workers import the trial's stack before they accept work (see .worker_preload)
            ray.init(
                address="local",
                num_cpus=num_cpus,
                num_gpus=num_gpus,
                _system_config={
                    "preload_python_modules": [WORKER_PRELOAD],
                    # Ray would prestart workers for plain tasks, which Tune's trial actors
                    # cannot use (another runtime env); ours are prestarted just below
                    "prestart_worker_first_driver": False,
                    # Ray runs workers at nice 15 by default: on a shared machine every other
                    # process then comes before the trials (GridSearchCV's workers run at 0)
                    "worker_niceness": 0,
                },
                **common,
            )
            global _embedded_node_id
            _embedded_node_id = ray.get_runtime_context().get_node_id()
            from .warm import prestart_workers, set_worker_preload

            set_worker_preload(preload)
            prestart_workers(int(ray.cluster_resources().get("CPU", 1)))
            # every run needs Ray Tune (~1 s of imports): imported now, beside the workers
            # just asked for, rather than at the run's start
            import ray.tune  # noqa: F401
    return ray


def embedded_node_id() -> str | None:
    """The node of the Ray this process started itself (None: it joined one, or none yet).

    That node's workers run this process's Python, so they have the same plugins; the
    workers of a cluster started by ``ray start`` run whatever Python started it.
    """
    return _embedded_node_id
