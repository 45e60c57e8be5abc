"""Starting (or joining) Ray once per process.

An address (``--address``, ``address = ...``, ``$RAY_ADDRESS``) joins that cluster; without
one an embedded local Ray starts. Joining a cluster that uses Ray's token authentication
(``RAY_AUTH_MODE=token``; Ray 2.60's ``ray start --head`` turns it on by itself when it finds
``~/.ray/auth_token``) needs the cluster's token on this machine too. When ``RAY_AUTH_MODE`` is
unset and a token is here (``$RAY_AUTH_TOKEN``, ``$RAY_AUTH_TOKEN_PATH`` or
``~/.ray/auth_token``), a cluster that refuses the connection without it is joined with it. A
connection that fails anyway is one :class:`ClusterConnectionError` that says how to fix it.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from pathlib import Path

from ..config import ConfigError
from . import ray_private

__all__ = [
    "ClusterConnectionError",
    "TUNE_ENV",
    "embedded_node_id",
    "ensure_ray",
    "ensure_ray_env",
    "token_source",
]

log = logging.getLogger(__name__)

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

#: seconds to wait for the cluster's port to accept a TCP connection
CONNECT_TIMEOUT_S = 5.0

#: where the README says how to share the token
_SEE = 'see "Running on a Ray cluster" in the README'

_lock = threading.Lock()
_embedded_node_id: str | None = None


class ClusterConnectionError(ConfigError):
    """This process cannot join the Ray cluster at the address it was given (nothing answers
    there, or the cluster's token authentication refuses it); the message says how to fix it.
    A :class:`~automl_core.config.ConfigError`: the CLI prints it and exits 2."""

    def __init__(self, message: str):
        self.problems = [message]
        ValueError.__init__(self, message)


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
    experiments) while the caller goes on (Ray's private API: see :mod:`.ray_private`).
    Joining a cluster raises :class:`ClusterConnectionError` when it cannot (see the module
    docstring).
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
        if address and address != "local":
            _connect(ray, address, common)
        else:
            _start_embedded(ray, num_cpus, num_gpus, preload, common)
    return ray


def _start_embedded(ray, num_cpus, num_gpus, preload: str, common: dict) -> None:
    # "local" starts a new embedded instance even if a `ray start` cluster runs here: without
    # it ray.init() would silently join that cluster
    kwargs = dict(address="local", num_cpus=num_cpus, num_gpus=num_gpus, **common)
    system_config = ray_private.embedded_system_config(WORKER_PRELOAD)
    if system_config:
        try:
            ray.init(_system_config=system_config, **kwargs)
        except Exception as exc:  # a Ray that rejects our settings: start it without them
            ray_private.FENCE.fail("starting Ray with automl-core's _system_config", exc)
            if ray.is_initialized():
                ray.shutdown()
            ray.init(**kwargs)
    else:
        ray.init(**kwargs)
    global _embedded_node_id
    _embedded_node_id = ray.get_runtime_context().get_node_id()
    from .warm import prestart_at_start, set_worker_preload

    set_worker_preload(preload)
    # one CPU is left to this process, which imports Ray Tune and builds the run meanwhile:
    # on 2 CPUs, a second worker's imports would slow the first one's (Tune's next trial
    # actors get workers the raylet starts for them)
    prestart_at_start(max(1, int(ray.cluster_resources().get("CPU", 1)) - 1))
    # every run needs Ray Tune (~1 s of imports): imported now, beside the workers just asked
    # for, rather than at the run's start
    import ray.tune  # noqa: F401


def embedded_node_id() -> str | None:
    """The node of the Ray this process started itself (None: it joined one, or none yet).

    That node's workers run this process's Python, so they have the same plugins; the
    workers of a cluster started by ``ray start`` run whatever Python started it.
    """
    return _embedded_node_id


# -- joining a cluster ------------------------------------------------------------------------


def token_source() -> str | None:
    """Where Ray would read this machine's authentication token from, in Ray's own order
    (``$RAY_AUTH_TOKEN``, then the file ``$RAY_AUTH_TOKEN_PATH``, then ``~/.ray/auth_token``);
    None when there is none."""
    if os.environ.get("RAY_AUTH_TOKEN"):
        return "$RAY_AUTH_TOKEN"
    if os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return f"$RAY_AUTH_TOKEN_PATH ({os.environ['RAY_AUTH_TOKEN_PATH']})"
    default = Path.home() / ".ray" / "auth_token"
    return str(default) if default.is_file() else None


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of a GCS address ``HOST:PORT``; None for Ray's other forms ("auto",
    "ray://...")."""
    m = re.fullmatch(r"\[?([^\[\]/]+?)\]?:(\d+)", address.strip())
    return (m.group(1), int(m.group(2))) if m else None


def _connect(ray, address: str, common: dict) -> None:
    """``ray.init(address=...)``, after checking quickly that it can succeed (see the module
    docstring); :class:`ClusterConnectionError` when it cannot."""
    target = _host_port(address)
    if target is not None:
        gcs = _check_reachable(address, target)
        if os.environ.get("RAY_AUTH_MODE") == "token":
            _check_token_path()
        _settle_auth(address, gcs)
    try:
        ray.init(address=address, **common)
    except Exception as exc:
        from ray.exceptions import RayError

        if not isinstance(exc, (ConnectionError, RayError, RuntimeError)):
            raise
        raise ClusterConnectionError(_failed(address, exc)) from exc


def _check_reachable(address: str, target: tuple[str, int]) -> str:
    """The GCS address as ``IP:PORT`` (Ray's GCS client takes no host names), once its port
    accepts a TCP connection; :class:`ClusterConnectionError` if it does not in time."""
    try:
        with socket.create_connection(target, timeout=CONNECT_TIMEOUT_S) as sock:
            ip = sock.getpeername()[0]
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise ClusterConnectionError(
            f"cannot connect to the Ray cluster at {address}: nothing answers there ({why}). "
            "Check the address (`ray start --head` prints it; `ray status` on a node of the "
            "cluster shows it), that the head node runs, and that this machine can reach "
            "its port."
        ) from exc
    return f"[{ip}]:{target[1]}" if ":" in ip else f"{ip}:{target[1]}"


def _check_token_path() -> None:
    # with token authentication on, Ray aborts the whole process when RAY_AUTH_TOKEN_PATH
    # names a file it cannot read (it does not fall back to ~/.ray/auth_token)
    path = os.environ.get("RAY_AUTH_TOKEN_PATH")
    if not path:
        return
    try:
        ok = bool(Path(path).read_text().strip())
    except OSError:
        ok = False
    if not ok:
        raise ClusterConnectionError(
            f"RAY_AUTH_TOKEN_PATH names {path}, which cannot be read or is empty: point it at "
            "the file that holds the cluster's token (`ray get-auth-token` on the head prints "
            "it), or unset it."
        )


def _settle_auth(address: str, gcs: str) -> None:
    """Turn token authentication on when the cluster at ``address`` (``gcs``: as IP:PORT)
    wants it and a token is here; a clear error when the cluster refuses this machine."""
    if ray_private.gcs_accepts(gcs) is not False:
        return  # accepted, or cannot tell (the public path): ray.init decides
    mode = os.environ.get("RAY_AUTH_MODE")
    source = token_source()
    if mode is None and source is not None:
        _check_token_path()
        ray_private.set_token_auth(True)
        if ray_private.gcs_accepts(gcs) is not False:
            log.info(
                "the Ray cluster at %s uses token authentication: token from %s", address, source
            )
            return
        ray_private.set_token_auth(False)
        mode = "token"
    raise ClusterConnectionError(_refused(address, mode, source))


def _fix() -> str:
    return (
        "Fix: on the head node run `ray get-auth-token`; here, `export RAY_AUTH_MODE=token "
        "RAY_AUTH_TOKEN=<that token>` (or save the token as ~/.ray/auth_token and export "
        f"RAY_AUTH_MODE=token). Every node of the cluster needs the same ({_SEE})."
    )


def _refused(address: str, mode: str | None, source: str | None) -> str:
    head = f"cannot connect to the Ray cluster at {address}: it uses token authentication and"
    if mode is not None and mode.lower() != "token":
        return f"{head} RAY_AUTH_MODE={mode} here. {_fix()}"
    if source is None:
        return (
            f"{head} this machine has no token (none in $RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH "
            f"or ~/.ray/auth_token). {_fix()}"
        )
    return f"{head} refused this machine's token (from {source}). {_fix()}"


def _failed(address: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"cannot connect to the Ray cluster at {address} ({text}). If the cluster uses token "
        "authentication (`ray start --head` turns it on when it finds ~/.ray/auth_token), "
        f"this machine needs its token. {_fix()}"
    )
