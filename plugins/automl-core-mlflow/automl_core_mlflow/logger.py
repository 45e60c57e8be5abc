"""The MLflow logger: the run's events as MLflow runs, through ``MlflowClient``.

The parent run stands for the experiment; each trial becomes a nested run (tag
``mlflow.parentRunId``) tagged ``automl.trial_id``, logged when the trial finishes. The client
API is used rather than ``mlflow.start_run``: it names its run explicitly, so the logger never
touches the process's active run (which may be the user's own) and works from the hub's
thread. Only the model goes through ``mlflow.sklearn.log_model`` (the one way to make an MLflow
3 LoggedModel with its signature), under this logger's tracking URI for that call.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any

from .spec import DEFAULT_EXPERIMENT, MlflowSpec
from .store import (
    clean_key,
    default_artifact_location,
    flat_params,
    http_limits,
    param_value,
    read_state,
    resolve_tracking_uri,
    results_files,
    write_state,
)

__all__ = ["MlflowLogger", "RUN_STATUS"]

#: a trial's status -> the nested run's MLflow status
RUN_STATUS = {
    "ok": "FINISHED",
    "failed": "FAILED",
    "timeout": "FAILED",
    "oom": "FAILED",
    "stopped early": "KILLED",
    "cancelled": "KILLED",
}
#: MLflow's limit on a tag's value
_MAX_TAG = 5000
#: config keys about where a run runs and logs, left out of its hash and parameters
_WHERE = ("results_dir", "address", "loggers")


class MlflowLogger:
    """Built by :class:`~automl_core_mlflow.MlflowSpec`; called by the driver's LoggerHub."""

    def __init__(self, spec: MlflowSpec) -> None:
        self.spec = spec
        self.uri: str | None = None
        self.client: Any = None
        self.experiment_id: str | None = None
        self.run_id: str | None = None
        self.logged: set[int] = set()  # trial ids with a complete nested run

    def _limits(self):
        return http_limits(self.spec.timeout_s, self.spec.retries)

    def start(
        self,
        *,
        kind: str,
        config: dict[str, Any],
        info: dict[str, Any],
        seed: int | None,
        results_dir: str | None,
        resumed: bool,
        finished_rows: list[dict[str, Any]],
        finished_history: list[dict[str, Any]] | None = None,
    ) -> None:
        from mlflow import MlflowClient

        self.uri = resolve_tracking_uri(self.spec.tracking_uri, results_dir)
        with self._limits():
            self.client = MlflowClient(self.uri)
            self.experiment_id = self._experiment()
            state = read_state(results_dir) if resumed else None
            same_store = state is not None and state.get("tracking_uri") == self.uri
            parent = self._recorded_parent(state) if same_store else None
            if parent is not None:
                self.run_id = parent.info.run_id
                self.experiment_id = parent.info.experiment_id  # where its trials are
                self.client.update_run(self.run_id, status="RUNNING")
                self.logged = self._logged_trials()
            else:
                self.run_id = self._new_parent(kind, config, info, seed, results_dir)
                self.logged = set()
            write_state(
                results_dir,
                {
                    "tracking_uri": self.uri,
                    "experiment_id": self.experiment_id,
                    "run_id": self.run_id,
                },
            )
            self._backfill(finished_rows, finished_history or [])

    def trial(self, row: dict[str, Any], history: list[dict[str, Any]]) -> None:
        with self._limits():
            self._log_trial(row, history)

    def end(self, results: Any, results_dir: str | None, example: Any = None) -> None:
        from automl_core.experiment.loggers import example_rows, rows_from_results

        with self._limits():
            rows, history = rows_from_results(results)
            self._backfill(rows, history)  # a trial the run never handed over (none, normally)
            self._log_summary(results)
            if self.spec.log_model and results.best_pipeline is not None:
                # no rows handed over: a few from the run's data file, when its config names one
                example = example if example is not None else example_rows(results)
                self._log_model(results.best_pipeline, example)
            if self.spec.log_artifacts:
                for path in results_files(results_dir):
                    self.client.log_artifact(self.run_id, str(path), "results")
            self.client.set_terminated(self.run_id, "FINISHED")

    def close(self) -> None:
        """The run was interrupted: the parent run shows KILLED until a resume continues it."""
        if self.run_id is not None:
            with self._limits():
                self.client.set_terminated(self.run_id, "KILLED")

    # -- the parent run -------------------------------------------------------------------

    def _experiment(self) -> str:
        name = self.spec.experiment or DEFAULT_EXPERIMENT
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            if exp.lifecycle_stage == "deleted":
                self.client.restore_experiment(exp.experiment_id)
            return exp.experiment_id
        return self.client.create_experiment(
            name, artifact_location=default_artifact_location(self.uri)
        )

    def _recorded_parent(self, state: dict[str, Any]) -> Any:
        """The parent run ``state`` names, if it is still in this store (not deleted)."""
        from mlflow.exceptions import MlflowException

        try:
            run = self.client.get_run(state["run_id"])
        except MlflowException:
            return None
        return run if run.info.lifecycle_stage == "active" else None

    def _new_parent(self, kind, config, info, seed, results_dir) -> str:
        from pathlib import Path

        from automl_core.plugins import plugin_versions
        from automl_core.results import config_hash
        from mlflow.entities import Param

        # what the experiment is, not where it runs and logs: the same config, the same hash
        config = {k: v for k, v in config.items() if k not in _WHERE}
        plugins = info.get("plugins") or plugin_versions()
        strategy = config.get("strategy")
        strategy = strategy.get("kind") if isinstance(strategy, dict) else strategy
        if kind == "autopilot" or config.get("autopilot"):
            strategy = "auto"
        tags = {
            "automl.kind": kind,
            "automl.strategy": strategy,
            "automl.seed": seed,
            "automl.config_hash": config_hash(config),
            "automl.plugins": json.dumps(plugins, sort_keys=True),
            "automl.results_dir": str(Path(results_dir).resolve()) if results_dir else None,
            **{f"automl.plugin.{dist}": version for dist, version in plugins.items()},
        }
        name = self.spec.run_name or (Path(results_dir).name if results_dir else None)
        run = self.client.create_run(self.experiment_id, run_name=name, tags=_tags(tags))
        run_id = run.info.run_id
        params = flat_params({"config": config})
        data = {k: v for k, v in info.items() if isinstance(v, (int, float, str, bool))}
        params.update(flat_params({"data": data}))
        self.client.log_batch(run_id, params=[Param(k, v) for k, v in params.items()])
        self.client.log_dict(run_id, config, "automl/config.json")
        return run_id

    def _log_summary(self, results: Any) -> None:
        from mlflow.entities import Metric

        table = results.table
        values: dict[str, Any] = {
            "trials": len(table),
            "trials_ok": int((table["status"] == "ok").sum()) if len(table) else 0,
        }
        tags: dict[str, Any] = {"automl.metric": results.metric, "automl.mode": results.mode}
        if results.best is not None:
            values["best_score"] = results.best.score
            values["best_score_std"] = results.best.score_std
            tags["automl.best_trial_id"] = results.best.trial_id
            tags.update({f"automl.best.{k}": v for k, v in results.best.params.items()})
        for key in ("test_score", "duplicates_dropped", "rows_without_target_dropped"):
            values[key] = results.info.get(key)
        gain = results.info.get("cleaning_gain")
        if isinstance(gain, dict):
            values["cleaning_gain"] = gain.get("gain")
        now = _now()
        metrics = [Metric(k, float(v), now, 0) for k, v in values.items() if _number(v)]
        self.client.log_batch(self.run_id, metrics=metrics, tags=_tag_list(tags))

    def _log_model(self, pipeline: Any, example: Any) -> None:
        """The best pipeline as an MLflow scikit-learn model (cloudpickle: it holds
        automl-core's own classes, which skops would refuse to load without a trust list),
        with a signature and input example when the run gave example rows."""
        import mlflow.sklearn
        from mlflow.models import infer_signature

        if self.client.get_run(self.run_id).data.tags.get("automl.model_uri"):
            return  # logged already (a results folder logged twice)
        signature = None
        if example is not None and len(example):
            example = example.head(5)
            signature = infer_signature(example, pipeline.predict(example))
        else:
            example = None
        with _tracking_uri(self.uri):
            info = mlflow.sklearn.log_model(
                pipeline,
                name="model",
                run_id=self.run_id,
                signature=signature,
                input_example=example,
                pip_requirements=_requirements(),
                serialization_format="cloudpickle",
            )
        self.client.set_tag(self.run_id, "automl.model_uri", info.model_uri)

    # -- trials ---------------------------------------------------------------------------

    def _logged_trials(self) -> set[int]:
        """Trial ids with a complete nested run under the parent. A nested run left RUNNING
        (its process died while logging it) is deleted, to be logged again whole."""
        found: set[int] = set()
        token = None
        while True:
            page = self.client.search_runs(
                [self.experiment_id],
                filter_string=f"tags.mlflow.parentRunId = '{self.run_id}'",
                max_results=1000,
                page_token=token,
            )
            for run in page:
                tid = run.data.tags.get("automl.trial_id")
                if tid is None:
                    continue
                if run.info.status == "RUNNING":
                    self.client.delete_run(run.info.run_id)
                else:
                    found.add(int(tid))
            token = page.token
            if not token:
                return found

    def _backfill(self, rows: list[dict[str, Any]], history: list[dict[str, Any]]) -> None:
        for row in rows:
            tid = int(row["trial_id"])
            if tid not in self.logged:  # a journal's row carries its own history
                own = [h for h in history if int(h["trial_id"]) == tid]
                self._log_trial(row, own or row.get("history") or [])

    def _log_trial(self, row: dict[str, Any], history: list[dict[str, Any]]) -> None:
        from mlflow.entities import Metric, Param

        tid = int(row["trial_id"])
        if tid in self.logged:
            return
        status = row.get("status") or "ok"
        tags = {
            "mlflow.parentRunId": self.run_id,
            "automl.trial_id": tid,
            "automl.status": status,
            "automl.node": row.get("node"),
            "automl.seed": row.get("seed"),
            "automl.attempts": row.get("attempts"),
            "automl.error": row.get("error"),
        }
        run = self.client.create_run(self.experiment_id, run_name=f"trial {tid}", tags=_tags(tags))
        run_id = run.info.run_id
        now = _now()
        epochs = [_step(h.get("epoch")) for h in history]
        last = max(epochs, default=0)
        metrics = [
            Metric(clean_key(h["metric"]), float(h["value"]), now, step)
            for h, step in zip(history, epochs)
            if _number(h.get("value"))
        ]
        values = {**(row.get("metrics") or {}), "score": row.get("score")}
        if row.get("score_std") is not None:
            values["score_std"] = row["score_std"]
        values.update(started_s=row.get("started_s"), finished_s=row.get("finished_s"))
        # a final value at the last epoch's step, unless that step already holds it
        at_last = {m.key: m.value for m in metrics if m.step == last}
        metrics += [
            Metric(clean_key(k), float(v), now, last)
            for k, v in values.items()
            if _number(v) and at_last.get(clean_key(k)) != float(v)
        ]
        params = [
            Param(clean_key(k), param_value(v))
            for k, v in (row.get("params") or {}).items()
            if v is not None
        ]
        self.client.log_batch(run_id, metrics=metrics, params=params)
        self.client.set_terminated(run_id, RUN_STATUS.get(status, "FAILED"))
        self.logged.add(tid)


def _now() -> int:
    return int(time.time() * 1000)


def _number(v: Any) -> bool:
    """A value MLflow takes as a metric (bools are not; NaN and infinities are)."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return False
    return isinstance(v, (int, float)) or hasattr(v, "__float__")


def _step(epoch: Any) -> int:
    try:
        return int(epoch)
    except (TypeError, ValueError):
        return 0


def _text(v: Any) -> str:
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= _MAX_TAG else text[: _MAX_TAG - 12] + "...(cut)"


def _tags(tags: dict[str, Any]) -> dict[str, str]:
    return {clean_key(k): _text(v) for k, v in tags.items() if v is not None}


def _tag_list(tags: dict[str, Any]) -> list[Any]:
    from mlflow.entities import RunTag

    return [RunTag(k, v) for k, v in _tags(tags).items()]


def _requirements() -> list[str]:
    """What loading the model needs, pinned to what this process runs: automl-core and its
    plugins (the pipeline holds their classes), scikit-learn, pandas, numpy, cloudpickle.
    Given explicitly: MLflow's own inference loads the model in a subprocess (seconds)."""
    import importlib.metadata as md

    from automl_core.plugins import plugin_versions

    pins = {d: v for d, v in plugin_versions().items() if v != "(not installed)"}
    for dist in ("scikit-learn", "pandas", "numpy", "cloudpickle"):
        try:
            pins[dist] = md.version(dist)
        except md.PackageNotFoundError:
            continue
    return [f"{d}=={v}" for d, v in sorted(pins.items())]


@contextmanager
def _tracking_uri(uri: str):
    """MLflow's process-wide tracking URI set to ``uri`` for one fluent call, then restored."""
    try:  # MLflow's own helper restores an unset URI as unset
        from mlflow.tracking._tracking_service.utils import _use_tracking_uri
    except ImportError:  # pragma: no cover - a later MLflow without it
        import mlflow

        before = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(uri)
        try:
            yield
        finally:
            mlflow.set_tracking_uri(before)
        return
    with _use_tracking_uri(uri):
        yield
