"""Every use of Ray's private API in automl-core, behind one fence (issue 14).

What is private, and what it buys:

- ``_system_config`` keys of the embedded Ray (:func:`embedded_system_config`):
  ``preload_python_modules`` (new workers import our stack before they accept work),
  ``prestart_worker_first_driver`` and ``worker_niceness``;
- the raylet's ``PrestartWorkers`` gRPC call (:func:`prestart_workers`), in the runtime env Ray
  Tune gives its trial actors: a copy of ``ray.tune.execution.class_cache``'s variables
  (:data:`TUNE_ACTOR_ENV_VARS`) and ``ray._private.utils.get_runtime_env_info``;
- the session directory of this process's Ray node, ``ray._private.worker`` (:func:`session_dir`),
  where the driver names the profile its workers preload;
- a quick question to a cluster's GCS whether it accepts this process's credentials,
  ``ray._raylet.GcsClient`` (:func:`gcs_accepts`), and turning token authentication on in a
  process that has already read Ray's config, ``ray._raylet.Config`` (:func:`set_token_auth`).

The private path is taken only when

- the environment variable ``AUTOML_RAY_PRIVATE`` is not ``0`` (nor ``false``/``off``/``no``),
- and the installed Ray is in the range these uses were tested with (:data:`TESTED`).

Otherwise, and after any exception on the private path, automl-core takes the public path:
plain ``ray.init``, no prestarted workers, no preload profile, no GCS question before connecting
to a cluster (a refused connection is then reported after Ray's own retries, ~20 s). Outside the
range, or at the first exception, one WARNING (once per process) names what was skipped and why;
the private path then stays off for the rest of the process. ``AUTOML_RAY_PRIVATE=0`` is the
user's choice and logs at INFO only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from typing import Any

__all__ = [
    "FENCE",
    "SWITCH",
    "TESTED",
    "Fence",
    "embedded_system_config",
    "gcs_accepts",
    "in_tested_range",
    "prestart_workers",
    "session_dir",
    "set_token_auth",
    "trial_actor_env_vars",
]

log = logging.getLogger(__name__)

#: the Ray versions the private path was tested with: at least TESTED_MIN, below TESTED_BELOW
#: (major, minor; pre-releases and dev builds excluded)
TESTED_MIN = (2, 60)
TESTED_BELOW = (2, 61)
TESTED = (">=2.60", "<2.61")

#: the environment variable that turns the private path off ("0", "false", "off", "no")
SWITCH = "AUTOML_RAY_PRIVATE"

#: what the public path goes without (named in the warning)
SKIPPED = (
    "warm workers (the raylet's PrestartWorkers call), the workers' preload "
    "(_system_config preload_python_modules), worker niceness 0, and the quick token check "
    "before connecting to a cluster"
)


def in_tested_range(version: str) -> bool:
    """Whether ``version`` (a Ray version string) is in :data:`TESTED`."""
    from packaging.version import InvalidVersion, Version

    try:
        v = Version(version)
    except InvalidVersion:
        return False
    if v.is_prerelease or v.is_devrelease:
        return False
    return TESTED_MIN <= tuple(v.release[:2]) < TESTED_BELOW


class Fence:
    """Whether this process may use Ray's private API; one per process (:data:`FENCE`).

    ``version`` is the Ray version to judge (default: the installed one, read when first
    asked); tests pass a made-up one. Thread-safe: the prestart runs in a background thread.
    """

    def __init__(self, version: str | None = None):
        self._version = version
        self._lock = threading.Lock()
        self._checked = False
        #: why the private path is off (None: it is on)
        self.off_reason: str | None = None
        self.warned = False

    def enabled(self) -> bool:
        """True while the private path may be used (see the module docstring)."""
        with self._lock:
            if not self._checked:
                self._checked = True
                self._first_check()
            return self.off_reason is None

    def _first_check(self) -> None:
        if os.environ.get(SWITCH, "1").strip().lower() in ("0", "false", "off", "no"):
            self.off_reason = f"{SWITCH}={os.environ[SWITCH]}"
            log.info(
                "automl-core: Ray's private API is off (%s); skipped: %s", self.off_reason, SKIPPED
            )
            return
        version = self._version
        if version is None:
            import ray

            version = ray.__version__
        if not in_tested_range(version):
            self.off_reason = (
                f"Ray {version} is outside the range automl-core was tested with "
                f"({','.join(TESTED)})"
            )
            self._warn()

    def fail(self, what: str, exc: BaseException) -> None:
        """An exception on the private path while doing ``what``: public path from now on."""
        with self._lock:
            self._checked = True
            if self.off_reason is None:
                self.off_reason = f"{what} failed ({type(exc).__name__}: {exc})"
                self._warn()

    def _warn(self) -> None:
        if self.warned:
            return
        self.warned = True
        log.warning(
            "automl-core: not using Ray's private API: %s. Skipped: %s. Runs still work; their "
            "first trials start their own workers. Set %s=0 to choose this path and silence "
            "this warning.",
            self.off_reason,
            SKIPPED,
            SWITCH,
        )


#: this process's fence
FENCE = Fence()


# -- the embedded Ray's settings --------------------------------------------------------------


def embedded_system_config(preload_module: str) -> dict[str, Any]:
    """``_system_config`` for the Ray this process starts itself ({} on the public path)."""
    if not FENCE.enabled():
        return {}
    return {
        "preload_python_modules": [preload_module],
        # Ray would prestart workers for plain tasks, which Tune's trial actors cannot use
        # (another runtime env); ours are prestarted by prestart_workers
        "prestart_worker_first_driver": False,
        # Ray runs workers at nice 15 by default: on a shared machine every other process then
        # comes before the trials (GridSearchCV's workers run at 0)
        "worker_niceness": 0,
    }


# -- warm workers ----------------------------------------------------------------------------

#: Ray Tune's environment for its trial actors, copied from ``ray.tune.execution.class_cache``
#: (Ray 2.60): importing that module imports all of Ray Tune (~1 s of CPU), and the prestart
#: must go out the moment Ray is up. ``tests/test_warm_workers.py`` checks the copy.
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
    env_vars = dict(TUNE_ACTOR_ENV_VARS)
    for name in TUNE_PROPAGATED_ENV_VARS:
        if name in os.environ:
            env_vars[name] = os.environ[name]
    return env_vars


def prestart_workers(n: int, keep_alive_s: int) -> bool:
    """Ask the local raylet for ``n`` idle workers for this job, in the runtime env of Ray
    Tune's trial actors (a raylet hands an idle worker only to an actor of the same runtime
    env); True if it accepted. False on the public path, or when Ray is shutting down."""
    if n <= 0 or not FENCE.enabled():
        return False
    import ray

    try:
        from ray._private.grpc_utils import init_grpc_channel
        from ray._private.utils import get_runtime_env_info
        from ray.core.generated import common_pb2, node_manager_pb2, node_manager_pb2_grpc
        from ray.runtime_env import RuntimeEnv

        worker = ray._private.worker.global_worker
        node = worker.node
        env_info = get_runtime_env_info(
            RuntimeEnv(env_vars=trial_actor_env_vars()), serialize=False
        )
        channel = init_grpc_channel(f"{node.node_ip_address}:{node.node_manager_port}")
        try:
            stub = node_manager_pb2_grpc.NodeManagerServiceStub(channel)
            request = node_manager_pb2.PrestartWorkersRequest(
                language=common_pb2.PYTHON,
                job_id=worker.current_job_id.binary(),
                runtime_env_info=env_info,
                num_workers=int(n),
                keep_alive_duration_secs=int(keep_alive_s),
            )
            stub.PrestartWorkers(request, timeout=5)
        finally:
            channel.close()
        return True
    except Exception as exc:
        if not ray.is_initialized():  # Ray shut down under us (end of the process): not a fault
            return False
        FENCE.fail(f"prestarting {n} Ray workers", exc)
        return False


def session_dir() -> str | None:
    """The session directory of this process's Ray node (driver or worker); None on the public
    path or without Ray."""
    if not FENCE.enabled():
        return None
    import ray

    if not ray.is_initialized():
        return None
    try:
        return ray._private.worker._global_node.get_session_dir_path()
    except Exception as exc:
        FENCE.fail("reading the Ray session directory", exc)
        return None


# -- connecting to a cluster ------------------------------------------------------------------

#: how long :func:`gcs_accepts` waits for the GCS's answer
GCS_PROBE_TIMEOUT_S = 15.0


def gcs_accepts(address: str, timeout_s: float = GCS_PROBE_TIMEOUT_S) -> bool | None:
    """Whether the GCS at ``address`` accepts this process's credentials (Ray's token
    authentication): True, False (``AuthenticationError``: no token, or the wrong one), or None
    when it cannot tell (public path, no answer within ``timeout_s``, another error: then
    ``ray.init`` finds out). Answers in milliseconds, where ``ray.init`` retries a refused
    connection for ~20 s."""
    if not FENCE.enabled():
        return None
    try:
        from ray._raylet import GcsClient
        from ray.exceptions import AuthenticationError
    except Exception as exc:
        FENCE.fail("importing Ray's GCS client", exc)
        return None
    answer: list[bool | None] = []

    def ask() -> None:
        try:
            GcsClient(address=address)
            answer.append(True)
        except AuthenticationError:
            answer.append(False)
        except Exception as exc:  # no GCS there, say: ray.init reports it in its own words
            log.debug("asking the GCS at %s failed: %s", address, exc)
            answer.append(None)

    # a thread, so that a port that accepts connections but never answers cannot hold us
    # longer than timeout_s (Ray's own wait there is ~40 s)
    thread = threading.Thread(target=ask, name="automl-gcs-probe", daemon=True)
    with _stderr_without(_REFUSAL_LINE):
        thread.start()
        thread.join(timeout_s)
    return answer[0] if answer else None


#: the line Ray's C++ GCS client writes to stderr when a cluster refuses it: expected when we
#: ask without a token first, and the answer is reported in our own words
_REFUSAL_LINE = ("Failed to get cluster ID from GCS server: Unauthenticated",)


@contextlib.contextmanager
def _stderr_without(drop: tuple[str, ...]):
    """Hold file descriptor 2 (where Ray's C++ code logs) for the block; then write back every
    line but those containing one of ``drop`` (nothing else is lost)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no stderr to hold (a daemon, say)
        yield
        return
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            for line in held.read().splitlines(keepends=True):
                if not any(d.encode() in line for d in drop):
                    os.write(2, line)


def set_token_auth(on: bool) -> None:
    """Turn Ray's token authentication on (``RAY_AUTH_MODE=token``) or back to unset, for this
    process and the processes it starts, before ``ray.init(address=...)``.

    The variable alone works in a process that has not read Ray's config yet; the private path
    also reloads that config, as Ray itself does when it turns token auth on for ``ray.init()``.
    """
    if on:
        os.environ["RAY_AUTH_MODE"] = "token"
    else:
        os.environ.pop("RAY_AUTH_MODE", None)
    if not FENCE.enabled():
        return
    try:
        from ray._raylet import Config

        Config.initialize("")
    except Exception as exc:
        FENCE.fail("reloading Ray's config for token authentication", exc)
