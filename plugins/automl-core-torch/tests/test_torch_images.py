"""Images: pixel-column layouts, arrays, folders of PNGs through the image cleaners to the CNN."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from automl_core.data.cleaning import ImageNormalize, ImageResize, image_paths, images_to_frame
from automl_core.data.cleaning.guard import NumericGuard
from automl_core.evaluation.pipeline import AutoPipeline

from automl_core_torch import CNNNet, TorchClassifier, image_layout, load_image_folder, to_nhwc


def test_layout_from_column_names():
    frame = images_to_frame(np.zeros((2, 3, 4, 2), dtype=np.float32))
    assert image_layout(frame.columns) == ((3, 4, 2), None)
    shape, pos = image_layout(list(reversed(frame.columns)))
    assert shape == (3, 4, 2) and list(pos) == list(range(23, -1, -1))
    with pytest.raises(ValueError, match="named twice"):
        image_layout(["px_0_0_0", "px_0_0_0", "px_0_1_0"])
    with pytest.raises(ValueError, match="only pixel columns"):
        image_layout(["px_0_0_0", "age"])


def test_to_nhwc_reads_every_accepted_input():
    images = np.random.default_rng(0).random((5, 3, 4, 2)).astype(np.float32)
    frame = images_to_frame(images)
    assert np.array_equal(to_nhwc(frame), images)
    assert np.array_equal(to_nhwc(frame[frame.columns[::-1]]), images)  # order by name
    assert np.array_equal(to_nhwc(images), images)
    assert to_nhwc(images[..., 0]).shape == (5, 3, 4, 1)
    assert np.array_equal(to_nhwc(images.reshape(5, -1), image_shape=(3, 4, 2)), images)
    table = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    assert to_nhwc(table).shape == (2, 1, 2, 1)  # a plain table: a 1-pixel-high image
    dropped = to_nhwc(frame.drop(columns="px_0_0_0"))
    assert dropped.shape == images.shape and (dropped[:, 0, 0, 0] == 0).all()


def test_load_image_folder(png_folder):
    with pytest.raises(ValueError, match="image_resize|size"):
        load_image_folder(png_folder)  # the files differ in size
    df = load_image_folder(png_folder, size=(8, 8))
    assert len(df) == 24 and sorted(df["label"].unique()) == ["h", "v"]
    assert df.columns[-2] == "px_7_7_0" and df.drop(columns="label").to_numpy().max() > 1
    images, labels = load_image_folder(png_folder, size=(6, 7), as_frame=False)
    assert images.shape == (24, 6, 7, 1) and len(labels) == 24


def test_paths_through_the_image_cleaners_to_the_cnn(png_folder):
    table = image_paths(png_folder)
    X, y = table[["path"]], table["label"]
    pipe = AutoPipeline(
        [
            ("resize", ImageResize(height=8, width=8)),
            ("normalize", ImageNormalize(method="unit")),
            ("guard", NumericGuard()),
            (
                "cnn",
                TorchClassifier(
                    CNNNet(filters=8, dense_units=16),
                    epochs=25,
                    batch_size=8,
                    learning_rate=1e-2,
                    n_jobs=1,
                ),
            ),
        ]
    )
    pipe.fit(X, y)
    assert pipe.steps[-1][1].input_shape_ == (1, 8, 8)
    assert (pipe.predict(X) == y).mean() >= 0.9
