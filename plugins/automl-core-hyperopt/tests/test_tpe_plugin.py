"""The hyperopt TPE plugin: conformance, discovery, native space mapping, equality with fmin."""

from __future__ import annotations

import time

import numpy as np
import pytest
from automl_core.plugins import build_registry
from automl_core.search.space import Choice, Dim, Float, Int, SearchSpace
from automl_core.search.strategies.base import Outcome
from automl_core.testing import check_strategy, conformance_spaces, toy_objective
from hyperopt import Trials, fmin, space_eval
from hyperopt.base import spec_from_misc

from automl_core_hyperopt import TPESpec, TPEStrategy, flatten, to_hyperopt, tpe_algo


def test_conformance():
    check_strategy(TPESpec())


def test_conformance_past_startup():
    # n_startup_jobs=5: the TPE model itself (not only its random start) runs the kit
    check_strategy(TPESpec(n_startup_jobs=5))


def test_discovered_through_the_entry_point():
    registry = build_registry()
    assert registry.get("strategy", "tpe") is TPESpec
    assert registry.provider("strategy", "tpe").dist == "automl-core-hyperopt"


def test_conditional_space_maps_to_nested_choice():
    space = conformance_spaces()["conditional"]
    hp_space = to_hyperopt(space)
    assert set(hp_space) == {"model", "scale"}  # children live inside the model's branches
    s = TPEStrategy(space, "max", seed=0, n_startup_jobs=3)
    for i in range(30):
        p = s.ask(f"t{i}")
        space.check_point(p)  # active dims only, real values (never choice indices)
        assert p["model"] in ("svc", "rf", "lr")
        if p["model"] == "svc":
            assert p["svc.kernel"] in ("rbf", "linear")
        s.tell(f"t{i}", Outcome(toy_objective(space, p)))


def test_child_shared_by_two_branches_gets_one_label_per_branch():
    space = SearchSpace(
        (
            Dim("model", Choice(["a", "b", "c"])),
            Dim("C", Float(0.1, 10, log=True), ("model", frozenset({"a", "b"}))),
        )
    )
    s = TPEStrategy(space, "min", seed=1, n_startup_jobs=2)
    for i in range(12):
        p = s.ask(str(i))
        space.check_point(p)
        s.tell(str(i), Outcome(p.get("C", 5.0)))


def _run_ours(space, objective, seed, n, **kw):
    s = TPEStrategy(space, "min", seed, **kw)
    points = []
    for i in range(n):
        p = s.ask(f"t{i}")
        points.append(p)
        s.tell(f"t{i}", Outcome(objective(p)))
    return points


def _run_fmin(space, objective, seed, n, **kw):
    hp_space = to_hyperopt(space)
    trials = Trials()
    fmin(
        lambda sample: objective(flatten(space, sample)),
        hp_space,
        algo=tpe_algo(**kw),
        max_evals=n,
        trials=trials,
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return [flatten(space, space_eval(hp_space, spec_from_misc(t["misc"]))) for t in trials.trials]


@pytest.mark.parametrize("name", ["flat", "conditional"])
def test_equal_to_hyperopt_fmin_for_the_same_seed(name):
    space = conformance_spaces()[name]

    def objective(p):
        return -toy_objective(space, p)

    for seed in (0, 7):
        ours = _run_ours(space, objective, seed, 30, n_startup_jobs=8)
        theirs = _run_fmin(space, objective, seed, 30, n_startup_jobs=8)
        assert ours == theirs


def test_pending_and_failed_trials():
    space = conformance_spaces()["flat"]
    s = TPEStrategy(space, "max", seed=2, n_startup_jobs=4)
    pts = [s.ask(f"p{i}") for i in range(6)]  # six pending at once
    assert len({tuple(sorted(p.items())) for p in pts}) == 6
    s.tell("p0", Outcome(None, "failed"))
    s.tell("p1", Outcome(float("nan")))
    for i in range(2, 6):
        s.tell(f"p{i}", Outcome(toy_objective(space, pts[i])))
    docs = s.trials.trials
    assert [d["result"]["status"] for d in docs[:2]] == ["fail", "fail"]
    s.ask("next")  # the model runs on a mix of ok, failed and pending docs


def test_time_per_suggestion_at_100_observations():
    space = SearchSpace(tuple(Dim(f"x{i}", Float(0.0, 1.0)) for i in range(6)))
    s = TPEStrategy(space, "min", seed=0)
    rng = np.random.default_rng(0)
    for i in range(100):
        s.ask(str(i))
        s.tell(str(i), Outcome(float(rng.random())))
    times = []
    for i in range(100, 110):
        t0 = time.process_time()  # CPU time: wall time on a shared 2-core machine is noise
        p = s.ask(str(i))
        times.append(time.process_time() - t0)
        s.tell(str(i), Outcome(sum(p.values())))
    # the target is 10 ms (the benchmark measures it); slack for slower CI machines
    assert np.median(times) < 0.025, np.median(times)


def test_int_dims_are_ints():
    space = SearchSpace((Dim("n", Int(1, 1000, log=True)), Dim("k", Int(0, 3))))
    s = TPEStrategy(space, "min", seed=0, n_startup_jobs=2)
    for i in range(10):
        p = s.ask(str(i))
        assert type(p["n"]) is int and type(p["k"]) is int
        s.tell(str(i), Outcome(float(p["n"] + p["k"])))
