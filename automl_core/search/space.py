"""Search-space primitives and the flat, conditional search space strategies work on.

A primitive (:class:`Float`, :class:`Int`, :class:`Choice`) can stand in for any numeric or
categorical field of a component spec (see :data:`Searchable`). Written in TOML or JSON as a
table with a ``type`` key::

    C = { type = "float", low = 0.01, high = 100, log = true }
    n_estimators = { type = "int", low = 50, high = 400, grid_points = 4 }
    kernel = { type = "choice", values = ["rbf", "linear"] }

A :class:`SearchSpace` is the flat list of :class:`Dim` a strategy samples. A dim may be
*conditional*: it is active only when a parent dim (typically ``model``) takes one of a set of
values. Strategies must return exactly the active dims of a point (see ``SearchSpace.active``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_serializer,
    model_validator,
)

__all__ = [
    "Float",
    "Int",
    "Choice",
    "Domain",
    "Searchable",
    "Dim",
    "SearchSpace",
    "is_domain",
]


class _Primitive(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @model_serializer(mode="wrap")
    def _no_none(self, handler):
        # TOML has no null: an option left unset (grid_points) is left out of every dump
        return {k: v for k, v in handler(self).items() if v is not None}


class Float(_Primitive):
    """A real range ``[low, high]``, optionally log-scaled.

    ``grid_points`` says how many evenly spaced (log-spaced if ``log``) points the grid strategy
    takes from the range; without it a grid over this range is a config error.
    """

    type: Literal["float"] = "float"
    low: float
    high: float
    log: bool = False
    grid_points: int | None = Field(default=None, ge=2)

    def __init__(self, low: float | None = None, high: float | None = None, /, **data: Any):
        if low is not None:
            data["low"] = low
        if high is not None:
            data["high"] = high
        super().__init__(**data)

    @model_validator(mode="after")
    def _check(self) -> Float:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError("low and high must be finite")
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scaled range needs low > 0, got {self.low}")
        return self

    def grid(self) -> list[float] | None:
        if self.grid_points is None:
            return None
        if self.log:
            pts = np.geomspace(self.low, self.high, self.grid_points)
        else:
            pts = np.linspace(self.low, self.high, self.grid_points)
        return [float(p) for p in pts]

    def contains(self, value: Any) -> bool:
        return isinstance(value, (float, int)) and self.low <= float(value) <= self.high


class Int(_Primitive):
    """An integer range ``[low, high]`` (both included), optionally log-scaled."""

    type: Literal["int"] = "int"
    low: int
    high: int
    log: bool = False
    grid_points: int | None = Field(default=None, ge=2)

    def __init__(self, low: int | None = None, high: int | None = None, /, **data: Any):
        if low is not None:
            data["low"] = low
        if high is not None:
            data["high"] = high
        super().__init__(**data)

    @model_validator(mode="after")
    def _check(self) -> Int:
        if self.low >= self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scaled range needs low > 0, got {self.low}")
        return self

    def grid(self) -> list[int]:
        """Every integer when there are at most 16 (or ``grid_points`` of them, spread)."""
        if self.grid_points is None:
            if self.high - self.low + 1 > 16:
                return None  # type: ignore[return-value]
            return list(range(self.low, self.high + 1))
        if self.log:
            pts = np.geomspace(self.low, self.high, self.grid_points)
        else:
            pts = np.linspace(self.low, self.high, self.grid_points)
        return sorted({int(round(p)) for p in pts})

    def contains(self, value: Any) -> bool:
        return (
            isinstance(value, (int, np.integer))
            and not isinstance(value, bool)
            and self.low <= int(value) <= self.high
        )


class Choice(_Primitive):
    """One of a list of values (numbers, strings, booleans or null)."""

    type: Literal["choice"] = "choice"
    values: list[Any] = Field(min_length=1)

    def __init__(self, values: Iterable[Any] | None = None, /, **data: Any):
        if values is not None:
            data["values"] = list(values)
        super().__init__(**data)

    @model_validator(mode="after")
    def _check(self) -> Choice:
        seen = []
        for v in self.values:
            if v in seen:
                raise ValueError(f"value {v!r} appears twice")
            seen.append(v)
        return self

    def grid(self) -> list[Any]:
        return list(self.values)

    def contains(self, value: Any) -> bool:
        return (
            any(value == v and type(value) is type(v) for v in self.values) or value in self.values
        )


Domain = Annotated[Union[Float, Int, Choice], Field(discriminator="type")]
_DOMAIN_TYPES = (Float, Int, Choice)


def is_domain(value: Any) -> bool:
    """True for a search-space primitive (Float, Int, Choice)."""
    return isinstance(value, _DOMAIN_TYPES)


def _checker(inner: Any):
    """Validate a primitive's bounds/values against the field's own type and constraints.

    A field declared ``Searchable[Annotated[float, Field(gt=0)]]`` rejects ``Float(-1, 1)`` for
    the same reason it rejects ``-1``: the message says which end is wrong.
    """
    adapter = TypeAdapter(inner)

    def check(value: Any) -> Any:
        if not is_domain(value):
            return value
        if isinstance(value, Choice):
            ends = {f"values[{i}]": v for i, v in enumerate(value.values)}
        else:
            ends = {"low": value.low, "high": value.high}
        for where, v in ends.items():
            try:
                adapter.validate_python(v)
            except ValidationError as exc:
                msg = exc.errors()[0]["msg"]
                raise ValueError(f"{value.type} range {where}={v!r}: {msg}") from None
        return value

    return check


class _SearchableFactory:
    """``Searchable[T]``: a field that takes a fixed ``T`` or a search-space primitive."""

    def __getitem__(self, inner: Any) -> Any:
        return Annotated[Union[inner, Domain], AfterValidator(_checker(inner))]


Searchable = _SearchableFactory()


@dataclass(frozen=True)
class Dim:
    """One dimension of a search space.

    ``condition`` is ``(parent_name, allowed_values)``: the dim is active only when the parent
    is active and takes one of ``allowed_values``. ``None`` means always active.
    """

    name: str
    domain: Float | Int | Choice
    condition: tuple[str, frozenset] | None = None


@dataclass(frozen=True)
class SearchSpace:
    """A flat list of (possibly conditional) dims plus constants passed through unchanged.

    Parents come before their children in ``dims``; strategies may rely on that order.
    """

    dims: tuple[Dim, ...]
    constants: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [d.name for d in self.dims]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate dim names in {names}")
        seen: set[str] = set()
        for d in self.dims:
            if d.condition is not None and d.condition[0] not in seen:
                raise ValueError(f"dim {d.name!r} depends on {d.condition[0]!r}, declared after it")
            seen.add(d.name)

    @classmethod
    def from_dict(cls, space: Mapping[str, Any]) -> SearchSpace:
        """Build from ``{"name": Float(...) | Int(...) | Choice(...) | constant}``."""
        dims = []
        constants = {}
        for name, value in space.items():
            if is_domain(value):
                dims.append(Dim(name, value))
            elif isinstance(value, Mapping) and value.get("type") in ("float", "int", "choice"):
                dims.append(Dim(name, TypeAdapter(Domain).validate_python(value)))
            else:
                constants[name] = value
        return cls(tuple(dims), constants)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dims]

    def dim(self, name: str) -> Dim:
        for d in self.dims:
            if d.name == name:
                return d
        raise KeyError(name)

    def is_active(self, dim: Dim, params: Mapping[str, Any]) -> bool:
        """Whether ``dim`` is active given the (partial) values of earlier dims."""
        if dim.condition is None:
            return True
        parent, allowed = dim.condition
        return parent in params and params[parent] in allowed

    def active(self, params: Mapping[str, Any]) -> list[Dim]:
        """The dims active for a complete point ``params``."""
        out = []
        partial: dict[str, Any] = {}
        for d in self.dims:
            if self.is_active(d, partial):
                out.append(d)
                if d.name in params:
                    partial[d.name] = params[d.name]
        return out

    def check_point(self, params: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` unless ``params`` holds exactly the active dims, each in range."""
        active = self.active(params)
        expected = {d.name for d in active}
        got = set(params) - set(self.constants)
        if got != expected:
            raise ValueError(
                f"point has dims {sorted(got)}, the active dims are {sorted(expected)}"
            )
        for d in active:
            if not d.domain.contains(params[d.name]):
                raise ValueError(f"{d.name}={params[d.name]!r} is outside {d.domain!r}")

    def with_constants(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.constants, **params}

    # -- unit-cube encoding shared by model-based strategies --------------------------------

    def to_unit(self, d: Dim, value: Any) -> float:
        """Map a value of ``d`` into [0, 1] (log dims in log space; choices by index)."""
        dom = d.domain
        if isinstance(dom, Choice):
            idx = dom.values.index(value)
            return (idx + 0.5) / len(dom.values)
        lo, hi, v = float(dom.low), float(dom.high), float(value)
        if dom.log:
            lo, hi, v = math.log(lo), math.log(hi), math.log(v)
        if isinstance(dom, Int) and not dom.log:
            lo, hi = lo - 0.5, hi + 0.5
        elif isinstance(dom, Int):
            lo, hi = math.log(dom.low - 0.5 if dom.low > 0.5 else dom.low), math.log(dom.high + 0.5)
        return min(1.0, max(0.0, (v - lo) / (hi - lo)))

    def from_unit(self, d: Dim, u: float) -> Any:
        """Inverse of :meth:`to_unit`, rounding ints and picking choices."""
        u = min(1.0, max(0.0, float(u)))
        dom = d.domain
        if isinstance(dom, Choice):
            idx = min(int(u * len(dom.values)), len(dom.values) - 1)
            return dom.values[idx]
        if isinstance(dom, Float):
            if dom.log:
                v = math.exp(math.log(dom.low) + u * (math.log(dom.high) - math.log(dom.low)))
            else:
                v = dom.low + u * (dom.high - dom.low)
            return float(min(dom.high, max(dom.low, v)))
        if dom.log:
            lo = math.log(dom.low - 0.5 if dom.low > 0.5 else dom.low)
            hi = math.log(dom.high + 0.5)
            v = math.exp(lo + u * (hi - lo))
        else:
            v = dom.low - 0.5 + u * (dom.high - dom.low + 1)
        return int(min(dom.high, max(dom.low, round(v))))
