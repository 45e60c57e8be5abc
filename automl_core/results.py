"""One results table (the same columns whatever the strategy), the best trial, files on disk."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .report.mixin import ReportMixin

__all__ = [
    "Results",
    "BestTrial",
    "build_table",
    "config_hash",
    "results_from_recorder",
    "TABLE_COLUMNS",
]

#: the fixed leading columns; ``metric.<name>`` and ``param.<dim>`` columns follow
TABLE_COLUMNS = [
    "trial_id",
    "strategy",
    "status",
    "score",
    "score_std",
    "train_score",
    "fit_time_s",
    "started_s",
    "finished_s",
    "node",
    "seed",
    "config_hash",
    "error",
]


def config_hash(params: dict[str, Any]) -> str:
    """A short stable hash of a trial's parameters (same point, same hash, on any machine)."""
    text = json.dumps(params, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def build_table(records, strategy: str, param_names: list[str]) -> pd.DataFrame:
    """One row per trial from our own records; parameters as real values (None if inactive)."""
    rows = []
    extra_metrics: list[str] = []
    for rec in sorted(records, key=lambda r: r.trial_id):
        m = dict(rec.metrics or {})
        row = {
            "trial_id": rec.trial_id,
            "strategy": strategy,
            "status": rec.status,
            "score": rec.score,
            "score_std": m.pop("score_std", None),
            "train_score": m.pop("train_score", None),
            "fit_time_s": m.pop("fit_time_s", None),
            "started_s": rec.started_s,
            "finished_s": rec.finished_s,
            "node": rec.node,
            "seed": rec.seed,
            "config_hash": config_hash(rec.params),
            "error": rec.error,
        }
        for k, v in m.items():
            name = k if k.startswith("metric.") else f"metric.{k}"
            if name not in extra_metrics:
                extra_metrics.append(name)
            row[name] = v
        for p in param_names:
            row[f"param.{p}"] = rec.params.get(p)
        for p, v in rec.params.items():
            if p not in param_names:
                row[f"param.{p}"] = v
        rows.append(row)
    columns = TABLE_COLUMNS + extra_metrics + [f"param.{p}" for p in param_names]
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=columns)
    for c in table.columns:
        if c.startswith("param.") and table[c].dtype == float:
            values = [v for v in table[c] if v is not None and not math.isnan(v)]
            if values and all(float(v).is_integer() for v in values) and _all_int(records, c[6:]):
                table[c] = table[c].astype("Int64")  # ints stay ints beside inactive (NA) rows
    rest = [c for c in table.columns if c not in columns]
    return table[[c for c in columns if c in table.columns] + rest]


def _all_int(records, name: str) -> bool:
    vals = [r.params[name] for r in records if name in r.params]
    return bool(vals) and all(isinstance(v, int) and not isinstance(v, bool) for v in vals)


@dataclass
class BestTrial:
    """The best successful trial."""

    trial_id: int
    score: float
    score_std: float | None
    params: dict[str, Any]
    metric: str


@dataclass
class Results(ReportMixin):
    """What a run hands back.

    ``table``: one row per trial. ``history``: per-epoch rows (trial_id, epoch, metric, value).
    ``best``: the best trial. ``best_pipeline``: refit on all training rows. ``info``: counts
    and facts of the run (rows dropped, duplicates, cleaning gain, test score...).
    """

    table: pd.DataFrame
    metric: str
    mode: str
    best: BestTrial | None = None
    best_pipeline: Any = None
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    config: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    results_dir: Path | None = None
    #: y_true / y_pred of the refit best pipeline on the held-out test split (``test_size``)
    test_predictions: pd.DataFrame | None = None

    # The config's class is built at run time from the plugin registry, so pickle cannot find
    # it by name: keep its JSON and validate it again on load.
    def __getstate__(self):
        state = dict(self.__dict__)
        if state.get("config") is not None and hasattr(state["config"], "model_dump"):
            state["config"] = {"__config_json__": state["config"].model_dump(mode="json")}
        return state

    def __setstate__(self, state):
        cfg = state.get("config")
        if isinstance(cfg, dict) and "__config_json__" in cfg:
            from .config import parse_config

            state["config"] = parse_config(cfg["__config_json__"])
        self.__dict__.update(state)

    def top(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` best successful trials."""
        ok = self.table[self.table["status"] == "ok"]
        return ok.sort_values("score", ascending=self.mode == "min").head(n)

    def save(self, directory: str | Path) -> Path:
        """Write table (CSV, Parquet), history, config JSON, info and the best pipeline."""
        import joblib

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(d / "table.csv", index=False)
        _parquet_safe(self.table).to_parquet(d / "table.parquet", index=False)
        if not self.history.empty:
            self.history.to_csv(d / "history.csv", index=False)
        if self.config is not None:
            from .config import dump_config

            (d / "config.json").write_text(dump_config(self.config, "json"))
            cleaners = getattr(self.config, "cleaners", None)
            if cleaners:
                from .autoclean import dump_chain

                (d / "cleaners.toml").write_text(dump_chain(cleaners, "toml"))
        info = {**self.info, "metric": self.metric, "mode": self.mode}
        if self.best is not None:
            info["best"] = asdict(self.best)
        (d / "info.json").write_text(json.dumps(info, indent=2, default=_json_default))
        if self.test_predictions is not None:
            self.test_predictions.to_csv(d / "test_predictions.csv", index=False)
        if self.best_pipeline is not None:
            joblib.dump(self.best_pipeline, d / "best_pipeline.joblib")
        self.results_dir = d
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """Read a results folder written by :meth:`save` (the pipeline is unpickled: trust it)."""
        import joblib

        d = Path(directory)
        info = json.loads((d / "info.json").read_text())
        best = info.pop("best", None)
        hist = d / "history.csv"
        pipe = d / "best_pipeline.joblib"
        tp = d / "test_predictions.csv"
        config = None
        if (d / "config.json").exists():
            from .config import parse_config

            config = parse_config(json.loads((d / "config.json").read_text()))
        return cls(
            table=pd.read_parquet(d / "table.parquet"),
            metric=info.pop("metric"),
            mode=info.pop("mode"),
            best=BestTrial(**best) if best else None,
            best_pipeline=joblib.load(pipe) if pipe.exists() else None,
            history=pd.read_csv(hist) if hist.exists() else pd.DataFrame(),
            config=config,
            info=info,
            results_dir=d,
            test_predictions=pd.read_csv(tp) if tp.exists() else None,
        )


def results_from_recorder(
    recorder, strategy: str, names: list[str], metric: str, mode: str, **fields: Any
) -> Results:
    """The table, per-epoch history and best trial of a finished search, as :class:`Results`.

    ``recorder`` is the runner's :class:`~automl_core.runner.Recorder`; ``fields`` are further
    ``Results`` fields (config, info).
    """
    best = recorder.best(mode)
    return Results(
        table=build_table(recorder.trials.values(), strategy, names),
        metric=metric,
        mode=mode,
        history=pd.DataFrame(recorder.history, columns=["trial_id", "epoch", "metric", "value"]),
        best=BestTrial(
            best.trial_id, best.score, best.metrics.get("score_std"), dict(best.params), metric
        )
        if best
        else None,
        **fields,
    )


def _json_default(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


def _parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: a param column mixing numbers and text goes to text."""
    out = table.copy()
    for c in out.columns:
        if out[c].dtype == object:
            types = {
                type(v)
                for v in out[c]
                if v is not None and not (isinstance(v, float) and math.isnan(v))
            }
            if len(types) > 1 and not types <= {int, float}:
                out[c] = out[c].map(lambda v: None if v is None else str(v))
    return out
