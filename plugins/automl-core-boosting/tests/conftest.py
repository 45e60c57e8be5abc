"""Fixtures of the boosting plugin's tests.

``ray_session`` matches the repository's ``tests/conftest.py`` one (pytest does not share a
conftest across sibling folders): one local Ray for the whole session, joined when the root
tests already started it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def ray_session():
    import ray
    from automl_core.runner.session import ensure_ray

    if not ray.is_initialized():
        ensure_ray(num_cpus=2)
    yield ray


@pytest.fixture
def mixed_table():
    """200 rows: two informative numbers, a category that matters, a gap; labels as text."""
    rng = np.random.default_rng(0)
    n = 200
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "plan": rng.choice(["basic", "pro", "team"], size=n),
        }
    )
    signal = X["a"] + X["b"].fillna(0) + (X["plan"] == "pro") * 1.5
    y = pd.Series(np.where(signal + rng.normal(scale=0.3, size=n) > 0.5, "yes", "no"), name="y")
    return X, y
