"""grid and random through the conformance kit, plus what is particular to each."""

from __future__ import annotations

from automl_core.builtins.strategies import GridSpec, RandomSpec
from automl_core.search.space import SearchSpace
from automl_core.search.strategies.grid import enumerate_grid
from automl_core.testing import check_strategy, conformance_spaces


def test_random_conforms():
    check_strategy(RandomSpec())


def test_grid_conforms():
    check_strategy(GridSpec())


def test_grid_enumerates_each_branch_of_the_model_choice_once():
    space = conformance_spaces()["conditional"]
    points = enumerate_grid(space)
    # svc: 3 C x 2 kernels; rf: 12 depths; lr: 3 l1 values; each times 2 for `scale`
    assert len(points) == (3 * 2 + 12 + 3) * 2
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)


def test_grid_is_exhausted_then_returns_none():
    space = SearchSpace.from_dict({"a": __import__("automl_core").Choice([1, 2])})
    g = GridSpec().build(space, "max", 0)
    assert [g.ask("0"), g.ask("1"), g.ask("2")] == [{"a": 1}, {"a": 2}, None]


def test_random_covers_log_ranges_log_uniformly():
    import numpy as np

    import automl_core as ac

    space = SearchSpace.from_dict({"lr": ac.Float(1e-5, 1e-1, log=True)})
    r = RandomSpec().build(space, "max", 0)
    xs = np.log10([r.ask(str(i))["lr"] for i in range(2000)])
    # a quarter of the decades below 1e-4: log-uniform, not uniform (which would give ~0.1%)
    assert 0.2 < np.mean(xs < -4) < 0.3
