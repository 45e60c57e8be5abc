"""Gradient-boosted trees for automl-core: ``lightgbm``, ``xgboost`` and ``catboost`` models for
classification and regression, with early stopping on each fit's own rows.

Installed with pip, it is found through the ``automl_core`` entry point (``plugin`` module).
The estimators load lazily and import their library when fitted, so registering the plugin
stays cheap.
"""

from __future__ import annotations

from automl_core.lazy import lazy_attributes

from .specs import BOOSTING_MODELS, CatBoostSpec, LightGBMSpec, XGBoostSpec

__all__ = [
    "BOOSTING_MODELS",
    "BoostedClassifier",
    "BoostedRegressor",
    "CatBoostSpec",
    "LightGBMSpec",
    "XGBoostSpec",
]

__getattr__ = lazy_attributes(
    __name__, {"BoostedClassifier": "estimators", "BoostedRegressor": "estimators"}
)
