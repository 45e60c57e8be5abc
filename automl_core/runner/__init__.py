"""The only package that imports Ray.

``run_search`` drives an ask/tell strategy on Ray Tune (one adapter, :mod:`.searcher`) and
returns our own per-trial records; everything above it (``ac.run``, ``ac.tune``) is Ray-free.
"""

from .records import Recorder, TrialRecord
from .search import run_search
from .session import ensure_ray

__all__ = ["Recorder", "TrialRecord", "ensure_ray", "run_search"]
