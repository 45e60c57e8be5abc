"""The strategy conformance kit: ask/tell on every kind of space, odd tells, resume, fidelity."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from ..search.space import Choice, Dim, Float, Int, SearchSpace
from ..search.strategies.base import Outcome, Strategy
from ..specs import StrategySpec


def conformance_spaces() -> dict[str, SearchSpace]:
    """Spaces every strategy must handle: flat mixed types, and a conditional model choice.

    Every range here has ``grid_points`` so grid strategies can run them too.
    """
    flat = SearchSpace(
        (
            Dim("x", Float(-5.0, 10.0, grid_points=4)),
            Dim("lr", Float(1e-4, 1e-1, log=True, grid_points=3)),
            Dim("layers", Int(1, 4)),
            Dim("units", Int(8, 256, log=True, grid_points=3)),
            Dim("act", Choice(["relu", "tanh", "gelu"])),
        ),
        {"const": 7},
    )
    cond = SearchSpace(
        (
            Dim("model", Choice(["svc", "rf", "lr"])),
            Dim("svc.C", Float(1e-2, 1e2, log=True, grid_points=3), ("model", frozenset({"svc"}))),
            Dim("svc.kernel", Choice(["rbf", "linear"]), ("model", frozenset({"svc"}))),
            Dim("rf.depth", Int(1, 12), ("model", frozenset({"rf"}))),
            Dim("lr.l1", Float(0.0, 1.0, grid_points=3), ("model", frozenset({"lr"}))),
            Dim("scale", Choice([True, False])),
        )
    )
    return {"flat": flat, "conditional": cond}


def toy_objective(space: SearchSpace, params: dict[str, Any]) -> float:
    """A deterministic score of a point of any space (higher is better), for driving strategies."""
    total = 0.0
    for d in space.active(params):
        u = space.to_unit(d, params[d.name])
        total -= (u - 0.3) ** 2
    return total


def _assert_valid(space: SearchSpace, point: Any, where: str) -> None:
    assert isinstance(point, dict), f"{where}: ask() returned {type(point).__name__}, not a dict"
    try:
        space.check_point(point)
    except ValueError as exc:
        raise AssertionError(f"{where}: {exc}") from None
    for d in space.active(point):
        v = point[d.name]
        if isinstance(d.domain, Int):
            assert isinstance(v, (int, np.integer)) and not isinstance(v, bool), (
                f"{where}: {d.name}={v!r} is not an int"
            )
        if isinstance(d.domain, Float):
            assert isinstance(v, float), f"{where}: {d.name}={v!r} is not a float"


def toy_outcome(space: SearchSpace, params: dict[str, Any], k: int) -> Outcome:
    """Trial ``k`` of a scheduled run on :func:`toy_objective`, epochs 1-9, rungs at 1 and 3.

    Two trials in three are stopped early (at epoch 1 or 3, status ``"stopped early"``), the
    third runs to epoch 9; every one carries its ``fidelity`` and ``curve`` (the score at each
    epoch reported, ``toy_objective - 1 / epoch``: lower rungs rank points like the end).
    """
    final = toy_objective(space, params)
    last = (1, 3, 9)[k % 3]
    curve = {float(e): final - 1.0 / e for e in range(1, last + 1)}
    status = "ok" if last == 9 else "stopped early"
    return Outcome(curve[float(last)], status, {}, fidelity=float(last), curve=curve)


def _drive(
    make: Callable[[SearchSpace, int], Strategy],
    space: SearchSpace,
    seed: int,
    n: int,
    pending: int = 1,
    fail_every: int = 0,
    epochs: bool = False,
) -> list[dict[str, Any]]:
    """Run ``n`` asks with up to ``pending`` outstanding; return the points in ask order.

    ``epochs``: trials report epochs and most are stopped early (:func:`toy_outcome`).
    """
    strat = make(space, seed)
    points: list[dict[str, Any]] = []
    outstanding: list[tuple[str, dict]] = []
    i = 0
    while i < n or outstanding:
        while i < n and len(outstanding) < pending:
            tid = f"t{i}"
            p = strat.ask(tid)
            i += 1
            if p is None:
                n = i  # exhausted (a grid)
                break
            _assert_valid(space, p, f"trial {tid}")
            points.append(p)
            outstanding.append((tid, p))
        if not outstanding:
            break
        tid, p = outstanding.pop(0)
        k = int(tid[1:])
        if fail_every and k % fail_every == 1:
            strat.tell(tid, Outcome(None, "failed"))
        elif fail_every and k % fail_every == 2:
            strat.tell(tid, Outcome(float("nan"), "failed"))
        elif fail_every and k % (3 * fail_every) == 0:
            # a trial that "succeeded" with a NaN or infinite score (``Outcome.ok`` is False)
            strat.tell(tid, Outcome(float("nan") if k % 2 else float("inf")))
        elif epochs:
            strat.tell(tid, toy_outcome(space, p, k))
        else:
            strat.tell(tid, Outcome(toy_objective(space, p)))
    return points


def check_strategy(
    spec_or_factory: StrategySpec | Callable[[SearchSpace, int], Strategy],
    spaces: dict[str, SearchSpace] | None = None,
    n_trials: int = 24,
    mode: str = "max",
) -> None:
    """Run the strategy conformance checks; raises ``AssertionError`` naming the failed check.

    Checks, on each space: points stay inside bounds and types and hold exactly the active dims;
    the same seed gives the same suggestions (also with 4 asks pending); failed, NaN and
    infinite trials are survived; several pending asks work; ``state_dict``/``load_state_dict``
    (through pickle) continue the same sequence; and ``tell`` for an unknown or repeated trial
    id is ignored without crashing the strategy. Then the same with trials that report epochs
    and are mostly stopped early (``Outcome.fidelity`` and ``curve``, :func:`toy_outcome`):
    accepted, reproducible for a seed, and the state round trip is still exact.
    """
    if isinstance(spec_or_factory, StrategySpec):
        spec = spec_or_factory

        def make(space, seed):
            spec.check_space(space)
            return spec.build(space, mode, seed)
    else:
        make = spec_or_factory
    for name, space in (spaces or conformance_spaces()).items():
        where = f"[{name} space]"
        a = _drive(make, space, seed=3, n=n_trials)
        assert a, f"{where} ask() gave no point at all"
        b = _drive(make, space, seed=3, n=n_trials)
        assert a == b, f"{where} the same seed gave different suggestions"
        _drive(make, space, seed=4, n=n_trials, fail_every=3)
        c = _drive(make, space, seed=5, n=n_trials, pending=4)
        d = _drive(make, space, seed=5, n=n_trials, pending=4)
        assert c == d, f"{where} with 4 pending asks the same seed gave different suggestions"
        _check_odd_tells(make, space, where)
        # conditional activity is actually explored: every branch of `model` shows up
        if "model" in space.names and not isinstance(spec_or_factory, type(None)):
            seen = {p["model"] for p in a}
            assert len(seen) > 1, f"{where} only model branches {seen} were ever suggested"
        _check_resume(make, space, n_trials, where)
        e = _drive(make, space, seed=7, n=n_trials, pending=2, epochs=True)
        f = _drive(make, space, seed=7, n=n_trials, pending=2, epochs=True)
        assert e == f, f"{where} with epochs and early stops the same seed gave other suggestions"
        _check_resume(make, space, n_trials, f"{where} (epochs, early stops)", epochs=True)


def _check_odd_tells(make, space: SearchSpace, where: str) -> None:
    """``tell`` for an unknown or an already told trial id is ignored, not a crash."""
    strat = make(space, 6)
    p = strat.ask("a")
    if p is None:
        return
    strat.tell("a", Outcome(toy_objective(space, p)))
    try:
        strat.tell("a", Outcome(toy_objective(space, p)))
        strat.tell("never-asked", Outcome(1.0))
    except Exception as exc:  # pragma: no cover - the assertion is the message
        raise AssertionError(
            f"{where} tell() for a repeated or unknown trial raised {exc!r}"
        ) from exc
    q = strat.ask("b")
    if q is not None:
        _assert_valid(space, q, f"{where} after odd tells")


def _check_resume(make, space: SearchSpace, n: int, where: str, epochs: bool = False) -> None:
    """Stop after n/2 trials, save, restore into a fresh strategy: the rest must match."""

    def outcome(p: dict[str, Any], i: int) -> Outcome:
        return toy_outcome(space, p, i) if epochs else Outcome(toy_objective(space, p))

    half = n // 2
    ref = make(space, 11)
    tail_ref = []
    for i in range(n):
        p = ref.ask(f"t{i}")
        if p is None:
            break
        ref.tell(f"t{i}", outcome(p, i))
        if i >= half:
            tail_ref.append(p)
    first = make(space, 11)
    for i in range(half):
        p = first.ask(f"t{i}")
        if p is None:
            return
        first.tell(f"t{i}", outcome(p, i))
    state = pickle.loads(pickle.dumps(first.state_dict()))
    second = make(space, 11)
    second.load_state_dict(state)
    tail = []
    for i in range(half, n):
        p = second.ask(f"t{i}")
        if p is None:
            break
        second.tell(f"t{i}", outcome(p, i))
        tail.append(p)
    assert tail == tail_ref, f"{where} after save/restore the strategy suggested other points"
