"""Optimisers under benchmark, each as ``run(problem, seed, n_evals, objective) -> None``.

``objective(values)`` takes one list of values (floats, ints, choice indices) in the problem's
dim order and returns the loss; the harness records every call and its timestamps, so the time
an optimiser spends between two evaluations is measured the same way for every library, whether
it is driven ask/tell or runs its own loop (hyperopt's ``fmin``, skopt's ``gp_minimize``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from functions import Problem

Objective = Callable[[list[Any]], float]

__all__ = ["METHODS", "available", "run_problem"]


def _our_space(pb: Problem):
    from automl_core.search.space import Choice, Dim, Float, Int, SearchSpace

    dims = []
    for i, (lo, hi) in enumerate(pb.bounds):
        kind = pb.kind(i)
        if kind == "float":
            dims.append(Dim(f"x{i}", Float(lo, hi, log=pb.log)))
        elif kind == "int":
            dims.append(Dim(f"x{i}", Int(int(lo), int(hi))))
        else:
            dims.append(Dim(f"x{i}", Choice(list(range(int(hi) + 1)))))
    return SearchSpace(tuple(dims))


def strategy_spec(kind: str):
    """The spec class of one of our strategies, imported directly: building the plugin
    registry would import every installed plugin, which a benchmark of strategies needs not."""
    if kind == "tpe":
        from automl_core_hyperopt import TPESpec

        return TPESpec
    from automl_core.builtins.strategies import GPSpec, RandomSpec

    return {"gp": GPSpec, "random": RandomSpec}[kind]


def _ours(kind: str) -> Callable[[Problem, int, int, Objective], None]:
    def run(pb: Problem, seed: int, n: int, objective: Objective) -> None:
        from automl_core.search.strategies.base import Outcome

        space = _our_space(pb)
        strat = strategy_spec(kind)().build(space, "min", seed)
        for i in range(n):
            p = strat.ask(str(i))
            strat.tell(str(i), Outcome(objective([p[f"x{j}"] for j in range(pb.dim)])))

    return run


def _optuna(sampler_name: str) -> Callable[[Problem, int, int, Objective], None]:
    def run(pb: Problem, seed: int, n: int, objective: Objective) -> None:
        import optuna
        from optuna.distributions import (
            CategoricalDistribution,
            FloatDistribution,
            IntDistribution,
        )

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        dists = {}
        for i, (lo, hi) in enumerate(pb.bounds):
            kind = pb.kind(i)
            if kind == "float":
                dists[f"x{i}"] = FloatDistribution(lo, hi, log=pb.log)
            elif kind == "int":
                dists[f"x{i}"] = IntDistribution(int(lo), int(hi))
            else:
                dists[f"x{i}"] = CategoricalDistribution(list(range(int(hi) + 1)))
        sampler = getattr(optuna.samplers, sampler_name)(seed=seed)
        study = optuna.create_study(sampler=sampler)
        for _ in range(n):
            trial = study.ask(dists)
            study.tell(trial, objective([trial.params[f"x{j}"] for j in range(pb.dim)]))

    return run


def _hyperopt(pb: Problem, seed: int, n: int, objective: Objective) -> None:
    from hyperopt import Trials, fmin, hp, tpe

    space = []
    for i, (lo, hi) in enumerate(pb.bounds):
        kind = pb.kind(i)
        if kind == "float":
            if pb.log:
                space.append(hp.loguniform(f"x{i}", math.log(lo), math.log(hi)))
            else:
                space.append(hp.uniform(f"x{i}", lo, hi))
        elif kind == "int":
            space.append(hp.uniformint(f"x{i}", int(lo), int(hi)))
        else:
            space.append(hp.choice(f"x{i}", list(range(int(hi) + 1))))
    fmin(
        lambda xs: objective(list(xs)),
        space,
        algo=tpe.suggest,
        max_evals=n,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )


def _skopt(pb: Problem, seed: int, n: int, objective: Objective) -> None:
    from skopt import gp_minimize
    from skopt.space import Categorical, Integer, Real

    dims = []
    for i, (lo, hi) in enumerate(pb.bounds):
        kind = pb.kind(i)
        if kind == "float":
            dims.append(Real(lo, hi, prior="log-uniform" if pb.log else "uniform"))
        elif kind == "int":
            dims.append(Integer(int(lo), int(hi)))
        else:
            dims.append(Categorical(list(range(int(hi) + 1))))
    gp_minimize(lambda xs: objective(list(xs)), dims, n_calls=n, random_state=seed)


METHODS: dict[str, Callable[[Problem, int, int, Objective], None]] = {
    "gp": _ours("gp"),
    "tpe": _ours("tpe"),
    "random": _ours("random"),
    "optuna-gp": _optuna("GPSampler"),
    "optuna-tpe": _optuna("TPESampler"),
    "hyperopt-fmin": _hyperopt,
    "skopt-gp": _skopt,
}

_NEEDS = {
    "tpe": ["automl_core_hyperopt"],
    "optuna-gp": ["optuna", "torch"],
    "optuna-tpe": ["optuna"],
    "hyperopt-fmin": ["hyperopt"],
    "skopt-gp": ["skopt"],
}


def available(method: str) -> str | None:
    """None when ``method`` can run here, else what is missing."""
    import importlib.util

    missing = [m for m in _NEEDS.get(method, []) if importlib.util.find_spec(m) is None]
    return ", ".join(missing) or None


def run_problem(pb: Problem, method: str, seed: int, n: int) -> dict:
    """One optimiser on one problem for one seed: losses and suggestion gaps, in order.

    A gap is the wall (and CPU) time between the end of one evaluation and the start of the
    next: what a worker waits for the optimiser, measured alike for every library.
    """
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    losses: list[float] = []
    starts: list[tuple[float, float]] = []  # (wall, cpu) at each evaluation's start
    ends: list[tuple[float, float]] = []

    def objective(xs):
        starts.append((time.perf_counter(), time.process_time()))
        v = float(pb.f(np.array(xs, dtype=float)))
        losses.append(v)
        ends.append((time.perf_counter(), time.process_time()))
        return v

    t0 = (time.perf_counter(), time.process_time())
    METHODS[method](pb, seed, n, objective)
    gaps = [(s[0] - e[0], s[1] - e[1]) for s, e in zip(starts, [t0] + ends[:-1])]
    return {
        "problem": pb.name,
        "method": method,
        "seed": seed,
        "losses": losses,
        "gaps": [g[0] for g in gaps],
        "cpu_gaps": [g[1] for g in gaps],
        "regret": min(losses) - pb.f_min,
    }
