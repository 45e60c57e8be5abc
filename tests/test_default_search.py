"""Default ranges and portfolio entries come from each model's class (issue 15 item 12, issue 16
item 2): a model named by its kind alone is searched over its ``default_search``; the default
model list and the autopilot's portfolio are read from every installed model, a plugin's model
defined here included; the builtins' portfolio is the one the autopilot always ran."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Literal

import numpy as np
import pytest
from pydantic import Field
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso

import automl_core as ac
from automl_core.autopilot import PortfolioStrategy, autopilot_config, portfolio_point
from automl_core.autopilot.objective import AutopilotObjective
from automl_core.autopilot.portfolio import (
    autopilot_kinds,
    autopilot_models,
    check_portfolio,
    portfolio,
)
from automl_core.autopilot.run import portfolio_starts
from automl_core.config import parse_config
from automl_core.evaluation.cv import make_folds
from automl_core.evaluation.objective import PipelineObjective
from automl_core.evaluation.pipeline import build_pipeline
from automl_core.plugins import get_registry, register_plugin, reset_registry
from automl_core.search.config_space import build_space, config_models, default_models, resolve
from automl_core.search.space import Float
from automl_core.specs import PortfolioEntry

TASKS = ["classification", "regression"]


def _toy_plugin():
    """A plugin's model, as a plugin author writes one: ridge with a default range and a
    portfolio entry ranked before every builtin's. Defined at run time, as in a notebook, so
    that it travels to the workers by value (``ac.register_plugin``)."""

    class ToyRidgeSpec(ac.ModelSpec):
        kind: Literal["toy_ridge"] = "toy_ridge"
        alpha: ac.Searchable[Annotated[float, Field(gt=0)]] = 1.0
        # no ClassVar annotation: the base declares these, and a by-value class whose
        # annotations say "ClassVar" does not rebuild on a worker (pydantic cannot resolve it)
        tasks = frozenset({"regression"})
        default_rank = 0.5

        def build(self, task, regularizers, seed, n_jobs=1):
            from sklearn.linear_model import Ridge

            return Ridge(alpha=self.alpha)

        @classmethod
        def default_search(cls, task):
            return cls(alpha=Float(0.01, 100.0, log=True))

        @classmethod
        def portfolio(cls, task, n_features):
            return [PortfolioEntry(0.5, {"alpha": 3.0})]

    class ToyLassoSpec(ac.ModelSpec):
        """A plugin model with a default range and no portfolio entries (the base's empty
        list): the autopilot searches it only when the user names it."""

        kind: Literal["toy_lasso"] = "toy_lasso"
        alpha: ac.Searchable[Annotated[float, Field(gt=0)]] = 1.0
        tasks = frozenset({"regression"})

        def build(self, task, regularizers, seed, n_jobs=1):
            from sklearn.linear_model import Lasso

            return Lasso(alpha=self.alpha)

        @classmethod
        def default_search(cls, task):
            return cls(alpha=Float(0.01, 100.0, log=True))

    class ToyPlugin:
        @staticmethod
        @ac.hookimpl
        def automl_register_models():
            return [ToyRidgeSpec, ToyLassoSpec]

    return ToyPlugin, ToyRidgeSpec


TOY_PLUGIN, ToyRidgeSpec = _toy_plugin()
#: every registry built here stays referenced: the config classes are cached by id(registry),
#: so a freed registry's id must not come back for a registry with other kinds
_KEEP: list = []


@pytest.fixture
def toy_plugin():
    _KEEP.append(get_registry())
    reset_registry()
    register_plugin(TOY_PLUGIN)
    _KEEP.append(get_registry())
    yield
    reset_registry()
    _KEEP.append(get_registry())


def _diabetes(n: int = 160):
    df = load_diabetes(as_frame=True).frame.head(n)
    return df.drop(columns="target"), df["target"]


class _Ctx:
    """What a trial's objective gets besides its point (the engine's trial context)."""

    def __init__(self, seed: int):
        self.seed, self.cpus, self.gpus, self.trial_id = seed, 1, 0.0, 0

    def report(self, *_args, **_kw):
        pass


# -- builtins ----------------------------------------------------------------------------------


def test_a_builtin_named_by_kind_alone_is_searched_over_its_default_ranges():
    cfg = parse_config({"target": "y", "task": "classification", "models": ["svc"]})
    space = build_space(cfg)
    assert space.names == ["svc.C", "svc.gamma"]
    assert space.dim("svc.C").domain == Float(1e-2, 1e3, log=True)
    # any hyperparameter or regularizer given: the model is taken as written
    given = parse_config(
        {"target": "y", "task": "classification", "models": [{"kind": "svc", "C": 2.0}]}
    )
    assert build_space(given).names == []
    reg = {"kind": "svc", "regularizers": [{"kind": "l2", "strength": 0.5}]}
    assert build_space(parse_config({"target": "y", "models": [reg]})).names == []


def test_named_alone_reads_the_same_on_a_worker_after_json():
    cfg = parse_config({"target": "y", "task": "regression", "models": ["linear_regression"]})
    again = parse_config(cfg.model_dump(mode="json"))  # what a worker validates
    assert build_space(again).names == build_space(cfg).names == ["linear_regression.l2.strength"]
    point = {"linear_regression.l2.strength": 4.0}
    model = build_pipeline(resolve(again, point), "regression", seed=0).steps[-1][1]
    assert type(model).__name__ == "Ridge" and model.alpha == 4.0


def test_the_default_models_are_the_builtins_that_set_a_default_rank():
    assert [m.kind for m in default_models("classification")] == [
        "logistic_regression",
        "random_forest",
        "svc",
    ]
    reg = default_models("regression")
    assert [m.kind for m in reg] == ["linear_regression", "random_forest", "svr"]
    assert [r.kind for r in reg[0].regularizers] == ["l2"]  # searched as ridge


#: the autopilot's portfolio as it was hard-coded before every model declared its own
OLD_PORTFOLIO = {
    "classification": [
        ("hist_gradient_boosting", {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31,
                                    "min_samples_leaf": 20, "l2_regularization": 1e-3,
                                    "max_features": 1.0}),
        ("logistic_regression", {"C": 1.0}),
        ("random_forest", {"n_estimators": 200, "max_depth": 0, "min_samples_leaf": 1,
                           "max_features": 0.3}),
        ("svc", {"C": 10.0, "gamma": "g"}),
        ("extra_trees", {"n_estimators": 250, "max_depth": 0, "min_samples_leaf": 1,
                         "max_features": 0.5}),
        ("hist_gradient_boosting", {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15,
                                    "min_samples_leaf": 10, "l2_regularization": 0.1,
                                    "max_features": 0.6}),
        ("knn", {"n_neighbors": 7, "weights": "distance", "p": 2}),
        ("mlp_sklearn", {"width": 128, "depth": 1, "alpha": 1e-3, "learning_rate_init": 1e-3}),
        ("logistic_regression", {"C": 0.1}),
        ("svc", {"C": 1.0, "gamma": "g"}),
        ("hist_gradient_boosting", {"learning_rate": 0.2, "max_iter": 60, "max_leaf_nodes": 63,
                                    "min_samples_leaf": 5, "l2_regularization": 1.0,
                                    "max_features": 0.8}),
        ("logistic_regression", {"C": 10.0}),
        ("random_forest", {"n_estimators": 300, "max_depth": 0, "min_samples_leaf": 2,
                           "max_features": 0.6}),
    ],
    "regression": [
        ("hist_gradient_boosting", {"learning_rate": 0.1, "max_iter": 100, "max_leaf_nodes": 31,
                                    "min_samples_leaf": 20, "l2_regularization": 1e-3,
                                    "max_features": 1.0}),
        ("linear_regression", {"l2.strength": 1.0}),
        ("random_forest", {"n_estimators": 200, "max_depth": 0, "min_samples_leaf": 1,
                           "max_features": 0.5}),
        ("extra_trees", {"n_estimators": 250, "max_depth": 0, "min_samples_leaf": 1,
                         "max_features": 0.7}),
        ("hist_gradient_boosting", {"learning_rate": 0.05, "max_iter": 300, "max_leaf_nodes": 15,
                                    "min_samples_leaf": 10, "l2_regularization": 0.1,
                                    "max_features": 0.6}),
        ("linear_regression", {"l2.strength": 30.0}),
        ("knn", {"n_neighbors": 10, "weights": "distance", "p": 2}),
        ("mlp_sklearn", {"width": 128, "depth": 2, "alpha": 1e-3, "learning_rate_init": 1e-3}),
        ("hist_gradient_boosting", {"learning_rate": 0.03, "max_iter": 400, "max_leaf_nodes": 8,
                                    "min_samples_leaf": 30, "l2_regularization": 1.0,
                                    "max_features": 0.5}),
        ("random_forest", {"n_estimators": 300, "max_depth": 0, "min_samples_leaf": 5,
                           "max_features": 0.33}),
        ("svr", {"C": 100.0, "gamma": "g"}),
    ],
}  # fmt: skip


@pytest.mark.parametrize("task", TASKS)
def test_the_builtins_portfolio_keeps_its_order_and_values(task):
    reg = get_registry()
    n_features = 12
    builtin = [
        (k, v) for k, v in portfolio(task, n_features) if reg.provider("model", k).name == "builtin"
    ]
    g = 1.0 / n_features
    expected = [
        (k, {f: g if x == "g" else x for f, x in v.items()}) for k, v in OLD_PORTFOLIO[task]
    ]
    assert builtin == expected
    kinds = [k for k in autopilot_kinds(task) if reg.provider("model", k).name == "builtin"]
    assert kinds == list(dict.fromkeys(k for k, _ in expected))


@pytest.mark.parametrize("kind", ["svc", "linear_regression", "hist_gradient_boosting", "knn"])
def test_builtin_portfolios_pass_the_conformance_check(kind):
    check_portfolio(get_registry().get("model", kind))


# -- a plugin's model, defined here ------------------------------------------------------------


def test_a_plugin_model_named_alone_searches_its_default_ranges(toy_plugin):
    X, y = _diabetes()
    cfg = parse_config(
        {"target": "target", "task": "regression", "metric": "r2", "models": ["toy_ridge"]}
    )
    space = build_space(cfg)
    assert space.names == ["toy_ridge.alpha"]
    strategy = get_registry().get("strategy", "random")().build(space, "max", seed=0)
    folds = make_folds(y, "regression", 3, True, None, seed=0)
    objective = PipelineObjective(cfg.model_dump(mode="json"), X, y, folds, "regression")
    alphas, scores = [], []
    for i in range(4):
        point = strategy.ask(str(i))
        alphas.append(point["toy_ridge.alpha"])
        model = objective.pipeline(point, seed=0).steps[-1][1]
        assert model.alpha == point["toy_ridge.alpha"]  # the searched value reaches the model
        scores.append(objective(point, _Ctx(seed=i))["score"])
    assert all(0.01 <= a <= 100.0 for a in alphas) and len(set(alphas)) == 4
    assert np.all(np.isfinite(scores)) and len(set(scores)) == 4


def test_a_plugin_model_with_a_default_rank_joins_the_default_models(toy_plugin):
    kinds = [m.kind for m in default_models("regression")]
    assert kinds == ["toy_ridge", "linear_regression", "random_forest", "svr"]
    cfg = parse_config({"target": "y", "task": "regression"})
    assert [m.kind for m in config_models(cfg)] == kinds
    assert default_models("classification")[0].kind == "logistic_regression"  # not its task


def test_the_autopilot_tries_a_plugin_models_portfolio_entry_first(toy_plugin):
    X, y = _diabetes()
    assert autopilot_kinds("regression")[0] == "toy_ridge"
    assert autopilot_models("regression")[0] == {
        "kind": "toy_ridge",
        "alpha": Float(0.01, 100.0, log=True).model_dump(mode="json"),
    }
    assert portfolio("regression", X.shape[1])[0] == ("toy_ridge", {"alpha": 3.0})
    check_portfolio(ToyRidgeSpec)
    # the autopilot's own pieces: its config, space, portfolio-first strategy and objective
    cfg = autopilot_config(parse_config({"target": "target", "task": "regression", "metric": "r2"}))
    space = build_space(cfg)
    starts = [portfolio_point(space, k, v) for k, v in portfolio("regression", X.shape[1])]
    strategy = PortfolioStrategy(space, "max", 0, starts)
    first = strategy.ask("0")
    assert first["model"] == "toy_ridge" and first["toy_ridge.alpha"] == pytest.approx(3.0)
    folds = make_folds(y, "regression", 3, True, None, seed=0)
    objective = AutopilotObjective(cfg.model_dump(mode="json"), X, y, folds, "regression")
    out = objective(first, _Ctx(seed=0))
    assert np.isfinite(out["score"]) and out["fit_time_s"] > 0
    assert objective.pipeline(first, seed=0).steps[-1][1].alpha == pytest.approx(3.0)


def test_a_real_run_searches_the_plugin_models_default_ranges(toy_plugin, ray_session):
    X, y = _diabetes()
    res = ac.run(
        X.assign(target=y),
        "target",
        models=["toy_ridge"],
        strategy="random",
        trials=3,
        folds=2,
        seed=0,
        config={"resources": {"executor": "ray"}},
        show_progress=False,
    )
    t = res.table
    assert (t["status"] == "ok").all(), t["error"].tolist()
    alphas = t["param.toy_ridge.alpha"]
    assert alphas.between(0.01, 100.0).all() and alphas.nunique() == 3
    assert res.best_pipeline.steps[-1][1].alpha == pytest.approx(res.best.params["toy_ridge.alpha"])


def test_the_autopilot_runs_the_plugin_models_portfolio_entry_first(toy_plugin):
    X, y = _diabetes()
    res = ac.run(
        X.assign(target=y), "target", strategy="auto", time_budget_s=120, trials=1, seed=0,
        show_progress=False,
    )  # fmt: skip
    first = res.table.iloc[0]
    assert first["status"] == "ok", first["error"]
    assert first["param.model"] == "toy_ridge"
    assert first["param.toy_ridge.alpha"] == pytest.approx(3.0)


def test_the_autopilot_searches_a_named_model_without_portfolio_entries(toy_plugin):
    """``strategy="auto"`` with a model that has no portfolio entries: no start to run first,
    so the search runs over its default range from the first trial, and a budget too short
    for any trial falls back to the space's cheapest point (the middle of the range)."""
    X, y = _diabetes()
    assert "toy_lasso" not in autopilot_kinds("regression")  # never searched unless named
    cfg = autopilot_config(parse_config({"target": "target", "task": "regression",
                                         "metric": "r2", "models": ["toy_lasso"]}))  # fmt: skip
    assert [m.kind for m in cfg.models] == ["toy_lasso"]
    assert portfolio_starts(build_space(cfg), cfg, X.shape[1]) == []
    data = X.assign(target=y)
    res = ac.run(data, "target", strategy="auto", models=["toy_lasso"], time_budget_s=60,
                 trials=3, seed=0, show_progress=False)  # fmt: skip
    t = res.table
    assert (t["status"] == "ok").all(), t["error"].tolist()
    assert len(t) == 3 and t["param.toy_lasso.alpha"].between(0.01, 100.0).all()
    assert t["param.toy_lasso.alpha"].nunique() == 3
    best = res.best_pipeline  # the best pipeline, or an ensemble of the best ones
    members = getattr(best, "members", None) or [best]
    assert all(isinstance(m.steps[-1][1], Lasso) for m in members)
    short = ac.run(data, "target", strategy="auto", models=["toy_lasso"], time_budget_s=0.01,
                   show_progress=False)  # fmt: skip
    assert short.info["autopilot"]["fallback"] is True
    assert short.info["fallback"]["model"] is None  # the space holds one model: no model dim
    fitted = short.best_pipeline.steps[-1][1]
    assert isinstance(fitted, Lasso) and fitted.alpha == pytest.approx(1.0)  # log-middle


def test_a_portfolio_entry_naming_no_searched_field_is_refused():
    class Typo(ToyRidgeSpec):
        kind: Literal["toy_typo"] = "toy_typo"

        @classmethod
        def portfolio(cls, task, n_features):
            return [PortfolioEntry(1, {"alpah": 3.0})]

    hook = ac.hookimpl(lambda: [Typo])
    register_plugin(SimpleNamespace(__name__="typo", automl_register_models=hook))
    try:
        with pytest.raises(AssertionError, match=r"\['alpah'\] name no searched field"):
            check_portfolio(Typo)
    finally:
        reset_registry()
        _KEEP.append(get_registry())


def test_a_portfolio_of_the_wrong_shape_names_the_class():
    class Loose(ToyRidgeSpec):
        kind: Literal["toy_loose"] = "toy_loose"

        @classmethod
        def portfolio(cls, task, n_features):
            return [{"alpha": 3.0}]

    with pytest.raises(TypeError, match=r"Loose.portfolio must return PortfolioEntry"):
        check_portfolio(Loose)


def test_the_old_constant_reads_the_installed_models():
    from automl_core.autopilot import AUTOPILOT_MODEL_KINDS

    assert AUTOPILOT_MODEL_KINDS["regression"] == autopilot_kinds("regression")
    assert set(AUTOPILOT_MODEL_KINDS) == set(TASKS)
