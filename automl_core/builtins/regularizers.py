"""Builtin regularizer specs. Models map them onto their own parameters."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..search.space import Searchable
from ..specs import RegularizerSpec

PositiveFloat = Annotated[float, Field(gt=0)]


class L1Spec(RegularizerSpec):
    """An L1 (lasso) penalty of ``strength`` on the weights."""

    kind: Literal["l1"] = "l1"
    strength: Searchable[PositiveFloat] = 1.0


class L2Spec(RegularizerSpec):
    """An L2 (ridge / weight decay) penalty of ``strength`` on the weights."""

    kind: Literal["l2"] = "l2"
    strength: Searchable[PositiveFloat] = 1.0


BUILTIN_REGULARIZERS = [L1Spec, L2Spec]
