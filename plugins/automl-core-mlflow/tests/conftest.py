"""Fixtures of the MLflow plugin's tests: a real ``mlflow server``, real small runs.

``ray_session`` matches the repository's ``tests/conftest.py`` one (pytest does not share a
conftest across sibling folders). ``mlflow_server`` is a real ``mlflow server`` process on a
free port of 127.0.0.1 with its own SQLite store, started once per module and ended by its
process group (it starts a job runner beside uvicorn).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tracking_util import start_server

#: MLflow 3 reports usage over the network unless told not to; nothing here may reach out
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("mlflow-server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ray_session():
    import ray
    from automl_core.runner.session import ensure_ray

    if not ray.is_initialized():
        ensure_ray(num_cpus=2)
    yield ray


@pytest.fixture(scope="session")
def table_csv(tmp_path_factory) -> Path:
    """A small classification table as a CSV file (so a run's config names its data)."""
    rng = np.random.default_rng(0)
    n = 150
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "plan": rng.choice(["basic", "pro"], size=n),
        }
    )
    X.loc[::17, "b"] = np.nan
    df = X.assign(y=np.where(X["a"] + (X["plan"] == "pro") > 0.3, "yes", "no"))
    path = tmp_path_factory.mktemp("data") / "table.csv"
    df.to_csv(path, index=False)
    return path
