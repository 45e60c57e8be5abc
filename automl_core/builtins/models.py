"""Builtin scikit-learn model specs.

Regularizers map onto each model's own parameters: for logistic regression an L1 of strength a
and an L2 of strength b give ``C = 1/(a+b)`` and ``l1_ratio = a/(a+b)``; for SVC/SVR an L2 of
strength b gives ``C = 1/b`` (the SVM's C is an inverse L2 penalty); for linear regression L2 is
Ridge's ``alpha``, L1 Lasso's, both ElasticNet. A regularizer overrides the model's own ``C``.

Each spec also declares how it takes part in runs that do not spell it out (``default_rank``,
``default_search``, ``default_regularizers``, ``portfolio``: see :class:`ModelSpec`), the same
way a plugin's model does. The portfolio ranks (1, 2, 3...) order the autopilot's first trials
across every model, here and in :mod:`.models_extra`: classification runs histogram gradient
boosting, logistic regression, random forest, SVC, extra trees... (see each ``portfolio``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from ..search.space import Choice, Float, Int, Searchable
from ..specs import ModelSpec, PortfolioEntry

PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(ge=1)]


def _gamma(n_features: int) -> float:
    """The RBF width of the portfolio's SVMs: ``"scale"`` on standardised columns is
    ``1 / n_features``, kept inside the searched range [1e-4, 1]."""
    return float(min(1.0, max(1e-4, 1.0 / max(1, n_features))))


def _entries(*pairs: tuple[float, dict[str, Any]]) -> list[PortfolioEntry]:
    return [PortfolioEntry(rank, values) for rank, values in pairs]


def _strengths(regularizers) -> tuple[float, float]:
    l1 = sum(r.strength for r in regularizers if r.kind == "l1")
    l2 = sum(r.strength for r in regularizers if r.kind == "l2")
    return l1, l2


class LogisticRegressionSpec(ModelSpec):
    """scikit-learn ``LogisticRegression``; takes l1 and l2."""

    kind: Literal["logistic_regression"] = "logistic_regression"
    C: Searchable[PositiveFloat] = 1.0
    max_iter: PositiveInt = 1000
    tasks: ClassVar = frozenset({"classification"})
    accepted_regularizers: ClassVar = frozenset({"l1", "l2"})
    default_rank: ClassVar = 1

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.linear_model import LogisticRegression

        l1, l2 = _strengths(regularizers)
        C, l1_ratio, solver = self.C, 0.0, "lbfgs"
        if l1 + l2 > 0:
            C, l1_ratio = 1.0 / (l1 + l2), l1 / (l1 + l2)
            solver = "saga" if l1 > 0 else "lbfgs"
        return LogisticRegression(
            C=C, l1_ratio=l1_ratio, solver=solver, max_iter=self.max_iter, random_state=seed
        )

    @classmethod
    def default_search(cls, task):
        return cls(C=Float(1e-3, 1e3, log=True))

    @classmethod
    def portfolio(cls, task, n_features):
        return _entries((2, dict(C=1.0)), (9, dict(C=0.1)), (12, dict(C=10.0)))


class ForestSpecBase(ModelSpec):
    """Fields and build shared by the tree ensembles (random forest, extra trees).

    Subclasses name their scikit-learn classes in ``estimators`` (classifier, regressor).
    """

    n_estimators: Searchable[PositiveInt] = 200
    #: 0 means unlimited (TOML has no null, so no None here)
    max_depth: Searchable[Annotated[int, Field(ge=0)]] = 0
    min_samples_leaf: Searchable[PositiveInt] = 1
    max_features: Searchable[Annotated[float, Field(gt=0, le=1)]] = 1.0
    estimators: ClassVar[tuple[str, str]] = ("", "")

    def build(self, task, regularizers, seed, n_jobs=1):
        import sklearn.ensemble

        name = self.estimators[0] if task == "classification" else self.estimators[1]
        return getattr(sklearn.ensemble, name)(
            n_estimators=self.n_estimators,
            max_depth=self.max_depth or None,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            random_state=seed,
            n_jobs=n_jobs,
        )


class RandomForestSpec(ForestSpecBase):
    """scikit-learn random forest (classifier or regressor by task); no weight penalty to take."""

    kind: Literal["random_forest"] = "random_forest"
    estimators: ClassVar = ("RandomForestClassifier", "RandomForestRegressor")
    default_rank: ClassVar = 2

    @classmethod
    def default_search(cls, task):
        return cls(
            n_estimators=Int(50, 300, log=True),
            max_depth=Choice([0, 4, 8, 16]),
            min_samples_leaf=Int(1, 10, log=True),
            max_features=Float(0.2, 1.0),
        )

    @classmethod
    def portfolio(cls, task, n_features):
        if task == "classification":
            return _entries(
                (3, dict(n_estimators=200, max_depth=0, min_samples_leaf=1, max_features=0.3)),
                (13, dict(n_estimators=300, max_depth=0, min_samples_leaf=2, max_features=0.6)),
            )
        return _entries(
            (3, dict(n_estimators=200, max_depth=0, min_samples_leaf=1, max_features=0.5)),
            (10, dict(n_estimators=300, max_depth=0, min_samples_leaf=5, max_features=0.33)),
        )


class _SVMBase(ModelSpec):
    C: Searchable[PositiveFloat] = 1.0
    gamma: Searchable[PositiveFloat | Literal["scale", "auto"]] = "scale"
    kernel: Searchable[Literal["rbf", "linear", "poly", "sigmoid"]] = "rbf"
    accepted_regularizers: ClassVar = frozenset({"l2"})
    default_rank: ClassVar = 3

    def _C(self, regularizers) -> float:
        _, l2 = _strengths(regularizers)
        return 1.0 / l2 if l2 > 0 else self.C

    @classmethod
    def default_search(cls, task):
        return cls(C=Float(1e-2, 1e3, log=True), gamma=Float(1e-4, 1.0, log=True))


class SVCSpec(_SVMBase):
    """scikit-learn ``SVC``; takes l2 (as 1/C)."""

    kind: Literal["svc"] = "svc"
    tasks: ClassVar = frozenset({"classification"})

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.svm import SVC

        return SVC(C=self._C(regularizers), gamma=self.gamma, kernel=self.kernel, random_state=seed)

    @classmethod
    def portfolio(cls, task, n_features):
        g = _gamma(n_features)
        return _entries((4, dict(C=10.0, gamma=g)), (10, dict(C=1.0, gamma=g)))


class SVRSpec(_SVMBase):
    """scikit-learn ``SVR``; takes l2 (as 1/C)."""

    kind: Literal["svr"] = "svr"
    epsilon: Searchable[Annotated[float, Field(ge=0)]] = 0.1
    tasks: ClassVar = frozenset({"regression"})

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.svm import SVR

        return SVR(
            C=self._C(regularizers), gamma=self.gamma, kernel=self.kernel, epsilon=self.epsilon
        )

    @classmethod
    def portfolio(cls, task, n_features):
        return _entries((11, dict(C=100.0, gamma=_gamma(n_features))))


class LinearRegressionSpec(ModelSpec):
    """Least squares; with l2 it is Ridge, with l1 Lasso, with both ElasticNet.

    Searched by default as ridge (a searched L2 strength): plain least squares has nothing to
    tune and overfits wide tables.
    """

    kind: Literal["linear_regression"] = "linear_regression"
    tasks: ClassVar = frozenset({"regression"})
    accepted_regularizers: ClassVar = frozenset({"l1", "l2"})
    default_rank: ClassVar = 1

    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn import linear_model as lm

        l1, l2 = _strengths(regularizers)
        if l1 and l2:
            return lm.ElasticNet(alpha=l1 + l2, l1_ratio=l1 / (l1 + l2), random_state=seed)
        if l1:
            return lm.Lasso(alpha=l1, random_state=seed)
        if l2:
            return lm.Ridge(alpha=l2)
        return lm.LinearRegression()

    @classmethod
    def default_regularizers(cls, task):
        return [{"kind": "l2", "strength": Float(1e-3, 1e3, log=True)}]

    @classmethod
    def portfolio(cls, task, n_features):
        return _entries((2, {"l2.strength": 1.0}), (6, {"l2.strength": 30.0}))


BUILTIN_MODELS = [
    LogisticRegressionSpec,
    RandomForestSpec,
    SVCSpec,
    SVRSpec,
    LinearRegressionSpec,
]
