"""The logger conformance kit: a logger hears a run's events and survives a resume."""

from __future__ import annotations

import sys
from typing import Any

from ..specs import LoggerSpec
from .specs import check_spec


def check_logger(spec: Any, directory: Any) -> None:
    """Conformance of a logger spec (a :class:`~automl_core.specs.LoggerSpec` or its class).

    The spec is frozen, rejects unknown keys, round-trips through JSON and TOML; ``build()``
    gives ``start``, ``trial``, ``end`` that take a small run's events (a failed and a cancelled
    trial, per-epoch history, results saved in ``directory``), then that run resumed.
    """
    import tomli_w

    from ..experiment.loggers import _accepted, conformance_events

    spec = spec() if isinstance(spec, type) else spec
    assert isinstance(spec, LoggerSpec), f"{type(spec).__name__} is not a LoggerSpec"
    check_spec(spec)
    name = type(spec).__name__
    tomllib = __import__("tomllib" if sys.version_info >= (3, 11) else "tomli")
    dumped = spec.model_dump(mode="json", exclude_none=True)
    back = tomllib.loads(tomli_w.dumps({"logger": dumped}))["logger"]
    assert type(spec).model_validate(back) == spec, f"{name} does not round-trip through TOML"
    run = conformance_events(str(directory))
    for resumed in (False, True):
        logger = spec.build()
        for method in ("start", "trial", "end"):
            assert callable(getattr(logger, method, None)), f"{name}.build() has no {method}()"
        start = dict(run["start"], resumed=resumed)
        if resumed:
            start["finished_rows"] = [r for r, _ in run["trials"]]
            start["finished_history"] = [h for _, hs in run["trials"] for h in hs]
        logger.start(**_accepted(logger.start, start))  # the optional keywords as the hub does
        for row, history in [] if resumed else run["trials"]:
            logger.trial(row, history)
        logger.end(**_accepted(logger.end, run["end"]))
