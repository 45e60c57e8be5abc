"""Search-space primitives: validation, TOML/JSON forms, unit-cube encoding."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

import automl_core as ac
from automl_core.search.space import Dim, SearchSpace


def test_positional_and_keyword_forms_are_equal():
    assert ac.Float(1e-4, 1e-1, log=True) == ac.Float(low=1e-4, high=1e-1, log=True)
    assert ac.Int(1, 4) == ac.Int.model_validate({"type": "int", "low": 1, "high": 4})
    assert ac.Choice(["a", "b"]).values == ["a", "b"]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: ac.Float(1, 1), "below"),
        (lambda: ac.Float(0, 1, log=True), "low > 0"),
        (lambda: ac.Int(5, 2), "below"),
        (lambda: ac.Choice([]), "at least 1"),
        (lambda: ac.Choice(["a", "a"]), "twice"),
        (lambda: ac.Float(0, float("inf")), "finite"),
    ],
)
def test_bad_primitives(make, match):
    with pytest.raises(ValidationError, match=match):
        make()


def test_grid_points():
    assert ac.Float(1, 100, log=True, grid_points=3).grid() == pytest.approx([1, 10, 100])
    assert ac.Float(0, 1).grid() is None
    assert ac.Int(1, 4).grid() == [1, 2, 3, 4]
    assert ac.Int(1, 1000).grid() is None
    assert ac.Int(1, 1000, grid_points=4).grid() == [1, 334, 667, 1000]


def test_conditional_activity():
    sp = SearchSpace(
        (
            Dim("model", ac.Choice(["a", "b"])),
            Dim("a.x", ac.Float(0, 1), ("model", frozenset({"a"}))),
        )
    )
    assert [d.name for d in sp.active({"model": "a", "a.x": 0.5})] == ["model", "a.x"]
    assert [d.name for d in sp.active({"model": "b"})] == ["model"]
    sp.check_point({"model": "b"})
    with pytest.raises(ValueError, match="active dims"):
        sp.check_point({"model": "b", "a.x": 0.2})
    with pytest.raises(ValueError, match="outside"):
        sp.check_point({"model": "a", "a.x": 2.0})


def test_child_before_parent_is_refused():
    with pytest.raises(ValueError, match="declared after"):
        SearchSpace((Dim("a.x", ac.Float(0, 1), ("model", frozenset({"a"}))),))


def test_unit_cube_round_trip():
    sp = SearchSpace.from_dict(
        {
            "lr": ac.Float(1e-4, 1e-1, log=True),
            "n": ac.Int(1, 9),
            "u": ac.Int(8, 512, log=True),
            "act": ac.Choice(["relu", "tanh"]),
            "fixed": 3,
        }
    )
    assert sp.constants == {"fixed": 3}
    for d in sp.dims:
        for u in np.linspace(0, 1, 11):
            v = sp.from_unit(d, u)
            assert d.domain.contains(v)
            assert sp.from_unit(d, sp.to_unit(d, v)) == v
    lr = sp.dim("lr")
    assert sp.to_unit(lr, 1e-4**0.5 * 1e-1**0.5) == pytest.approx(0.5)  # log space midpoint


def test_searchable_field_checks_primitive_against_field_constraints():
    from automl_core.builtins.models import SVCSpec

    with pytest.raises(ValidationError, match="low=-1.0"):
        SVCSpec(C=ac.Float(-1, 1))
    with pytest.raises(ValidationError, match=r"values\[1\]"):
        SVCSpec(kernel=ac.Choice(["rbf", "magic"]))
    assert SVCSpec(C=ac.Float(0.1, 10)).search_fields() == {"C": ac.Float(0.1, 10)}
