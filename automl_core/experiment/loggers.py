"""The driver's event hub for loggers (experiment trackers such as MLflow).

The experiment lifecycle owns one :class:`LoggerHub` per run and calls ``start`` (the run
starts, or a resumed one continues), ``trial`` (a trial finished and is in the journal) and
``end`` (the results were saved); the hub hands each event to every logger of the config
(:class:`~automl_core.specs.LoggerSpec`). A tracker costs about what a trivial trial does
(MLflow on a local SQLite store: 20-50 ms a trial on our 2-core machines), so the hub only
queues the event: each logger has a thread of its own, in the driver, that takes its events
in order, and ``end`` waits for it. The hub refuses to be pickled (loggers never run on
trial workers). A logger that raises is a :class:`LoggerWarning` naming it, emitted in the
caller's thread at the hub's next call, and the run goes on. One whose ``start`` raised, or
that failed :data:`MAX_CONSECUTIVE_FAILURES` calls in a row (a tracking server gone away must
not cost a timeout per trial), gets no further call in that run.
"""

from __future__ import annotations

import copy
import queue
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..specs import LoggerSpec

__all__ = [
    "LoggerHub",
    "LoggerWarning",
    "MAX_CONSECUTIVE_FAILURES",
    "example_rows",
    "log_results_folder",
    "parse_loggers",
    "rows_from_results",
]

#: a logger that fails this many calls in a row gets no further call in that run
MAX_CONSECUTIVE_FAILURES = 3
#: the longest ``end`` waits for a logger to finish its queue and its own ``end``
END_TIMEOUT_S = 600.0
#: the longest ``close`` (an interrupted run) waits for a logger's queue
CLOSE_TIMEOUT_S = 30.0


class LoggerWarning(UserWarning):
    """A logger raised; the message names it, the call and the exception. The run goes on."""


def parse_loggers(items: Any, registry: Any = None) -> list[LoggerSpec]:
    """Logger specs from spec instances (taken as they are), dicts or bare kinds (``"mlflow"``),
    validated like ``ExperimentConfig.loggers``: a :class:`~automl_core.config.ConfigError`
    names ``loggers.<i>.<field>``."""
    from pydantic import TypeAdapter, ValidationError

    from ..config import ConfigError, logger_list
    from ..plugins import get_registry

    if not items:
        return []
    if isinstance(items, (str, dict, LoggerSpec)):
        items = [items]
    registry = registry or get_registry()
    adapter = TypeAdapter(logger_list(registry))
    kinds = set(registry.kinds("logger"))
    specs, problems = [], []
    for i, item in enumerate(items):
        if isinstance(item, LoggerSpec):
            specs.append(item)
            continue
        try:
            specs.extend(adapter.validate_python([item]))
        except ValidationError as exc:
            for err in exc.errors():
                loc = [str(p) for p in err["loc"][1:] if not (isinstance(p, str) and p in kinds)]
                path = ".".join(["loggers", str(i), *(p for p in loc if "[" not in p)])
                problems.append(f"{path}: {err['msg'].removeprefix('Value error, ')}")
    if problems:
        raise ConfigError(problems)
    return specs


class _Worker:
    """One logger, its queue of calls and the thread that runs them in order."""

    def __init__(self, label: str, logger: Any) -> None:
        self.label = label
        self.logger = logger
        self.disabled = False
        self.failures = 0
        self.errors: list[str] = []  # appended by the thread, emitted by the driver
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None

    def submit(self, method: str, kwargs: dict[str, Any]) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"automl-logger-{self.label}", daemon=True
            )
            self._thread.start()
        self._queue.put((method, kwargs))

    def wait(self, timeout: float) -> bool:
        """Block until every call queued so far ran; False if ``timeout`` passed first."""
        done = threading.Event()
        self._queue.put(done)  # a marker: the thread sets it when it gets there
        return self._thread is None or done.wait(timeout)

    def stop(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            if isinstance(item, threading.Event):
                item.set()
            else:
                self._call(*item)

    def _call(self, method: str, kwargs: dict[str, Any]) -> None:
        if self.disabled:
            return
        fn = getattr(self.logger, method, None)
        if fn is None and method == "close":  # close is optional
            return
        try:
            if fn is None:
                raise AttributeError(f"{type(self.logger).__name__} has no {method}()")
            fn(**_accepted(fn, kwargs))
        except Exception as exc:
            self.failures += 1
            text = f"logger {self.label} failed in {method}: {type(exc).__name__}: {exc}"
            if method == "start":
                self.disabled = True
                text += "; it is off for the rest of this run"
            elif self.failures >= MAX_CONSECUTIVE_FAILURES:
                self.disabled = True
                text += f"; off for the rest of this run after {self.failures} failures in a row"
            self.errors.append(text + " (the search goes on)")
        else:
            self.failures = 0


class LoggerHub:
    """Every logger of a run, fed from the driver (see the module docstring).

    ``LoggerHub.from_specs(cfg.loggers)``, then ``start(...)`` once, ``trial(row, history)``
    per finished trial, and ``end(results, results_dir)`` (or ``close()`` when the run is
    interrupted). A hub with no logger is falsy: callers may skip building rows for it.
    """

    def __init__(self, loggers: Sequence[tuple[str, Any]] = ()) -> None:
        self._workers = [_Worker(label, logger) for label, logger in loggers]
        self._closed = False

    @classmethod
    def from_specs(cls, specs: Sequence[Any] | None, registry: Any = None) -> LoggerHub:
        """Build each spec (specs, dicts or kinds: :func:`parse_loggers`). A spec whose
        ``build()`` raises is a :class:`LoggerWarning` and is left out."""
        loggers = []
        parsed = parse_loggers(specs, registry)
        for i, spec in enumerate(parsed):
            label = f"{spec.kind!r}" if len(parsed) == 1 else f"loggers.{i} ({spec.kind!r})"
            try:
                loggers.append((label, spec.build()))
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc} (the search goes on without it)"
                warnings.warn(f"logger {label} could not be built: {why}", LoggerWarning, 2)
        return cls(loggers)

    def __bool__(self) -> bool:
        return bool(self._workers)

    def __reduce__(self):
        raise TypeError("a LoggerHub stays in the driver: loggers never run on trial workers")

    def start(
        self,
        *,
        kind: str,
        config: dict[str, Any],
        info: dict[str, Any],
        seed: int,
        results_dir: str | None,
        resumed: bool,
        finished_rows: list[dict[str, Any]],
        finished_history: list[dict[str, Any]] | None = None,
    ) -> None:
        """The run starts (``resumed``: it continues one that earlier processes began, and
        ``finished_rows`` / ``finished_history`` are the trials they finished)."""
        self._send(
            "start",
            dict(
                kind=kind,
                config=copy.deepcopy(dict(config or {})),
                info=copy.deepcopy(dict(info or {})),
                seed=seed,
                results_dir=None if results_dir is None else str(results_dir),
                resumed=resumed,
                finished_rows=[_row_copy(r) for r in finished_rows or []],
                finished_history=[dict(h) for h in finished_history or []],
            ),
        )

    def trial(self, row: dict[str, Any], history: list[dict[str, Any]]) -> None:
        """A trial finished. Returns at once: the loggers run it on their own threads."""
        self._send("trial", dict(row=_row_copy(row), history=[dict(h) for h in history or []]))

    def end(
        self, results: Any, results_dir: str | None, example: Any = None, timeout_s=END_TIMEOUT_S
    ):
        """The run finished and was saved: each logger ends, and this waits for them (at most
        ``timeout_s``, then a warning). ``example``: a few input rows of the best pipeline."""
        results_dir = None if results_dir is None else str(results_dir)
        self._send("end", dict(results=results, results_dir=results_dir, example=example))
        self._finish(timeout_s, "end")

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """The run stops before ``end`` (interrupted, or an error): flush what is queued, and
        give loggers that have one their ``close()``. Safe to call after ``end``."""
        if not self._closed:
            self._send("close", {})
            self._finish(timeout_s, "close")

    def _send(self, method: str, kwargs: dict[str, Any]) -> None:
        self._emit()
        if self._closed:
            return
        for w in self._workers:
            w.submit(method, kwargs)

    def _finish(self, timeout_s: float, what: str) -> None:
        deadline = time.monotonic() + timeout_s
        for w in self._workers:
            if not w.wait(max(0.0, deadline - time.monotonic())):
                w.errors.append(
                    f"logger {w.label} did not finish its {what} within {timeout_s:g} s; "
                    "left running in the background"
                )
            w.stop()
        self._closed = True
        self._emit()

    def _emit(self) -> None:
        """Warn, from the caller's thread, about the failures the logger threads saw."""
        for w in self._workers:
            while w.errors:
                warnings.warn(w.errors.pop(0), LoggerWarning, stacklevel=3)


def _accepted(fn: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keywords ``fn`` takes: a logger written before an optional one was added (e.g.
    ``finished_history``, ``example``) still gets its calls."""
    import inspect

    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def _row_copy(row: dict[str, Any]) -> dict[str, Any]:
    """A copy the engine may not change under the logger's thread (params and metrics too)."""
    return {k: dict(v) if isinstance(v, dict) else v for k, v in row.items()}


def _value(v: Any) -> Any:
    """A table cell as a plain Python value; missing (NaN, NA, None) as None."""
    import pandas as pd

    missing = pd.isna(v)
    if isinstance(missing, bool) and missing:
        return None
    return v.item() if hasattr(v, "item") else v


#: table columns that are the row's own fields, not metrics
_ROW_FIELDS = "trial_id status score score_std error node seed started_s finished_s".split()
#: table columns that are metrics of the trial (as the records keep them)
_METRIC_COLUMNS = ("train_score", "fit_time_s")


def rows_from_results(results: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The trial rows and per-epoch history of a finished :class:`~automl_core.Results`, in
    the form :meth:`LoggerHub.trial` takes (e.g. to log a results folder after the fact)."""
    rows = []
    for rec in results.table.to_dict("records"):
        row = {k: _value(rec.get(k)) for k in _ROW_FIELDS}
        row["trial_id"] = int(rec["trial_id"])
        row["params"] = {
            c[6:]: _value(v)
            for c, v in rec.items()
            if c.startswith("param.") and _value(v) is not None
        }
        metrics = {c: _value(rec.get(c)) for c in _METRIC_COLUMNS}
        metrics.update({c[7:]: _value(v) for c, v in rec.items() if c.startswith("metric.")})
        row["metrics"] = {k: v for k, v in metrics.items() if v is not None}
        if row.get("score_std") is not None:
            row["metrics"]["score_std"] = row["score_std"]
        rows.append(row)
    history = []
    if results.history is not None and not results.history.empty:
        history = [{k: _value(v) for k, v in h.items()} for h in results.history.to_dict("records")]
    return rows, history


def log_results_folder(directory: str, loggers: Sequence[Any]) -> list[str]:
    """Log a finished results folder (``automl report DIR --mlflow URI``): each logger starts
    as a resumed run whose trials all finished (so a folder logged before is continued, not
    logged twice), then ends. Returns the loggers' failures (empty: all logged)."""
    from ..results import Results

    res = Results.load(directory)
    rows, history = rows_from_results(res)
    cfg = res.config
    kind = "tune" if cfg is None else "autopilot" if cfg.autopilot else "run"
    strategy = str(res.table["strategy"].iloc[0]) if len(res.table) else None
    config = {"metric": res.metric, "mode": res.mode, "strategy": {"kind": strategy}}
    config = config if cfg is None else cfg.model_dump(mode="json", exclude_none=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LoggerWarning)
        hub = LoggerHub.from_specs(loggers)
        hub.start(
            kind=kind,
            config=config,
            info=res.info,
            seed=None if cfg is None else cfg.seed,
            results_dir=str(directory),
            resumed=True,
            finished_rows=rows,
            finished_history=history,
        )
        hub.end(res, str(directory), example=example_rows(res))
    return [str(w.message) for w in caught if issubclass(w.category, LoggerWarning)]


def example_rows(res: Any, n: int = 5) -> Any:
    """A few input rows of the best pipeline, read from the run's data file when it is still
    there (the target and the columns the run dropped left out); None otherwise."""
    import pandas as pd

    data = getattr(res.config, "data", None)
    if res.best_pipeline is None or not data or not Path(data).is_file():
        return None
    try:
        if Path(data).suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = next(pq.ParquetFile(data).iter_batches(batch_size=n)).to_pandas()
        else:
            rows = pd.read_csv(data, nrows=n)
        dropped = [res.config.target, *res.info.get("empty_columns_dropped", [])]
        rows = rows.drop(columns=[c for c in dropped if c in rows.columns])
        res.best_pipeline.predict(rows)  # rows the pipeline cannot take make no example
    except Exception:
        return None
    return rows


def conformance_events(directory: str) -> dict[str, Any]:
    """A small tune-like run's events, as a logger gets them (for
    :func:`automl_core.testing.check_logger`): ok trials with per-epoch history, a failed one
    (no score, an error), a cancelled one; their Results saved in ``directory``. Returns
    ``start`` and ``end`` (their keywords) and ``trials`` ((row, history) pairs)."""
    from types import SimpleNamespace

    import pandas as pd

    from ..results import BestTrial, Results, build_table

    records, history = [], []
    for i, status in enumerate(["ok", "ok", "failed", "cancelled"]):
        ok = status == "ok"
        records.append(
            SimpleNamespace(
                trial_id=i,
                status=status,
                score=0.5 + 0.1 * i if ok else None,
                metrics={"score_std": 0.01, "f1": 0.4 + 0.1 * i} if ok else {},
                params={"lr": 10.0 ** -(i + 1), "layers": i + 1, "act": ["relu", "tanh"][i % 2]},
                error=None if status != "failed" else "ValueError: boom",
                **dict(node="node0@localhost", seed=100 + i, started_s=i, finished_s=i + 0.5),
            )
        )
        history += [dict(trial_id=i, epoch=e, metric="val_loss", value=1 / (e + i)) for e in (1, 2)]
    results = Results(
        table=build_table(records, "random", ["lr", "layers", "act"]),
        metric="score",
        mode="max",
        best=BestTrial(1, 0.6, 0.01, dict(records[1].params), "score"),
        history=pd.DataFrame(history, columns=["trial_id", "epoch", "metric", "value"]),
    )
    results.save(directory)
    rows, history = rows_from_results(results)
    start = dict(kind="tune", config={"strategy": {"kind": "random"}, "metric": "score"}, info={})
    start.update(seed=0, results_dir=str(directory), resumed=False, finished_rows=[])
    pairs = [(r, [h for h in history if h["trial_id"] == r["trial_id"]]) for r in rows]
    end = dict(results=results, results_dir=str(directory), example=None)
    return {"start": dict(start, finished_history=[]), "trials": pairs, "end": end}
