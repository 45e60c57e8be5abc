"""The spec conformance kit: a spec dumps, round-trips, builds, and its transformer keeps the
scikit-learn contract."""

from __future__ import annotations

import json
import math
import pickle
import sys
from typing import Any

import numpy as np
import pandas as pd

from ..specs import CleanerSpec, ComponentSpec, ModelSpec, RegularizerSpec


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
        from ..data.cleaning import Imputer, OneHotEncoder

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
