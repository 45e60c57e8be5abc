"""The ``mlflow`` logger spec: where to track and what to log."""

from __future__ import annotations

from typing import Literal

from automl_core.specs import LoggerSpec
from pydantic import Field

__all__ = ["MlflowSpec", "DEFAULT_EXPERIMENT"]

DEFAULT_EXPERIMENT = "automl-core"


class MlflowSpec(LoggerSpec):
    """MLflow tracking: one parent run per experiment, one nested run per trial as it finishes,
    and at the end the best pipeline as an MLflow scikit-learn model and the results folder.

    ``tracking_uri``: a tracking server (``http://host:5000``), a database URI, or a path (a
    folder gets ``mlflow.db`` in it). Left out: ``$MLFLOW_TRACKING_URI`` if set, else a local
    SQLite store in the results folder (``<results_dir>/mlflow.db``, artifacts in
    ``<results_dir>/mlartifacts``), else ``mlflow.db`` in the working folder (MLflow's own
    default). ``experiment``: the MLflow experiment's name (created when missing).
    ``run_name``: the parent run's name (default: the results folder's name).
    ``log_model`` / ``log_artifacts``: log the refit best pipeline / the results folder at the
    end. ``timeout_s`` and ``retries``: each HTTP call to a tracking server gives up after
    that (MLflow's own default retries for minutes), so a server that is down costs a warning.
    """

    kind: Literal["mlflow"] = "mlflow"
    tracking_uri: str | None = None
    experiment: str = Field(default=DEFAULT_EXPERIMENT, min_length=1)
    run_name: str | None = None
    log_model: bool = True
    log_artifacts: bool = True
    timeout_s: int = Field(default=5, ge=1)
    retries: int = Field(default=1, ge=0, le=10)

    def build(self):
        from .logger import MlflowLogger  # imports mlflow: only when a run uses this logger

        return MlflowLogger(self)
