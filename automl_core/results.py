"""One results table (the same columns whatever the strategy), the best trial, files on disk."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .report.mixin import ReportMixin

__all__ = [
    "Results",
    "ResultsSaveError",
    "ResultsSaveWarning",
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


class ResultsSaveWarning(UserWarning):
    """Some files of a results folder could not be written; the message names each and why."""


class ResultsSaveError(OSError):
    """:meth:`Results.save` with ``strict=True``: the files in ``failed`` (name -> why) were not
    written; every other file was."""

    def __init__(self, message: str, failed: dict[str, str]):
        super().__init__(message)
        self.failed = failed


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
    #: importance of each input column to the best pipeline (feature, importance,
    #: importance_std; largest first), from
    #: :func:`automl_core.report.feature_importance.permutation_importance`
    feature_importance: pd.DataFrame | None = None

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

    def leaderboard(self) -> pd.DataFrame:
        """The best trial of each model, best first: model, score, score_std, fit_time_s and
        predict_time_s (summed over the folds), trials, trial_id; plus an ``ensemble`` row
        when the autopilot chose one. See :mod:`automl_core.report.leaderboard`."""
        from .report.leaderboard import leaderboard_frame

        return leaderboard_frame(self)

    def save(self, directory: str | Path, *, strict: bool = False) -> Path:
        """Write table (CSV, Parquet), history, config JSON, the cleaning chain, info, test
        predictions and the best pipeline into ``directory``.

        Each file is written on its own (to a temporary name, then renamed): one that fails (a
        pipeline that cannot be pickled, a full disk) neither stops the others nor leaves a
        half-written file. The failures are named at the end, and in ``info.json`` under
        ``files_not_saved``: a :class:`ResultsSaveWarning` by default, so a run still returns
        its results, or with ``strict=True`` a :class:`ResultsSaveError`.
        """
        import joblib

        d = Path(directory)
        failed: dict[str, str] = {}

        def write(name: str, dump: Callable[[Path], Any]) -> None:
            tmp = d / f".{name}.tmp"
            try:
                dump(tmp)
                tmp.replace(d / name)
            except Exception as exc:  # named in the warning or error below, not raised here
                failed[name] = f"{type(exc).__name__}: {exc}"
                tmp.unlink(missing_ok=True)

        try:
            d.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            failed[str(d)] = f"{type(exc).__name__}: {exc}"
        else:
            self._save_files(d, write, joblib.dump)
            info = {**self.info, "metric": self.metric, "mode": self.mode}
            if self.best is not None:
                info["best"] = asdict(self.best)
            if failed:
                info["files_not_saved"] = dict(failed)
            text = json.dumps(info, indent=2, default=_json_default)
            write("info.json", lambda p: p.write_text(text))
            self.results_dir = d
        if failed:
            problems = "; ".join(f"{name} ({why})" for name, why in failed.items())
            message = f"results folder {str(d)!r}: not saved: {problems}; the rest was written"
            if strict:
                raise ResultsSaveError(message, failed)
            warnings.warn(message, ResultsSaveWarning, stacklevel=2)
        return d

    def _save_files(self, d: Path, write, dump_pickle) -> None:
        """Every file of :meth:`save` but ``info.json``, each through ``write(name, dump)``."""
        write("table.csv", lambda p: self.table.to_csv(p, index=False))
        write("table.parquet", lambda p: _parquet_safe(self.table).to_parquet(p, index=False))
        if not self.history.empty:
            write("history.csv", lambda p: self.history.to_csv(p, index=False))
        if self.config is not None:
            from .config import dump_config

            write("config.json", lambda p: p.write_text(dump_config(self.config, "json")))
            if getattr(self.config, "cleaners", None):
                write("cleaners.toml", lambda p: p.write_text(self.cleaners_toml()))
        if self.test_predictions is not None:
            write("test_predictions.csv", lambda p: self.test_predictions.to_csv(p, index=False))
        if self.feature_importance is not None:
            fi = self.feature_importance
            write("feature_importance.csv", lambda p: fi.to_csv(p, index=False))
        if self.best_pipeline is not None:
            write("best_pipeline.joblib", lambda p: dump_pickle(self.best_pipeline, p))

    def cleaners_toml(self) -> str:
        """The cleaning chain of the run as the TOML ``[[cleaners]]`` list a config takes, with
        the values the best trial chose where the config searched a range (the range itself,
        with a note, when no trial succeeded)."""
        from .config import to_toml
        from .search.config_space import labels

        cleaners = list(self.config.cleaners or [])
        searched = any(not c.is_resolved() for c in cleaners)
        note = "as configured"
        if searched and self.best is not None:
            params = self.best.params
            cleaners = [
                c.resolve(
                    {f: params[f"{lab}.{f}"] for f in c.search_fields() if f"{lab}.{f}" in params}
                )
                for lab, c in zip(labels(cleaners), cleaners)
            ]
            note = f"with the values trial {self.best.trial_id} (the best) chose"
        elif searched:
            note = "with the ranges searched (no trial succeeded)"
        header = (
            f"# The cleaning chain used, {note}. Edit it and put it in an experiment config\n"
            "# as its `cleaners` list (these [[cleaners]] tables) to run it again.\n\n"
        )
        return header + to_toml({"cleaners": [c.model_dump(mode="json") for c in cleaners]})

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
        fi = d / "feature_importance.csv"
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
            feature_importance=pd.read_csv(fi) if fi.exists() else None,
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
