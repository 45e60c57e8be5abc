"""Conformance kit for plugin authors (builtins use it too).

Strategies::

    from automl_core.testing import check_strategy
    def test_my_strategy():
        check_strategy(MyStrategySpec())

Specs (cleaners, models, regularizers)::

    from automl_core.testing import check_spec
    def test_my_cleaner():
        check_spec(MyCleanerSpec())

Loggers: ``check_logger(MyLoggerSpec(), tmp_path)`` (a folder it may write in).

Time limits: ``cut_at_random_points(step, trials)`` runs tiny trials whose limit falls at every
point of ``step()`` (a model's fit) and counts how they ended (see :mod:`.limits`).

Each check raises ``AssertionError`` with what went wrong; nothing here needs Ray.
"""

from .limits import cut_at_random_points
from .loggers import check_logger
from .specs import check_spec
from .strategies import check_strategy, conformance_spaces, toy_objective, toy_outcome

__all__ = [
    "conformance_spaces",
    "check_strategy",
    "check_spec",
    "check_logger",
    "cut_at_random_points",
    "toy_objective",
    "toy_outcome",
]
