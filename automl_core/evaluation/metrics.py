"""Metrics by name: the scikit-learn scorer behind each, its task and its direction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Metric", "METRICS", "metric_mode", "default_metric"]


@dataclass(frozen=True)
class Metric:
    """``scorer`` is a scikit-learn scoring name; ``sign`` turns its value into ours."""

    name: str
    scorer: str
    task: Literal["classification", "regression"]
    mode: Literal["min", "max"]
    sign: float = 1.0


METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "accuracy", "classification", "max"),
        Metric("balanced_accuracy", "balanced_accuracy", "classification", "max"),
        Metric("f1", "f1", "classification", "max"),
        Metric("f1_macro", "f1_macro", "classification", "max"),
        Metric("roc_auc", "roc_auc", "classification", "max"),
        Metric("log_loss", "neg_log_loss", "classification", "min", -1.0),
        Metric("r2", "r2", "regression", "max"),
        Metric("rmse", "neg_root_mean_squared_error", "regression", "min", -1.0),
        Metric("mae", "neg_mean_absolute_error", "regression", "min", -1.0),
    ]
}


def metric_mode(name: str) -> Literal["min", "max"]:
    return METRICS[name].mode


def default_metric(task: str) -> str:
    return "accuracy" if task == "classification" else "r2"
