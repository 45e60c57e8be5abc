"""Config errors: one line per problem, each naming its field path (the CLI exits 2)."""

from __future__ import annotations

import sys
from typing import Any

from pydantic import (
    ValidationError,
)

from ..plugins import Registry, UnknownKindError

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass


DEFAULT_TRIALS = 20  # when a budget gives neither trials nor time_s (a grid: every point)


class ConfigError(ValueError):
    """A config that does not validate; ``str()`` lists each problem as ``field.path: message``."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid experiment config:\n  " + "\n  ".join(problems))


def _format(exc: ValidationError, registry: Registry) -> list[str]:
    """One ``path: message`` line per field; pydantic's union-branch and tag names left out."""
    kinds = {k for c in _CATEGORY_OF.values() for k in registry.kinds(c)}
    lines: dict[str, str] = {}
    for err in exc.errors():
        parts = [
            str(p)
            for p in err["loc"]
            if not (isinstance(p, str) and (p in kinds or "[" in p or p.startswith(_INTERNAL)))
        ]
        path = ".".join(parts) or "(config)"
        msg = _unknown_kind(err, registry) or err["msg"].removeprefix("Value error, ")
        lines.setdefault(path, msg)
    return [f"{p}: {m}" for p, m in lines.items()]


#: the config key whose items (or value) are specs of a registry category
_CATEGORY_OF = {
    **{f"{c}s": c for c in ("cleaner", "model", "regularizer", "logger")},
    "strategy": "strategy",
}


def _unknown_kind(err: dict[str, Any], registry: Registry) -> str | None:
    """The registry's message (known kinds, plugin hint) for a kind no union knows, else None."""
    kind = (err.get("ctx") or {}).get("tag") if err["type"] == "union_tag_invalid" else None
    if err["type"] == "literal_error" and err["loc"][-1:] == ("kind",):
        kind = err.get("input")  # a category with a single registered kind
    keys = [_CATEGORY_OF[p] for p in err["loc"] if isinstance(p, str) and p in _CATEGORY_OF]
    if not keys or not isinstance(kind, str):
        return None
    return str(UnknownKindError(keys[-1], kind, registry.kinds(keys[-1])))


_INTERNAL = ("constrained-", "function-", "literal[", "lax-", "json-or-python")
