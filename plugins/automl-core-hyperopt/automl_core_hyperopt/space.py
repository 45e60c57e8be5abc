"""An automl-core :class:`SearchSpace` as a native hyperopt space, and hyperopt's points back.

The conditional model choice becomes ``hp.choice`` over nested dicts, so TPE models each branch's
dims only on the trials that took that branch (its tree structure) instead of seeing imputed
values. Each option of a parent choice is a dict holding the option's value under
:data:`VALUE_KEY` and the expressions of the children active for that value.

A child active under several values of its parent appears once per branch; hyperopt labels must
be unique, so its label there is ``"child[parent=value]"`` (the point still says ``child``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from automl_core.search.space import Choice, Dim, Float, SearchSpace
from hyperopt import hp
from hyperopt.pyll import scope

__all__ = ["VALUE_KEY", "to_hyperopt", "flatten"]

#: key of a parent choice's own value inside the option dict of its branch
VALUE_KEY = "__value__"


def _children(space: SearchSpace, parent: Dim) -> list[Dim]:
    return [d for d in space.dims if d.condition is not None and d.condition[0] == parent.name]


def _expr(space: SearchSpace, d: Dim, label: str) -> Any:
    dom = d.domain
    if isinstance(dom, Choice):
        kids = _children(space, d)
        if not kids:
            return hp.choice(label, list(dom.values))
        options = []
        for v in dom.values:
            option: dict[str, Any] = {VALUE_KEY: v}
            for c in kids:
                if v in c.condition[1]:
                    shared = len(c.condition[1]) > 1
                    option[c.name] = _expr(
                        space, c, f"{c.name}[{d.name}={v!r}]" if shared else c.name
                    )
            options.append(option)
        return hp.choice(label, options)
    if isinstance(dom, Float):
        if dom.log:
            return hp.loguniform(label, math.log(dom.low), math.log(dom.high))
        return hp.uniform(label, dom.low, dom.high)
    if dom.log:  # log-scaled int: log-uniform, rounded to the integers
        return scope.int(hp.qloguniform(label, math.log(dom.low), math.log(dom.high), 1))
    return hp.uniformint(label, dom.low, dom.high)


def to_hyperopt(space: SearchSpace) -> dict[str, Any]:
    """The hyperopt space of ``space``: a dict of its unconditional dims' expressions."""
    return {d.name: _expr(space, d, d.name) for d in space.dims if d.condition is None}


def flatten(space: SearchSpace, sample: Mapping[str, Any]) -> dict[str, Any]:
    """A point of ``space`` from a ``space_eval``'d hyperopt sample (nested branch dicts).

    Values come back as real values of the right Python type (float, int, the choice's own
    value), keys in the space's dim order, only active dims.
    """
    flat: dict[str, Any] = {}

    def walk(node: Mapping[str, Any]) -> None:
        for name, value in node.items():
            if isinstance(value, Mapping) and VALUE_KEY in value:
                flat[name] = value[VALUE_KEY]
                walk({k: v for k, v in value.items() if k != VALUE_KEY})
            else:
                flat[name] = value

    walk(sample)
    point: dict[str, Any] = {}
    for d in space.dims:
        if d.name not in flat:
            continue
        v = flat[d.name]
        if isinstance(d.domain, Float):
            v = float(min(d.domain.high, max(d.domain.low, float(v))))
        elif not isinstance(d.domain, Choice):
            v = int(min(d.domain.high, max(d.domain.low, round(float(v)))))
        point[d.name] = v
    return point
