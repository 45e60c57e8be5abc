"""Pictures of a run: matplotlib charts and a self-contained HTML report.

Every chart is a function taking ``Results`` (or the result of ``compare``, or a bare trial
table where that is enough) and returning a ``matplotlib.figure.Figure``; it raises
:class:`ChartUnavailable` when the run holds no data for it. ``Results.plot_<name>()`` calls
the same functions. :func:`write_report` writes them all as PNG files plus ``report.html``.
"""

from __future__ import annotations

from ._common import ChartUnavailable
from .charts import CHARTS, Chart
from .cleaning import plot_cleaning
from .epochs import plot_epochs
from .evaluation import plot_test_predictions
from .feature_importance import permutation_importance, plot_feature_importance
from .files import load_results
from .html import Report, write_report
from .importance import param_importance, plot_importance, plot_top_trials, top_trials_frame
from .leaderboard import leaderboard_frame
from .mixin import ReportMixin
from .regularization import plot_regularization
from .search import best_so_far, plot_best_by_time, plot_best_by_trial, plot_trial_scores

__all__ = [
    "CHARTS",
    "Chart",
    "ChartUnavailable",
    "Report",
    "ReportMixin",
    "best_so_far",
    "leaderboard_frame",
    "load_results",
    "param_importance",
    "permutation_importance",
    "plot_best_by_time",
    "plot_best_by_trial",
    "plot_cleaning",
    "plot_epochs",
    "plot_feature_importance",
    "plot_importance",
    "plot_regularization",
    "plot_test_predictions",
    "plot_top_trials",
    "plot_trial_scores",
    "top_trials_frame",
    "write_report",
]
