"""Image cleaners on arrays, on image files and on each other's output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from automl_core.data.cleaning import (
    ImageBinarize,
    ImageGrayscale,
    ImageNormalize,
    ImageResize,
    frame_to_images,
    image_paths,
    images_to_frame,
)
from automl_core.evaluation.cv import cross_validate, make_folds
from automl_core.evaluation.pipeline import build_pipeline
from automl_core.plugins import get_registry
from automl_core.search.config_space import Resolved

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Models here are tiny: BLAS threads on a shared 2-core machine only slow them down."""
    with threadpool_limits(1):
        yield


def _images(n=12, h=8, w=6, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


def test_frame_round_trip_and_shape_in_names():
    imgs = _images()
    frame = images_to_frame(imgs)
    assert frame.shape == (12, 8 * 6 * 3) and frame.columns[-1] == "px_7_5_2"
    np.testing.assert_array_equal(frame_to_images(frame), imgs.astype(np.float32))
    with pytest.raises(ValueError, match="pixel columns"):
        frame_to_images(pd.DataFrame({"a": [1.0]}))


def test_resize_grayscale_binarize_normalize_on_arrays():
    imgs = _images()
    small = frame_to_images(ImageResize(height=4, width=3).fit_transform(imgs))
    assert small.shape == (12, 4, 3, 3)
    # a 2x box: bilinear at pixel centres averages each 2x2 block
    np.testing.assert_allclose(
        small[0, 0, 0], imgs[0, :2, :2].reshape(-1, 3).mean(axis=0), rtol=1e-5
    )
    gray = frame_to_images(ImageGrayscale().fit_transform(imgs))
    assert gray.shape == (12, 8, 6, 1)
    assert gray[0, 0, 0, 0] == pytest.approx(imgs[0, 0, 0] @ [0.299, 0.587, 0.114], rel=1e-5)
    binary = ImageBinarize(threshold=0.5).fit(imgs).transform(imgs)
    assert set(np.unique(binary)) == {0.0, 1.0}
    assert binary.to_numpy().mean() == pytest.approx((imgs >= 127.5).mean())
    unit = ImageNormalize().fit_transform(imgs)
    assert unit.to_numpy().max() <= 1.0 and unit.to_numpy().min() >= 0.0
    std = frame_to_images(ImageNormalize(method="standard").fit_transform(imgs))
    np.testing.assert_allclose(std.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    per = frame_to_images(ImageNormalize(method="per_image").fit_transform(imgs))
    np.testing.assert_allclose(per.mean(axis=(1, 2, 3)), 0, atol=1e-5)


def test_binarize_threshold_is_learned_on_the_pixel_scale():
    # uint8 images through another cleaner arrive as floats 0..255: still "half of 255"
    imgs = _images()
    gray = ImageGrayscale().fit_transform(imgs)
    binary = ImageBinarize(threshold=0.25).fit(gray).transform(gray)
    assert binary.to_numpy().mean() == pytest.approx((frame_to_images(gray) >= 63.75).mean())
    # images already in [0, 1]
    unit = np.random.default_rng(1).random((5, 4, 4))
    out = ImageBinarize(threshold=0.7).fit(unit).transform(unit)
    assert out.to_numpy().mean() == pytest.approx((unit >= 0.7).mean())


def _write_folder(root, sizes):
    for i, (h, w) in enumerate(sizes):
        label = "cat" if i % 2 else "dog"
        (root / label).mkdir(exist_ok=True)
        arr = np.full((h, w, 3), 40 if label == "dog" else 220, dtype=np.uint8)
        PIL.fromarray(arr).save(root / label / f"img{i}.png")


def test_image_files_from_a_folder(tmp_path):
    _write_folder(tmp_path, [(10, 12), (20, 16), (10, 12), (30, 30)] * 3)
    table = image_paths(tmp_path)
    assert sorted(table["label"].unique()) == ["cat", "dog"] and len(table) == 12
    X = table[["path"]]
    pixels = ImageResize(height=5, width=6).fit_transform(X)
    assert pixels.shape == (12, 5 * 6 * 3) and list(pixels.index) == list(X.index)
    with pytest.raises(ValueError, match="image_resize"):
        ImageGrayscale().fit(X)  # different sizes and no resize: a clear message


def test_image_chain_cross_validates_from_files(tmp_path):
    _write_folder(tmp_path, [(9, 9)] * 12)
    table = image_paths(tmp_path)
    X, y = table[["path"]], table["label"]
    reg = get_registry()
    cleaners = [
        reg.get("cleaner", "image_resize")(height=4, width=4),
        reg.get("cleaner", "image_grayscale")(),
        reg.get("cleaner", "image_binarize")(threshold=0.5),
    ]
    model = reg.get("model", "logistic_regression")()
    pipe = build_pipeline(Resolved(cleaners, model, [], "logistic_regression"), "classification", 0)
    folds = make_folds(y, "classification", 3, True, None, 0)
    assert cross_validate(pipe, X, y, folds, "accuracy")["score"] == 1.0
