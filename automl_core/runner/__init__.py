"""The Ray Tune executor: the only package that imports Ray.

:func:`~.search.run_on_ray` runs the trial engine's trials (:mod:`automl_core.trials`) as Ray
Tune trials through one thin ``Searcher`` adapter (:mod:`.searcher`), on the embedded local Ray
or a cluster (:mod:`.session`, :mod:`.cluster`).
"""

from .search import run_on_ray
from .session import ensure_ray

__all__ = ["ensure_ray", "run_on_ray"]
