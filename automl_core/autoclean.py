"""The cleaning chain used when a config names no cleaners, built from the data."""

from __future__ import annotations

import pandas as pd

from .specs import CleanerSpec

__all__ = ["default_cleaners"]


def default_cleaners(X: pd.DataFrame, y: pd.Series, task: str) -> list[CleanerSpec]:
    """Impute gaps, one-hot encode categories, scale numbers."""
    from .plugins import get_registry

    reg = get_registry()
    return [
        reg.get("cleaner", "impute")(),
        reg.get("cleaner", "one_hot")(),
        reg.get("cleaner", "standard_scale")(),
    ]
