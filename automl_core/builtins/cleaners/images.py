"""Builtin image cleaner specs: resize, grayscale, binarize, normalize.

They take image arrays ``(N, H, W[, C])``, a column of image file paths, or the pixel columns a
previous image cleaner produced, and return float32 pixel columns (see
:mod:`automl_core.data.cleaning.images`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from ...search.space import Searchable
from ...specs import CleanerSpec

Side = Annotated[int, Field(ge=1, le=4096)]


class _ImageSpec(CleanerSpec):
    @classmethod
    def conformance_data(cls) -> tuple[pd.DataFrame, pd.Series]:
        """Small colour images as pixel columns, for :func:`automl_core.testing.check_spec`."""
        from ...data.cleaning.images import images_to_frame

        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, size=(120, 6, 5, 3), dtype=np.uint8)
        y = pd.Series(rng.integers(0, 2, size=120), name="label")
        return images_to_frame(images), y


class ImageResizeSpec(_ImageSpec):
    """Resize images to ``height`` x ``width`` (bilinear); image files are resized as read."""

    kind: Literal["image_resize"] = "image_resize"
    height: Searchable[Side] = 32
    width: Searchable[Side] = 32

    def build(self, task):
        from ...data.cleaning import ImageResize

        return ImageResize(height=self.height, width=self.width)


class ImageGrayscaleSpec(_ImageSpec):
    """Colour images to one luminance channel (0.299 R + 0.587 G + 0.114 B)."""

    kind: Literal["image_grayscale"] = "image_grayscale"

    def build(self, task):
        from ...data.cleaning import ImageGrayscale

        return ImageGrayscale()


class ImageBinarizeSpec(_ImageSpec):
    """Pixels to 0/1 at ``threshold``, a share of full intensity (0.5: mid-grey for uint8)."""

    kind: Literal["image_binarize"] = "image_binarize"
    threshold: Searchable[Annotated[float, Field(ge=0, le=1)]] = 0.5

    def build(self, task):
        from ...data.cleaning import ImageBinarize

        return ImageBinarize(threshold=self.threshold)


class ImageNormalizeSpec(_ImageSpec):
    """Pixel values to ``unit`` [0, 1], ``standard`` (per channel, fitted) or ``per_image``."""

    kind: Literal["image_normalize"] = "image_normalize"
    method: Searchable[Literal["unit", "standard", "per_image"]] = "unit"

    def build(self, task):
        from ...data.cleaning import ImageNormalize

        return ImageNormalize(method=self.method)


IMAGE_CLEANERS = [ImageResizeSpec, ImageGrayscaleSpec, ImageBinarizeSpec, ImageNormalizeSpec]
