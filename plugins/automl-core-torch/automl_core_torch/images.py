"""How the CNN reads images, and image folders into a table.

The table contract shared with automl-core's image cleaners (``automl_core.data.cleaning.images``):
an image is a row of float32 pixel columns named ``px_{row}_{col}_{channel}`` in C order (row,
then column, then channel), so the names carry the shape. Reading, resizing and normalising
files is the cleaners' job; this module only turns their output (or arrays) into the
(N, H, W, C) batch a network takes. Nothing here imports torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["image_layout", "to_nhwc", "load_image_folder"]

_PX = re.compile(r"^px_(\d+)_(\d+)_(\d+)$")


def image_layout(columns: Sequence) -> tuple[tuple[int, int, int], np.ndarray | None]:
    """``((H, W, C), positions)`` of pixel columns: where each column sits in the C-order
    flattened image, or None when the columns are exactly that order (the usual case).

    The shape is the largest row, column and channel named. Pixels with no column (a cleaner
    dropped them, e.g. constant in the training rows) are read as 0. Raises ``ValueError`` when
    some columns are not pixel columns or one is named twice.
    """
    names = [str(c) for c in columns]
    found = [_PX.match(n) for n in names]
    others = [n for n, m in zip(names, found) if m is None]
    if others:
        raise ValueError(
            "image models take only pixel columns px_<row>_<col>_<channel> (the output of the "
            f"image cleaners); these are not: {others[:5]}"
        )
    idx = np.array([[int(g) for g in m.groups()] for m in found], dtype=np.int64)
    h, w, c = (int(v) + 1 for v in idx.max(axis=0))
    flat = (idx[:, 0] * w + idx[:, 1]) * c + idx[:, 2]
    if len(flat) == h * w * c and np.array_equal(flat, np.arange(len(flat))):
        return (h, w, c), None
    if len(np.unique(flat)) != len(flat):
        raise ValueError("a pixel column is named twice")
    return (h, w, c), flat


def _has_pixel_names(columns: Sequence) -> bool:
    return any(_PX.match(str(c)) for c in columns)


def to_nhwc(X, image_shape: Sequence[int] | None = None) -> np.ndarray:
    """Images as a float32 (N, H, W, C) array, from any input the CNN accepts.

    - a DataFrame of ``px_r_c_ch`` columns (the shape comes from the names);
    - a numpy array (N, H, W) or (N, H, W, C);
    - a 2-D table or array with ``image_shape = (H, W, C)`` to reshape each row;
    - any other 2-D numeric table: a 1-pixel-high, 1-channel image (N, 1, F, 1), so the
      convolutions run along the column order.
    """
    if isinstance(X, pd.DataFrame):
        if image_shape is None and _has_pixel_names(X.columns):
            shape, positions = image_layout(X.columns)
            values = X.to_numpy(dtype=np.float32)
            if positions is not None:
                full = np.zeros((len(values), int(np.prod(shape))), dtype=np.float32)
                full[:, positions] = values
                values = full
            return values.reshape(len(values), *shape)
        X = X.to_numpy(dtype=np.float32)
    arr = np.asarray(X, dtype=np.float32)
    if arr.ndim == 4:
        return arr
    if arr.ndim == 3:
        return arr[..., None]
    if arr.ndim != 2:
        raise ValueError(f"images must be 2-D (rows), 3-D or 4-D arrays, got shape {arr.shape}")
    if image_shape is not None:
        h, w, c = (int(v) for v in image_shape)
        if h * w * c != arr.shape[1]:
            raise ValueError(
                f"image_shape {tuple(image_shape)} needs {h * w * c} columns, got {arr.shape[1]}"
            )
        return arr.reshape(len(arr), h, w, c)
    return arr.reshape(len(arr), 1, arr.shape[1], 1)


def load_image_folder(
    folder: str | Path,
    size: tuple[int, int] | None = None,
    as_frame: bool = True,
    label_column: str = "label",
):
    """Read a folder with one sub-folder per class into memory.

    ``size=(height, width)`` resizes while reading (needed when the files differ in size).
    Pixel values stay as in the files (0..255); grey files give one channel, others RGB.
    ``as_frame``: a DataFrame of ``px_r_c_ch`` columns plus ``label_column``, ready for
    ``ac.run(df, target="label", models=["cnn"])``; otherwise ``(images (N, H, W, C), labels)``.

    To keep only paths in the table and let the image cleaners read (and resize) the files
    inside each trial, use ``automl_core.data.cleaning.image_paths(folder)`` instead. Needs Pillow.
    """
    from automl_core.data.cleaning import image_paths, images_to_frame, load_images

    listing = image_paths(folder)
    images = load_images(listing["path"], size)
    labels = listing["label"].to_numpy()
    if not as_frame:
        return images.astype(np.float32), labels
    df = images_to_frame(images)
    df[label_column] = labels
    return df
