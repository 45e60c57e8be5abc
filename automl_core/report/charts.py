"""The chart catalogue: name → function, title, and the data each one needs.

The report writer and ``Results.plot_<name>`` both go through this list, so a new chart is one
entry here plus its function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Chart", "CHARTS", "get_chart"]


@dataclass(frozen=True)
class Chart:
    name: str  #: file stem (``<name>.png``) and ``Results.plot_<name>``
    title: str
    needs: str  #: what data the chart reads, said in the skip note when absent
    module: str
    function: str

    def load(self) -> Callable[..., Any]:
        from importlib import import_module

        return getattr(import_module(f"{__package__}.{self.module}"), self.function)


CHARTS: list[Chart] = [
    Chart(
        "best_by_trial",
        "Best score so far, by trial",
        "table (score, status)",
        "search",
        "plot_best_by_trial",
    ),
    Chart(
        "best_by_time",
        "Best score so far, by wall time",
        "table (finished_s)",
        "search",
        "plot_best_by_time",
    ),
    Chart(
        "trial_scores",
        "Score of every trial",
        "table (score, status)",
        "search",
        "plot_trial_scores",
    ),
    Chart(
        "cleaning",
        "Before and after cleaning",
        'info["cleaning_gain"]',
        "cleaning",
        "plot_cleaning",
    ),
    Chart(
        "regularization",
        "Training vs validation against regularization strength",
        "table (train_score, a searched l1/l2 strength, alpha or C)",
        "regularization",
        "plot_regularization",
    ),
    Chart(
        "epochs",
        "Per-epoch training and validation curves",
        "history (train_*/val_*)",
        "epochs",
        "plot_epochs",
    ),
    Chart(
        "test_predictions",
        "The best pipeline on the held-out test split",
        "test_predictions (test_size set)",
        "evaluation",
        "plot_test_predictions",
    ),
    Chart(
        "importance",
        "Parameter importance",
        "table (param columns, 5+ scored trials)",
        "importance",
        "plot_importance",
    ),
    Chart(
        "feature_importance",
        "Input column importance",
        "feature_importance (permutation importance, measured after the refit)",
        "feature_importance",
        "plot_feature_importance",
    ),
    Chart("top_trials", "Top trials", "table (score, status)", "importance", "plot_top_trials"),
]


def get_chart(name: str) -> Chart:
    for c in CHARTS:
        if c.name == name:
            return c
    raise KeyError(f"no chart {name!r}; known: {', '.join(c.name for c in CHARTS)}")
