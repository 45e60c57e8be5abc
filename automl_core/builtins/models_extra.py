"""More builtin scikit-learn model specs, the ones the autopilot's portfolio leans on.

Histogram gradient boosting (fast and usually the strongest on tables), extra trees, k-nearest
neighbours and a small multi-layer perceptron. L2 maps onto each model's own weight penalty:
HGB's ``l2_regularization`` (on the leaf values) and the MLP's ``alpha``. Their portfolio
entries rank among those of :mod:`.models` (see its docstring).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from ..search.space import Choice, Float, Int, Searchable
from ..specs import ModelSpec
from .models import ForestSpecBase, _entries

PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(ge=1)]
Share = Annotated[float, Field(gt=0, le=1)]


def _l2(regularizers) -> float:
    return sum(r.strength for r in regularizers if r.kind == "l2")


class HistGradientBoostingSpec(ModelSpec):
    """scikit-learn ``HistGradientBoosting{Classifier,Regressor}``; takes l2.

    Early stopping is off: every trial is cross-validated on folds the model never sees, and an
    inner validation split would take rows from the small tables where boosting needs them.
    """

    kind: Literal["hist_gradient_boosting"] = "hist_gradient_boosting"
    learning_rate: Searchable[PositiveFloat] = 0.1
    max_iter: Searchable[PositiveInt] = 100
    max_leaf_nodes: Searchable[Annotated[int, Field(ge=2)]] = 31
    min_samples_leaf: Searchable[PositiveInt] = 20
    l2_regularization: Searchable[Annotated[float, Field(ge=0)]] = 0.0
    #: share of features each split considers (1.0: all)
    max_features: Searchable[Share] = 1.0
    accepted_regularizers: ClassVar = frozenset({"l2"})

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = (
            HistGradientBoostingClassifier
            if task == "classification"
            else HistGradientBoostingRegressor
        )
        l2 = _l2(regularizers)
        return cls(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf,
            l2_regularization=l2 if l2 > 0 else self.l2_regularization,
            max_features=self.max_features,
            early_stopping=False,
            random_state=seed,
        )

    @classmethod
    def default_search(cls, task):
        return cls(
            learning_rate=Float(0.01, 0.5, log=True),
            max_iter=Int(50, 500, log=True),
            max_leaf_nodes=Int(4, 128, log=True),
            min_samples_leaf=Int(2, 64, log=True),
            l2_regularization=Float(1e-4, 10.0, log=True),
            max_features=Float(0.3, 1.0),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        # fast and usually the strongest on tables: first, then twice more in other shapes
        def hgb(lr, iters, leaves, min_leaf, l2, share):
            return dict(
                learning_rate=lr,
                max_iter=iters,
                max_leaf_nodes=leaves,
                min_samples_leaf=min_leaf,
                l2_regularization=l2,
                max_features=share,
            )

        first, slow = hgb(0.1, 100, 31, 20, 1e-3, 1.0), hgb(0.05, 300, 15, 10, 0.1, 0.6)
        if task == "classification":
            return _entries((1, first), (6, slow), (11, hgb(0.2, 60, 63, 5, 1.0, 0.8)))
        return _entries((1, first), (5, slow), (9, hgb(0.03, 400, 8, 30, 1.0, 0.5)))


class ExtraTreesSpec(ForestSpecBase):
    """scikit-learn extra trees (classifier or regressor by task); no weight penalty to take."""

    kind: Literal["extra_trees"] = "extra_trees"
    estimators: ClassVar = ("ExtraTreesClassifier", "ExtraTreesRegressor")

    @classmethod
    def default_search(cls, task):
        return cls(
            n_estimators=Int(50, 400, log=True),
            max_depth=Choice([0, 8, 16]),
            min_samples_leaf=Int(1, 10, log=True),
            max_features=Float(0.1, 1.0),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        rank, share = (5, 0.5) if task == "classification" else (4, 0.7)
        values = dict(n_estimators=250, max_depth=0, min_samples_leaf=1, max_features=share)
        return _entries((rank, values))


class KNNSpec(ModelSpec):
    """scikit-learn k-nearest neighbours; relies on the cleaning chain's scaling."""

    kind: Literal["knn"] = "knn"
    n_neighbors: Searchable[PositiveInt] = 5
    weights: Searchable[Literal["uniform", "distance"]] = "uniform"
    #: Minkowski power: 1 Manhattan, 2 Euclidean
    p: Searchable[Literal[1, 2]] = 2

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

        cls = KNeighborsClassifier if task == "classification" else KNeighborsRegressor
        return cls(n_neighbors=self.n_neighbors, weights=self.weights, p=self.p, n_jobs=n_jobs)

    @classmethod
    def default_search(cls, task):
        return cls(
            n_neighbors=Int(1, 50, log=True),
            weights=Choice(["uniform", "distance"]),
            p=Choice([1, 2]),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        k = 7 if task == "classification" else 10
        return _entries((7, dict(n_neighbors=k, weights="distance", p=2)))


class MLPSpec(ModelSpec):
    """scikit-learn ``MLP{Classifier,Regressor}`` with ``depth`` equal hidden layers; takes l2."""

    kind: Literal["mlp_sklearn"] = "mlp_sklearn"
    width: Searchable[PositiveInt] = 100
    depth: Searchable[Annotated[int, Field(ge=1, le=4)]] = 1
    alpha: Searchable[Annotated[float, Field(ge=0)]] = 1e-4
    learning_rate_init: Searchable[PositiveFloat] = 1e-3
    max_iter: PositiveInt = 300
    accepted_regularizers: ClassVar = frozenset({"l2"})

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        cls = MLPClassifier if task == "classification" else MLPRegressor
        l2 = _l2(regularizers)
        return cls(
            hidden_layer_sizes=(self.width,) * self.depth,
            alpha=l2 if l2 > 0 else self.alpha,
            learning_rate_init=self.learning_rate_init,
            max_iter=self.max_iter,
            # a held-out 10% stops the epochs: bounds the fit time on big tables
            early_stopping=True,
            n_iter_no_change=10,
            random_state=seed,
        )

    @classmethod
    def default_search(cls, task):
        return cls(
            width=Int(16, 256, log=True),
            depth=Int(1, 3),
            alpha=Float(1e-6, 1.0, log=True),
            learning_rate_init=Float(1e-4, 1e-2, log=True),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        depth = 1 if task == "classification" else 2
        return _entries((8, dict(width=128, depth=depth, alpha=1e-3, learning_rate_init=1e-3)))


EXTRA_MODELS = [HistGradientBoostingSpec, ExtraTreesSpec, KNNSpec, MLPSpec]
