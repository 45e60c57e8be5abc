"""The model specs ``lightgbm``, ``xgboost`` and ``catboost`` (classification and regression).

Each field is the library's own hyperparameter under its scikit-learn name. Regularizers map
onto the libraries' penalties on the leaf values: ``l1`` is ``reg_alpha`` (LightGBM, XGBoost),
``l2`` is ``reg_lambda`` (LightGBM, XGBoost) and ``l2_leaf_reg`` (CatBoost, which has no L1
penalty: it takes ``l2`` only). A regularizer overrides the field it maps onto.

Early stopping (``early_stopping_rounds``, ``validation_fraction``) holds out part of the rows
each fit is given, never the rows a trial is scored on: see :mod:`.estimators`. ``device``:
"auto" (the GPU a trial was given, where the installed library can use it), "cpu" or "gpu".

This module imports no boosting library: ``build`` returns an estimator that imports its
library when it is fitted.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from automl_core.search.space import Float, Int, Searchable
from automl_core.specs import ModelSpec, PortfolioEntry
from pydantic import Field

__all__ = ["BOOSTING_MODELS", "CatBoostSpec", "LightGBMSpec", "XGBoostSpec"]

PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegative = Annotated[float, Field(ge=0)]
Share = Annotated[float, Field(gt=0, le=1)]


def _strength(regularizers, kind: str) -> float:
    return sum(r.strength for r in regularizers if r.kind == kind)


class _BoostingSpec(ModelSpec):
    """Fields every boosting spec has; subclasses name their ``library`` and map the rest."""

    #: the most boosting rounds (early stopping may keep fewer)
    n_estimators: Searchable[PositiveInt] = 500
    learning_rate: Searchable[PositiveFloat] = 0.05
    #: rounds without improvement on the held-out rows before stopping (0: no early stopping)
    early_stopping_rounds: Annotated[int, Field(ge=0)] = 50
    #: share of each fit's rows held out for early stopping
    validation_fraction: Annotated[float, Field(ge=0, lt=0.5)] = 0.1
    device: Literal["auto", "cpu", "gpu"] = "auto"
    library: ClassVar[str] = ""

    def native(self, regularizers) -> dict[str, Any]:  # pragma: no cover - abstract
        """The library's hyperparameters (other than rounds, threads, seed and device)."""
        raise NotImplementedError

    def build(self, task, regularizers, seed, n_jobs=1):
        from .estimators import BoostedClassifier, BoostedRegressor

        cls = BoostedClassifier if task == "classification" else BoostedRegressor
        return cls(
            library=self.library,
            params=self.native(regularizers),
            n_estimators=self.n_estimators,
            early_stopping_rounds=self.early_stopping_rounds,
            validation_fraction=self.validation_fraction,
            device=self.device,
            n_jobs=n_jobs,
            random_state=seed,
        )


class LightGBMSpec(_BoostingSpec):
    """LightGBM (leaf-wise trees); takes l1 (``reg_alpha``) and l2 (``reg_lambda``)."""

    kind: Literal["lightgbm"] = "lightgbm"
    num_leaves: Searchable[Annotated[int, Field(ge=2)]] = 31
    min_child_samples: Searchable[PositiveInt] = 20
    #: share of rows each tree sees (bagging; 1.0: all)
    subsample: Searchable[Share] = 1.0
    colsample_bytree: Searchable[Share] = 1.0
    reg_alpha: Searchable[NonNegative] = 0.0
    reg_lambda: Searchable[NonNegative] = 0.0
    accepted_regularizers: ClassVar = frozenset({"l1", "l2"})
    library: ClassVar[str] = "lightgbm"

    def native(self, regularizers):
        l1, l2 = _strength(regularizers, "l1"), _strength(regularizers, "l2")
        return dict(
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            min_child_samples=self.min_child_samples,
            subsample=self.subsample,
            subsample_freq=1 if self.subsample < 1 else 0,  # LightGBM bags only with a freq
            colsample_bytree=self.colsample_bytree,
            reg_alpha=l1 if l1 > 0 else self.reg_alpha,
            reg_lambda=l2 if l2 > 0 else self.reg_lambda,
        )

    @classmethod
    def default_search(cls, task):
        return cls(
            n_estimators=Int(50, 1000, log=True),
            learning_rate=Float(0.01, 0.3, log=True),
            num_leaves=Int(4, 128, log=True),
            min_child_samples=Int(2, 64, log=True),
            subsample=Float(0.5, 1.0),
            colsample_bytree=Float(0.3, 1.0),
            reg_alpha=Float(1e-4, 10.0, log=True),
            reg_lambda=Float(1e-4, 10.0, log=True),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        # cheaper than histogram gradient boosting at the same rounds (measured: 0.5 s against
        # 2.2 s for 100 rounds on digits, one thread): right after the first two
        first = dict(
            n_estimators=300,
            learning_rate=0.05,
            num_leaves=31,
            min_child_samples=20,
            subsample=1.0,
            colsample_bytree=0.9,
            reg_alpha=1e-4,
            reg_lambda=1e-4,
        )
        # small trees, slow rate: the shape that wins tables with few informative columns
        small = dict(
            n_estimators=800,
            learning_rate=0.03,
            num_leaves=8,
            min_child_samples=10,
            subsample=0.8,
            colsample_bytree=0.7,
            reg_alpha=1e-4,
            reg_lambda=1.0,
        )
        late = 10.5 if task == "classification" else 9.5
        return [PortfolioEntry(2.5, first), PortfolioEntry(late, small)]  # fmt: skip


class XGBoostSpec(_BoostingSpec):
    """XGBoost (depth-wise ``hist`` trees); takes l1 (``reg_alpha``) and l2 (``reg_lambda``)."""

    kind: Literal["xgboost"] = "xgboost"
    max_depth: Searchable[PositiveInt] = 6
    min_child_weight: Searchable[NonNegative] = 1.0
    subsample: Searchable[Share] = 1.0
    colsample_bytree: Searchable[Share] = 1.0
    reg_alpha: Searchable[NonNegative] = 0.0
    reg_lambda: Searchable[NonNegative] = 1.0
    accepted_regularizers: ClassVar = frozenset({"l1", "l2"})
    library: ClassVar[str] = "xgboost"

    def native(self, regularizers):
        l1, l2 = _strength(regularizers, "l1"), _strength(regularizers, "l2")
        return dict(
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            min_child_weight=self.min_child_weight,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            reg_alpha=l1 if l1 > 0 else self.reg_alpha,
            reg_lambda=l2 if l2 > 0 else self.reg_lambda,
        )

    @classmethod
    def default_search(cls, task):
        return cls(
            n_estimators=Int(50, 1000, log=True),
            learning_rate=Float(0.01, 0.3, log=True),
            max_depth=Int(2, 10),
            min_child_weight=Float(0.1, 20.0, log=True),
            subsample=Float(0.5, 1.0),
            colsample_bytree=Float(0.3, 1.0),
            reg_alpha=Float(1e-4, 10.0, log=True),
            reg_lambda=Float(1e-3, 10.0, log=True),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        # as cheap as LightGBM per round (0.4 s for 100 rounds on digits, one thread)
        values = dict(
            n_estimators=300,
            learning_rate=0.1,
            max_depth=6,
            min_child_weight=1.0,
            subsample=0.8,
            colsample_bytree=0.8,
            reg_alpha=1e-4,
            reg_lambda=1.0,
        )
        return [PortfolioEntry(4.5, values)]  # fmt: skip


class CatBoostSpec(_BoostingSpec):
    """CatBoost (symmetric trees); takes l2 (``l2_leaf_reg``). It has no L1 penalty."""

    kind: Literal["catboost"] = "catboost"
    depth: Searchable[Annotated[int, Field(ge=1, le=16)]] = 6
    l2_leaf_reg: Searchable[PositiveFloat] = 3.0
    #: the score noise at each split (CatBoost's own regularization of the tree structure)
    random_strength: Searchable[NonNegative] = 1.0
    #: share of columns each split considers (CPU only: ignored on a GPU)
    rsm: Searchable[Share] = 1.0
    accepted_regularizers: ClassVar = frozenset({"l2"})
    library: ClassVar[str] = "catboost"

    def native(self, regularizers):
        l2 = _strength(regularizers, "l2")
        return dict(
            learning_rate=self.learning_rate,
            depth=self.depth,
            l2_leaf_reg=l2 if l2 > 0 else self.l2_leaf_reg,
            random_strength=self.random_strength,
            rsm=self.rsm,
        )

    @classmethod
    def default_search(cls, task):
        # depth up to 7 and rsm left at 1: CatBoost's CPU working set grows with 2**depth, and
        # far more with column sampling. One fit on 400 x 30 rows (2026-11-29, 150 rounds)
        # grew the process by +42 MB at depth 8, +202 MB at depth 8 with rsm 0.6, +25 MB at
        # depth 7, +68 MB at depth 7 with rsm 0.6; at 400 x 100, +113 / +236 / +61 / +122 MB.
        # Depth 8 also fits 2x slower than 7. Both stay settable and searchable by hand.
        return cls(
            n_estimators=Int(100, 1000, log=True),
            learning_rate=Float(0.02, 0.3, log=True),
            depth=Int(3, 7),
            l2_leaf_reg=Float(0.5, 30.0, log=True),
            random_strength=Float(0.1, 10.0, log=True),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        # the costliest of the three per round (1 s for 200 rounds on 569 rows, one thread):
        # once the cheap entries ran
        values = dict(
            n_estimators=300,
            learning_rate=0.08,
            depth=6,
            l2_leaf_reg=3.0,
            random_strength=1.0,
        )
        return [PortfolioEntry(8.5 if task == "classification" else 7.5, values)]  # fmt: skip


BOOSTING_MODELS = [LightGBMSpec, XGBoostSpec, CatBoostSpec]
