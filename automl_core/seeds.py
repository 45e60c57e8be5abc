"""One master seed derives every other seed (strategy, trials, folds, resampling, torch)."""

from __future__ import annotations

import hashlib

__all__ = ["derive_seed"]


def derive_seed(master: int, *path: object) -> int:
    """A 31-bit seed for ``path`` (e.g. ``("trial", 7)``), stable across processes and runs.

    Uses a hash rather than ``master + n`` so neighbouring trials get unrelated streams.
    """
    key = repr((int(master),) + tuple(path)).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") % (2**31 - 1)
