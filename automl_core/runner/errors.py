"""What ended a trial that did not report: read from Ray's error (out of memory, a dead worker
or node to run again, or an error the trainable raised)."""

from __future__ import annotations

import re

__all__ = ["classify_error", "node_from_error"]

#: what Ray says when its memory monitor kills a worker (ray.exceptions.OutOfMemoryError)
_OOM_MARKERS = ("OutOfMemoryError", "running low on memory", "due to memory pressure")

#: Ray's exceptions for a trial whose worker process or node went away (Ray 2.60): a dead actor
#: (ActorDiedError), one Ray cannot reach (ActorUnavailableError: with Ray's default health
#: checks a killed node's actors read so for ~30 s before the node is declared dead; both are
#: RayActorError), a crashed worker, a dead node or raylet
_CRASH_TYPES = (
    "RayActorError",
    "WorkerCrashedError",
    "NodeDiedError",
    "LocalRayletDiedError",
)

#: the same, as Ray words them in the text Ray Tune keeps of a trial's error (the exception
#: itself is often not readable yet when the trial ends: Ray Tune writes it afterwards)
_CRASH_MARKERS = (
    "died",  # "The actor died unexpectedly", "The actor is dead because its node died", ...
    "ActorDiedError",
    "ActorUnavailableError",
    "temporarily unavailable",  # "The actor is temporarily unavailable: RpcError: ..."
    "RpcError",
    "Socket closed",
    "WorkerCrashedError",
    "NodeDiedError",
    "LocalRayletDiedError",
)

_NODE_ID = re.compile(r"(?:Node Id|node_id|NodeID)[:=]\s*([0-9a-f]{56})", re.IGNORECASE)


def node_from_error(text: str, names: dict[str, str]) -> str | None:
    """The node a crashed trial ran on, from the id in Ray's error text ("Node Id: ...")."""
    m = _NODE_ID.search(text)
    if m is None:
        return None
    return names.get(m.group(1), m.group(1)[:8])


def _crash_types() -> tuple[type, ...]:
    import ray.exceptions

    return tuple(t for t in (getattr(ray.exceptions, n, None) for n in _CRASH_TYPES) if t)


def classify_error(text: str, exc: BaseException | None = None) -> str:
    """What ended a trial that did not report: ``"oom"`` (Ray's memory monitor killed its
    worker), ``"crash"`` (its worker process or node died or became unreachable: run it again),
    or ``"error"`` (the trainable raised: it would raise again, so no retry).

    ``text`` is Ray Tune's error text of the trial, ``exc`` the exception when it could be
    read. The objective's own exceptions never come here (the trainable catches them and
    reports a failed row), so a trial's Ray error is a crash unless the trainable itself
    raised (a ``RayTaskError``) for a reason that is not one of Ray's crash exceptions.
    """
    if any(m in text for m in _OOM_MARKERS):
        return "oom"
    if exc is not None:
        if isinstance(exc, _crash_types()):  # also a RayTaskError whose cause is one of them
            return "crash"
        from ray.exceptions import RayTaskError

        if isinstance(exc, RayTaskError):
            return "error"
    return "crash" if any(m in text for m in _CRASH_MARKERS) else "error"
