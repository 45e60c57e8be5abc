"""The autopilot's models and its portfolio of known-good starting configurations.

The portfolio is an ordered list of concrete configurations that do well across many tables
(library defaults and settings that won often on OpenML-style benchmarks). They run first, in this
order, so that a short budget still ends with a strong model; the search refines the best of
them afterwards. Cheap and strong come first: two workers pick up configs 1-2, then 3-4...
Values that depend on the table (the RBF kernel width) are set from its number of columns.
"""

from __future__ import annotations

from typing import Any

from ..space import Float
from ..specs import ModelSpec

__all__ = ["AUTOPILOT_MODEL_KINDS", "autopilot_models", "portfolio"]

#: models the autopilot searches, by task, in portfolio order (kinds not installed are skipped)
AUTOPILOT_MODEL_KINDS = {
    "classification": [
        "hist_gradient_boosting",
        "logistic_regression",
        "random_forest",
        "svc",
        "extra_trees",
        "knn",
        "mlp_sklearn",
    ],
    "regression": [
        "hist_gradient_boosting",
        "linear_regression",
        "random_forest",
        "extra_trees",
        "knn",
        "mlp_sklearn",
        "svr",
    ],
}


def autopilot_models(task: str, registry=None) -> list[dict[str, Any]]:
    """The searched models (each one's ``default_search``, as config dicts) for ``task``.

    Linear regression gets a searched L2 strength (ridge): plain least squares has nothing to
    tune and overfits wide tables.
    """
    from ..plugins import get_registry

    registry = registry or get_registry()
    known = set(registry.kinds("model"))
    out: list[dict[str, Any]] = []
    for kind in AUTOPILOT_MODEL_KINDS[task]:
        if kind not in known:
            continue
        spec: ModelSpec = registry.get("model", kind).default_search(task)
        d = spec.model_dump(mode="json")
        if kind == "linear_regression" and "l2" in set(registry.kinds("regularizer")):
            l2 = registry.get("regularizer", "l2")(strength=Float(1e-3, 1e3, log=True))
            d["regularizers"] = [l2.model_dump(mode="json")]
        out.append(d)
    return out


def _gamma(n_features: int) -> float:
    # "scale" on standardised columns is 1 / n_features; the searched range is [1e-4, 1]
    return float(min(1.0, max(1e-4, 1.0 / max(1, n_features))))


def portfolio(task: str, n_features: int) -> list[tuple[str, dict[str, Any]]]:
    """Known-good configurations as ``(model kind, {field: value})``, best bets first."""
    g = _gamma(n_features)
    hgb = "hist_gradient_boosting"
    if task == "classification":
        return [
            (hgb, dict(learning_rate=0.1, max_iter=100, max_leaf_nodes=31, min_samples_leaf=20,
                       l2_regularization=1e-3, max_features=1.0)),
            ("logistic_regression", dict(C=1.0)),
            ("random_forest", dict(n_estimators=200, max_depth=0, min_samples_leaf=1,
                                   max_features=0.3)),
            ("svc", dict(C=10.0, gamma=g)),
            ("extra_trees", dict(n_estimators=250, max_depth=0, min_samples_leaf=1,
                                 max_features=0.5)),
            (hgb, dict(learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=10,
                       l2_regularization=0.1, max_features=0.6)),
            ("knn", dict(n_neighbors=7, weights="distance", p=2)),
            ("mlp_sklearn", dict(width=128, depth=1, alpha=1e-3, learning_rate_init=1e-3)),
            ("logistic_regression", dict(C=0.1)),
            ("svc", dict(C=1.0, gamma=g)),
            (hgb, dict(learning_rate=0.2, max_iter=60, max_leaf_nodes=63, min_samples_leaf=5,
                       l2_regularization=1.0, max_features=0.8)),
            ("logistic_regression", dict(C=10.0)),
            ("random_forest", dict(n_estimators=300, max_depth=0, min_samples_leaf=2,
                                   max_features=0.6)),
        ]  # fmt: skip
    return [
        (hgb, dict(learning_rate=0.1, max_iter=100, max_leaf_nodes=31, min_samples_leaf=20,
                   l2_regularization=1e-3, max_features=1.0)),
        ("linear_regression", {"l2.strength": 1.0}),
        ("random_forest", dict(n_estimators=200, max_depth=0, min_samples_leaf=1,
                               max_features=0.5)),
        ("extra_trees", dict(n_estimators=250, max_depth=0, min_samples_leaf=1,
                             max_features=0.7)),
        (hgb, dict(learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=10,
                   l2_regularization=0.1, max_features=0.6)),
        ("linear_regression", {"l2.strength": 30.0}),
        ("knn", dict(n_neighbors=10, weights="distance", p=2)),
        ("mlp_sklearn", dict(width=128, depth=2, alpha=1e-3, learning_rate_init=1e-3)),
        (hgb, dict(learning_rate=0.03, max_iter=400, max_leaf_nodes=8, min_samples_leaf=30,
                   l2_regularization=1.0, max_features=0.5)),
        ("random_forest", dict(n_estimators=300, max_depth=0, min_samples_leaf=5,
                               max_features=0.33)),
        ("svr", dict(C=100.0, gamma=g)),
    ]  # fmt: skip
