"""``Results.plot_<name>()`` and ``Results.write_report()``: thin delegations to the charts.

Kept free of matplotlib imports so that importing automl_core (on every Ray worker too) does
not pay for matplotlib; each method imports its chart when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["ReportMixin"]


class ReportMixin:
    """Chart methods for ``Results`` (and anything with the same ``table``/``info``/...).

    Each ``plot_*`` returns a ``matplotlib.figure.Figure`` (no display needed; in a notebook
    it shows itself) and raises ``automl_core.report.ChartUnavailable`` when the run holds no
    data for it, the message saying what is missing.
    """

    def _plot(self, name: str, **kw: Any):
        from .charts import get_chart

        return get_chart(name).load()(self, **kw)

    def plot_best_by_trial(self, **kw: Any):
        """Best score so far against trial number, one line per strategy."""
        return self._plot("best_by_trial", **kw)

    def plot_best_by_time(self, **kw: Any):
        """Best score so far against seconds since the run started, one line per strategy."""
        return self._plot("best_by_time", **kw)

    def plot_trial_scores(self, **kw: Any):
        """Every trial's score, the best starred."""
        return self._plot("trial_scores", **kw)

    def plot_cleaning(self, **kw: Any):
        """Score before and after cleaning (from ``info["cleaning_gain"]``)."""
        return self._plot("cleaning", **kw)

    def plot_regularization(self, **kw: Any):
        """Training vs validation score against regularization strength (log x)."""
        return self._plot("regularization", **kw)

    def plot_epochs(self, **kw: Any):
        """Per-epoch training and validation curves of the best trials (from ``history``)."""
        return self._plot("epochs", **kw)

    def plot_test_predictions(self, **kw: Any):
        """Confusion matrix or predicted vs actual of the best pipeline on the test split."""
        return self._plot("test_predictions", **kw)

    def plot_importance(self, **kw: Any):
        """Parameter importance from a random forest fitted on the table."""
        return self._plot("importance", **kw)

    def plot_feature_importance(self, **kw: Any):
        """Permutation importance of each input column to the best pipeline (bars)."""
        return self._plot("feature_importance", **kw)

    def plot_top_trials(self, **kw: Any):
        """The best trials as a table figure."""
        return self._plot("top_trials", **kw)

    def write_report(self, directory: str | Path | None = None, **kw: Any):
        """Write every chart as PNG plus one self-contained ``report.html``; see
        :func:`automl_core.report.write_report`."""
        from .html import write_report

        return write_report(self, directory, **kw)
