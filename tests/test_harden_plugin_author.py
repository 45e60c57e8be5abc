"""The plugin author's path (issue 15, case 11): a plugin registered in the driver with
``ac.register_plugin`` (a notebook's) works on the embedded Ray's workers and on the local pool,
instead of failing every trial with an unknown kind."""

from __future__ import annotations

import pytest
from sklearn.datasets import load_iris

import automl_core as ac
from automl_core.plugins import reset_registry


def _notebook_plugin():
    """A plugin as a notebook would write it: classes defined at run time, not installed (so
    they travel to the workers by value)."""
    from typing import Literal

    from automl_core.specs import ModelSpec

    class PriorModelSpec(ModelSpec):
        kind: Literal["prior_model"] = "prior_model"
        tasks = ("classification",)
        strategy: ac.Searchable[Literal["prior", "uniform"]] = "prior"

        def build(self, task, regularizers=(), seed=0, n_jobs=1):
            from sklearn.dummy import DummyClassifier

            return DummyClassifier(strategy=self.strategy)

    class NotebookPlugin:
        @staticmethod
        @ac.hookimpl
        def automl_register_models():
            return [PriorModelSpec]

    return NotebookPlugin


@pytest.fixture
def notebook_plugin():
    reset_registry()
    ac.register_plugin(_notebook_plugin())
    yield
    reset_registry()


@pytest.mark.parametrize("executor", ["ray", "local"])
def test_a_plugin_registered_in_the_driver_runs_on_the_workers(
    notebook_plugin, ray_session, executor
):
    X, y = load_iris(return_X_y=True, as_frame=True)
    res = ac.run(
        X.assign(target=y),
        "target",
        models=[{"kind": "prior_model", "strategy": ac.Choice(["prior", "uniform"])}],
        strategy="grid",
        config={"resources": {"executor": executor}},
        show_progress=False,
    )
    assert res.table["status"].tolist() == ["ok", "ok"], res.table["error"].tolist()
    assert res.best_pipeline.predict(X.head(2)).shape == (2,)
