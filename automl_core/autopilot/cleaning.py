"""The autopilot's cleaning chain: the automatic chain, adjusted to the metric and the table.

Two steps of :func:`automl_core.data.autoclean.default_cleaners` cost the autopilot accuracy on
real tables, so it leaves them out when they do harm:

- ``class_weight``: weighting the classes moves the decision rule away from the most probable
  class, which is what accuracy rewards (measured: churn 85% -> 73% test accuracy, Seattle
  weather 78% -> 71%). It stays for the imbalance-aware metrics (balanced accuracy, F1...).
- ``drop_duplicates``: when repeated rows are common (over :data:`DUPLICATE_SHARE`), they are
  observations of a table with few distinct values, not export errors (the titanic table:
  987 rows, 20 distinct; dropping them left 20 rows to learn from).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["DUPLICATE_SHARE", "autopilot_cleaners"]

#: above this share of repeated rows, repeats are kept (they are data, not an export error)
DUPLICATE_SHARE = 0.05
#: metrics for which the most probable class is the best answer: no class weighting
_ARGMAX_METRICS = {"accuracy", "log_loss", "roc_auc"}


def autopilot_cleaners(
    data: pd.DataFrame, target: str, task: str | None, metric: str | None
) -> list[dict[str, Any]]:
    """The chain (as config dicts) for ``data``; see the module docstring for what changes."""
    from ..data.autoclean import default_cleaners
    from ..data.check import validate_table
    from ..evaluation.metrics import default_metric

    X, y, task, _ = validate_table(data, target, task)
    metric = metric or default_metric(task)
    repeats = float(data.duplicated().mean()) if len(data) else 0.0
    chain = []
    for spec in default_cleaners(X, y, task):
        if spec.kind == "drop_duplicates" and repeats > DUPLICATE_SHARE:
            continue
        if spec.kind == "class_weight" and metric in _ARGMAX_METRICS:
            continue
        chain.append(spec.model_dump(mode="json"))
    return chain
