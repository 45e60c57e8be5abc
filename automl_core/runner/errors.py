"""What ended a trial that did not report: read from Ray's error (out of memory, a dead worker
or node to run again, or an error the trainable raised)."""

from __future__ import annotations

import re

__all__ = ["classify_error", "node_from_error"]

#: what Ray says when its memory monitor kills a worker (ray.exceptions.OutOfMemoryError)
_OOM_MARKERS = ("OutOfMemoryError", "running low on memory", "due to memory pressure")


_NODE_ID = re.compile(r"(?:Node Id|node_id|NodeID)[:=]\s*([0-9a-f]{56})", re.IGNORECASE)


def node_from_error(text: str, names: dict[str, str]) -> str | None:
    """The node a crashed trial ran on, from the id in Ray's error text ("Node Id: ...")."""
    m = _NODE_ID.search(text)
    if m is None:
        return None
    return names.get(m.group(1), m.group(1)[:8])


def classify_error(text: str, exc: BaseException | None = None) -> str:
    """What ended a trial that did not report: ``"oom"`` (Ray's memory monitor killed its
    worker), ``"crash"`` (its worker process or node died: run it again), or ``"error"`` (the
    trainable raised: it would raise again, so no retry)."""
    if any(m in text for m in _OOM_MARKERS):
        return "oom"
    from ray.exceptions import NodeDiedError, RayActorError, WorkerCrashedError

    if exc is not None:
        return (
            "crash"
            if isinstance(exc, (RayActorError, WorkerCrashedError, NodeDiedError))
            else "error"
        )
    return "crash" if "died" in text else "error"
