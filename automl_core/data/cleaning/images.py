"""Image cleaners: resize, grayscale, binarize, normalize; for image arrays and image files.

Input, any of:

- a numpy array of shape ``(N, H, W)`` or ``(N, H, W, C)``;
- a DataFrame with one column of image file paths (PNG, JPEG... read with Pillow);
- a DataFrame of pixel columns as these cleaners output.

Output: always a DataFrame of float32 pixel columns named ``px_<row>_<col>_<channel>`` (one row
per image, flattened in (H, W, C) order). Choosing a DataFrame keeps image cleaners ordinary
pipeline steps (any model takes the flattened pixels, the conformance kit applies) and the names
carry the shape, so the next image cleaner reshapes without extra state. Use
:func:`frame_to_images` to get the ``(N, H, W, C)`` array back, :func:`image_paths` to list a
folder of images (sub-folder names as labels).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from .base import FrameTransformer
from .columns import is_text

__all__ = [
    "ImageResize",
    "ImageGrayscale",
    "ImageBinarize",
    "ImageNormalize",
    "images_to_frame",
    "frame_to_images",
    "load_images",
    "image_paths",
    "resize_images",
    "IMAGE_SUFFIXES",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_PIXEL = re.compile(r"^px_(\d+)_(\d+)_(\d+)$")


def images_to_frame(images: np.ndarray, index=None) -> pd.DataFrame:
    """``(N, H, W[, C])`` array -> DataFrame of float32 pixel columns ``px_<h>_<w>_<c>``."""
    if images.ndim == 3:
        images = images[..., None]
    n, h, w, ch = images.shape
    names = [f"px_{i}_{j}_{k}" for i in range(h) for j in range(w) for k in range(ch)]
    flat = np.ascontiguousarray(images.reshape(n, h * w * ch), dtype=np.float32)
    return pd.DataFrame(flat, columns=names, index=index, copy=False)


def frame_to_images(frame: pd.DataFrame) -> np.ndarray:
    """DataFrame of pixel columns -> ``(N, H, W, C)`` float32 array."""
    last = _PIXEL.match(str(frame.columns[-1])) if len(frame.columns) else None
    if last is None or not all(_PIXEL.match(str(c)) for c in frame.columns):
        raise ValueError(
            "expected pixel columns px_<row>_<col>_<channel> (the output of an image cleaner), "
            f"got columns like {list(frame.columns[:3])}"
        )
    h, w, ch = (int(g) + 1 for g in last.groups())
    if h * w * ch != frame.shape[1]:
        raise ValueError(f"{frame.shape[1]} pixel columns do not form {h}x{w}x{ch} images")
    return frame.to_numpy(dtype=np.float32).reshape(len(frame), h, w, ch)


def image_paths(folder: str | Path) -> pd.DataFrame:
    """Image files under ``folder`` as a DataFrame: ``path`` and ``label`` (the parent folder).

    The usual layout ``folder/<class>/<image>.png`` gives a table ready for
    ``validate_table(df, target="label")``.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {root}")
    return pd.DataFrame({"path": [str(p) for p in files], "label": [p.parent.name for p in files]})


def load_images(paths, size: tuple[int, int] | None = None) -> np.ndarray:
    """Read image files into an ``(N, H, W, C)`` uint8 array (C is 1 for grayscale files).

    ``size=(height, width)`` resizes each image while reading (bilinear), which also lets files
    of different sizes be stacked; without it the files must share one size.
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("reading image files needs Pillow: pip install pillow") from None
    arrays, first_mode, first_shape = [], None, None
    for p in paths:
        with Image.open(p) as img:
            if first_mode is None:
                first_mode = "L" if img.mode in ("L", "1", "I", "I;16", "F") else "RGB"
            img = img.convert(first_mode)
            if size is not None:
                img = img.resize((int(size[1]), int(size[0])), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
        if arr.ndim == 2:
            arr = arr[..., None]
        if first_shape is None:
            first_shape = arr.shape
        elif arr.shape != first_shape:
            raise ValueError(
                f"image {p} is {arr.shape[1]}x{arr.shape[0]} but the first one was "
                f"{first_shape[1]}x{first_shape[0]}; put an image_resize cleaner first"
            )
        arrays.append(arr)
    if not arrays:
        raise ValueError("no images to read")
    return np.stack(arrays)


def resize_images(images: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize of an ``(N, H, W, C)`` array (pixel centres aligned, like Pillow)."""
    n, h, w, ch = images.shape
    if (h, w) == (height, width):
        return images.astype(np.float32, copy=False)

    def axis(src: int, dst: int):
        pos = (np.arange(dst) + 0.5) * (src / dst) - 0.5
        pos = np.clip(pos, 0, src - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, src - 1)
        return lo, hi, (pos - lo).astype(np.float32)

    y0, y1, fy = axis(h, height)
    x0, x1, fx = axis(w, width)
    img = images.astype(np.float32, copy=False)
    rows = img[:, y0] * (1 - fy)[None, :, None, None] + img[:, y1] * fy[None, :, None, None]
    return rows[:, :, x0] * (1 - fx)[None, None, :, None] + rows[:, :, x1] * fx[None, None, :, None]


def _value_scale(images: np.ndarray) -> float:
    """What a full-intensity pixel is: the dtype's max for integers, 255 for floats above 1."""
    if images.dtype.kind in "iu":
        return float(np.iinfo(images.dtype).max)
    return 255.0 if images.size and float(np.nanmax(images)) > 1.0 else 1.0


class _ImageTransformer(FrameTransformer):
    """Reads any accepted input into ``(N, H, W, C)``; writes the pixel-column DataFrame."""

    #: (height, width) to read files at; only the resize cleaner sets it
    _read_size: tuple[int, int] | None = None

    def _images(self, X) -> tuple[np.ndarray, object]:
        if isinstance(X, np.ndarray):
            if X.ndim not in (3, 4):
                raise ValueError(f"image arrays must be (N, H, W) or (N, H, W, C), got {X.shape}")
            return (X[..., None] if X.ndim == 3 else X), None
        if isinstance(X, pd.Series):
            X = X.to_frame()
        if not isinstance(X, pd.DataFrame):
            X = pd.DataFrame(X)
        if "path" in X.columns:
            return load_images(X["path"].astype(str), self._read_size), X.index
        if X.shape[1] == 1 and is_text(X.iloc[:, 0]):
            return load_images(X.iloc[:, 0].astype(str), self._read_size), X.index
        return frame_to_images(X), X.index

    def fit(self, X, y=None):
        self._fit_from(self._images(X)[0])
        return self

    def _fit_from(self, images: np.ndarray) -> None:
        self.shape_in_ = tuple(images.shape[1:])
        self.value_scale_ = _value_scale(images)
        self._fit_images(images)

    def fit_transform(self, X, y=None, **params):
        images, index = self._images(X)  # image files are read once, not twice
        self._fit_from(images)
        return images_to_frame(self._transform_images(images), index=index)

    def _fit_images(self, images: np.ndarray) -> None:
        pass

    def transform(self, X):
        check_is_fitted(self, "shape_in_")
        images, index = self._images(X)
        return images_to_frame(self._transform_images(images), index=index)

    def _transform_images(self, images: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _shape_out(self) -> tuple[int, int, int]:
        """(height, width, channels) of the images ``transform`` returns."""
        return self.shape_in_

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The pixel columns ``transform`` returns, ``px_<row>_<col>_<channel>`` (they follow
        from the image shape, whatever the input was: files, arrays or pixel columns)."""
        check_is_fitted(self, "shape_in_")
        h, w, ch = self._shape_out()
        names = [f"px_{i}_{j}_{k}" for i in range(h) for j in range(w) for k in range(ch)]
        return np.asarray(names, dtype=object)


class ImageResize(_ImageTransformer):
    """Resize every image to ``height`` x ``width`` (bilinear). Files are resized as read."""

    def __init__(self, height: int = 32, width: int = 32):
        self.height = height
        self.width = width

    @property
    def _read_size(self):  # type: ignore[override]
        return (self.height, self.width)

    def _transform_images(self, images):
        return resize_images(images, self.height, self.width)

    def _shape_out(self):
        return (self.height, self.width, self.shape_in_[-1])


class ImageGrayscale(_ImageTransformer):
    """Colour to one luminance channel (ITU-R 601: 0.299 R + 0.587 G + 0.114 B)."""

    def _shape_out(self):
        return (*self.shape_in_[:2], 1)

    def _transform_images(self, images):
        if images.shape[-1] == 1:
            return images
        rgb = images[..., :3].astype(np.float32, copy=False)
        return (rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32))[..., None]


class ImageBinarize(_ImageTransformer):
    """Pixels to 0 or 1: 1 where intensity / full intensity >= ``threshold`` (0..1).

    Full intensity is learned at fit: the dtype's maximum for integer images (255 for uint8),
    255 for float pixels above 1 (uint8 images already through another cleaner), else 1.
    """

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold

    def _transform_images(self, images):
        cut = self.threshold * self.value_scale_
        return (images >= cut).astype(np.float32)


class ImageNormalize(_ImageTransformer):
    """Bring pixel values to a common scale.

    ``method``: ``unit`` (divide by full intensity, see :class:`ImageBinarize`: values in
    [0, 1]), ``standard`` (then per channel, minus the mean and over the standard deviation of
    the fitted images) or ``per_image`` (each image to zero mean and unit variance on its own:
    removes brightness and contrast differences).
    """

    def __init__(self, method: str = "unit"):
        self.method = method

    def _fit_images(self, images):
        if self.method not in ("unit", "standard", "per_image"):
            raise ValueError(f"unknown image normalization {self.method!r}")
        unit = images.astype(np.float32) / self.value_scale_
        self.mean_ = unit.mean(axis=(0, 1, 2))
        std = unit.std(axis=(0, 1, 2))
        self.std_ = np.where(std > 0, std, 1.0).astype(np.float32)

    def _transform_images(self, images):
        unit = images.astype(np.float32) / np.float32(self.value_scale_)
        if self.method == "unit":
            return unit
        if self.method == "standard":
            return (unit - self.mean_) / self.std_
        mean = unit.mean(axis=(1, 2, 3), keepdims=True)
        std = unit.std(axis=(1, 2, 3), keepdims=True)
        return (unit - mean) / np.where(std > 0, std, 1.0)
