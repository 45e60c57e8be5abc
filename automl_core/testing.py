"""Conformance kit for plugin authors (builtins use it too).

Strategies::

    from automl_core.testing import check_strategy
    def test_my_strategy():
        check_strategy(MyStrategySpec())

Specs (cleaners, models, regularizers)::

    from automl_core.testing import check_spec
    def test_my_cleaner():
        check_spec(MyCleanerSpec())

Each check raises ``AssertionError`` with what went wrong; nothing here needs Ray.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .space import Choice, Dim, Float, Int, SearchSpace
from .specs import CleanerSpec, ComponentSpec, ModelSpec, RegularizerSpec, StrategySpec
from .strategies.base import Outcome, Strategy

__all__ = [
    "conformance_spaces",
    "check_strategy",
    "check_spec",
    "toy_objective",
]


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


def _drive(
    make: Callable[[SearchSpace, int], Strategy],
    space: SearchSpace,
    seed: int,
    n: int,
    pending: int = 1,
    fail_every: int = 0,
) -> list[dict[str, Any]]:
    """Run ``n`` asks with up to ``pending`` outstanding; return the points in ask order."""
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
    id is ignored without crashing the strategy.
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


def _check_resume(make, space: SearchSpace, n: int, where: str) -> None:
    """Stop after n/2 trials, save, restore into a fresh strategy: the rest must match."""
    half = n // 2
    ref = make(space, 11)
    tail_ref = []
    for i in range(n):
        p = ref.ask(f"t{i}")
        if p is None:
            break
        ref.tell(f"t{i}", Outcome(toy_objective(space, p)))
        if i >= half:
            tail_ref.append(p)
    first = make(space, 11)
    for i in range(half):
        p = first.ask(f"t{i}")
        if p is None:
            return
        first.tell(f"t{i}", Outcome(toy_objective(space, p)))
    state = pickle.loads(pickle.dumps(first.state_dict()))
    second = make(space, 11)
    second.load_state_dict(state)
    tail = []
    for i in range(half, n):
        p = second.ask(f"t{i}")
        if p is None:
            break
        second.tell(f"t{i}", Outcome(toy_objective(space, p)))
        tail.append(p)
    assert tail == tail_ref, f"{where} after save/restore the strategy suggested other points"


def _frame() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": np.where(rng.random(n) < 0.1, np.nan, rng.normal(3, 2, size=n)),
            "c": rng.choice(["x", "y", "z"], size=n),
        }
    )
    y = pd.Series((X["a"] + rng.normal(scale=0.5, size=n) > 0).astype(int), name="y")
    return X, y


def _no_none(value: Any, path: str) -> None:
    """TOML has no null: a spec written into a config file must hold no None anywhere."""
    if value is None:
        raise AssertionError(f"{path} is None, which TOML cannot write (use a sentinel value)")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_none(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_none(v, f"{path}[{i}]")


def _check_cleaner(spec: CleanerSpec, data: tuple[Any, Any] | None) -> None:
    """Cleaner contract: see :func:`check_spec`."""
    from sklearn.base import clone

    name = type(spec).__name__
    dumped = spec.model_dump(mode="json")
    _no_none(dumped, name)
    try:
        import tomli_w

        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover
            import tomli as tomllib
    except ImportError:  # pragma: no cover - tomli_w is a dependency
        pass
    else:
        back = tomllib.loads(tomli_w.dumps({"cleaner": dumped}))["cleaner"]
        assert type(spec).model_validate(back) == spec, f"{name} does not round-trip through TOML"
    if not spec.is_resolved():
        return
    custom = data is not None or hasattr(type(spec), "conformance_data")
    if data is None:
        data = type(spec).conformance_data() if custom else _frame()
    X, y = data
    obj = spec.build("classification")
    if spec.stage == "dataset":
        Xo, yo, info = obj.apply(X, y)
        assert len(Xo) == len(yo) and isinstance(info, dict), f"{name}.apply broke X/y/info"
        json.dumps(info)  # reported in the results: must be plain data
        return
    clone(obj)  # scikit-learn's __init__ rule: parameters stored as given
    fit_X, fit_y = X.iloc[:80], y.iloc[:80]
    before = fit_X.copy()
    fitted = obj.fit(fit_X, fit_y)
    assert fitted is obj, f"{name}.fit must return self"
    pd.testing.assert_frame_equal(fit_X, before, obj=f"{name}.fit modified its input")
    new_X = X.iloc[80:]
    out = fitted.transform(new_X)
    assert isinstance(out, pd.DataFrame), f"{name} must return a DataFrame"
    assert len(out) == len(new_X), f"{name} changed the number of rows at transform"
    assert list(out.index) == list(new_X.index), f"{name} changed the row index at transform"
    assert not out.columns.duplicated().any(), f"{name} produced duplicated column names"
    again = pickle.loads(pickle.dumps(fitted)).transform(new_X)
    pd.testing.assert_frame_equal(out, again)
    if hasattr(obj, "fit_resample"):
        Xr, yr = clone(obj).fit_resample(fit_X, fit_y)
        assert len(Xr) == len(yr), f"{name}.fit_resample returned X and y of different lengths"
        pd.testing.assert_frame_equal(
            fitted.transform(new_X), new_X, obj=f"{name}.transform must pass rows through"
        )
    if hasattr(obj, "sample_weight"):
        w = np.asarray(fitted.sample_weight(fit_y))
        assert w.shape == (len(fit_y),) and np.all(w >= 0), f"{name}.sample_weight is invalid"
        Xr, yr = fitted.resample_instead(fit_X, fit_y)
        assert len(Xr) == len(yr), f"{name}.resample_instead returned X, y of different lengths"
    if not custom:
        # a category never seen at fit must not crash at predict time
        unseen = new_X.assign(c=["never-seen"] * len(new_X))
        assert len(fitted.transform(unseen)) == len(new_X), f"{name} broke on an unseen category"


def check_spec(spec: ComponentSpec, data: tuple[Any, Any] | None = None) -> None:
    """Conformance of a cleaner, model or regularizer spec.

    Every spec is frozen, rejects unknown keys and round-trips through JSON. A cleaner also
    round-trips through TOML with no None anywhere (the chain used is written as TOML); builds
    a transformer that scikit-learn can ``clone``, whose ``fit`` returns itself without changing
    its input, and which is then applied to other rows without refitting: a DataFrame with those
    rows and index, no duplicated column names, the same after pickling, no crash on a category
    never seen at fit. A resampler (``fit_resample``) keeps X and y aligned and passes rows
    through ``transform`` untouched; a weighting step (``sample_weight``) gives one non-negative
    weight per row. Dataset-stage cleaners return ``(X, y, info)`` with JSON-ready ``info``.
    Models build an estimator that fits and predicts once the data is numeric.

    ``data=(X, y)`` replaces the built-in mixed table, for cleaners of other inputs (images);
    a spec class may also provide it as a ``conformance_data()`` classmethod.
    """
    cls = type(spec)
    name = cls.__name__
    assert cls.model_config.get("frozen"), f"{name} must be frozen"
    assert cls.model_config.get("extra") == "forbid", f"{name} must forbid unknown keys"
    data_json = spec.model_dump(mode="json")
    assert cls.model_validate(data_json) == spec, f"{name} does not round-trip through JSON"
    try:
        cls.model_validate({**data_json, "__surely_unknown__": 1})
    except Exception:
        pass
    else:  # pragma: no cover - the assertion is the message
        raise AssertionError(f"{name} accepted an unknown key")
    if isinstance(spec, CleanerSpec):
        _check_cleaner(spec, data)
        return
    if not spec.is_resolved():
        return
    X, y = _frame()
    if isinstance(spec, ModelSpec):
        from .cleaning import Imputer, OneHotEncoder

        Xn = OneHotEncoder().fit_transform(Imputer().fit_transform(X))
        task = "classification" if "classification" in spec.tasks else "regression"
        target = y if task == "classification" else X["a"] * 2.0
        est = spec.build(task, [], seed=0)
        est.fit(Xn, target)
        pred = est.predict(Xn)
        assert len(pred) == len(Xn), f"{name} predicted the wrong number of rows"
        assert np.all(np.isfinite(np.asarray(pred, dtype=float))), f"{name} predicted non-finite"
    elif isinstance(spec, RegularizerSpec):
        assert all(math.isfinite(v) for v in data_json.values() if isinstance(v, float))
