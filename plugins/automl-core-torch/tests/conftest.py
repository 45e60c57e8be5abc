"""Fixtures of the torch plugin's tests.

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


@pytest.fixture(scope="session")
def digits_frame():
    """scikit-learn's digits (8x8, ships with it) as px_r_c_0 columns in [0, 1], and labels."""
    from automl_core.data.cleaning import images_to_frame
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return images_to_frame((X / 16.0).reshape(-1, 8, 8)), pd.Series(y, name="label")


@pytest.fixture
def small_table():
    """A small numeric classification table (two informative columns)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(160, 4)), columns=list("abcd"))
    y = pd.Series(np.where(X["a"] + X["b"] > 0, "yes", "no"), name="y")
    return X, y


@pytest.fixture
def png_folder(tmp_path):
    """Class sub-folders of small grey PNGs: 'h' a horizontal bar, 'v' a vertical bar (noisy,
    at random positions, of mixed sizes so that a resize is needed)."""
    pytest.importorskip("PIL")
    from PIL import Image

    root = tmp_path / "images"
    n_per_class, size = 12, 10
    rng = np.random.default_rng(0)
    for label in ("h", "v"):
        (root / label).mkdir(parents=True)
        for i in range(n_per_class):
            s = size + int(rng.integers(0, 3))
            img = rng.integers(0, 60, size=(s, s)).astype(np.uint8)
            k = int(rng.integers(1, s - 2))
            if label == "h":
                img[k : k + 2, 1:-1] = 255
            else:
                img[1:-1, k : k + 2] = 255
            Image.fromarray(img).save(root / label / f"{i}.png")
    return root
