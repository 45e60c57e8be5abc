"""Where the logger tracks, how long a call may take, and what it keeps in the results folder.

Nothing here talks to MLflow except through the environment it sets around each call.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "STATE_FILE",
    "STORE_FILE",
    "ARTIFACTS_DIR",
    "resolve_tracking_uri",
    "default_artifact_location",
    "http_limits",
    "read_state",
    "write_state",
    "clean_key",
    "flat_params",
    "results_files",
]

#: in the results folder: the parent run this folder's run logs to (resume continues it)
STATE_FILE = "mlflow.json"
#: the default local store (SQLite: MLflow 3 refuses its old file store by default)
STORE_FILE = "mlflow.db"
#: artifacts of the default local store, beside it
ARTIFACTS_DIR = "mlartifacts"
#: MLflow's limit on a parameter's value (longer ones are cut, with a marker)
MAX_PARAM_LENGTH = 6000
#: files of a results folder logged as artifacts: the table, config, chain, info, report
_RESULT_SUFFIXES = {".csv", ".parquet", ".json", ".toml", ".html", ".png"}


def resolve_tracking_uri(uri: str | None, results_dir: str | None) -> str:
    """The tracking URI to use (see :class:`~automl_core_mlflow.MlflowSpec`): a bare path
    becomes a SQLite store (a ``.db`` file, or ``mlflow.db`` in a folder)."""
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        folder = Path(results_dir) if results_dir else Path.cwd()
        folder.mkdir(parents=True, exist_ok=True)
        path = (folder / STORE_FILE).resolve()
        if not path.exists():
            _write_ahead(path)
        return f"sqlite:///{path}"
    if "://" in uri or uri.startswith("databricks"):
        return uri
    path = Path(uri).expanduser()
    if path.suffix != ".db":
        path = path / STORE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def _write_ahead(path: Path) -> None:
    """Create the default store in SQLite's write-ahead-log mode (kept by the file): each of
    MLflow's commits then costs one append instead of a rollback journal written, synced and
    deleted; about 3x faster per trial here (benchmarks/RESULTS.md). Only for the store this
    logger creates in a results folder: WAL needs a local disk, and a store someone else
    made keeps its own mode."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def default_artifact_location(uri: str) -> str | None:
    """Artifacts of a new experiment in a SQLite store: beside the database file. MLflow's
    own default is ``./mlruns`` in whatever folder the process runs in; a server decides for
    itself (None)."""
    if uri.startswith("sqlite:///"):
        return (Path(uri[len("sqlite:///") :]).parent / ARTIFACTS_DIR).resolve().as_uri()
    return None


_env_lock = threading.Lock()


@contextmanager
def http_limits(timeout_s: int, retries: int) -> Iterator[None]:
    """MLflow's HTTP timeout and retries for the calls inside (MLflow reads them from the
    environment at each request; its defaults retry a dead server for minutes). Restored
    after; one logger at a time changes them."""
    wanted = {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(timeout_s),
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(retries),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    }
    with _env_lock:
        saved = {k: os.environ.get(k) for k in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def read_state(results_dir: str | None) -> dict[str, Any] | None:
    """The parent run recorded in ``results_dir`` (None: none, or an unreadable file)."""
    if not results_dir:
        return None
    try:
        state = json.loads((Path(results_dir) / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and state.get("run_id") else None


def write_state(results_dir: str | None, state: dict[str, Any]) -> None:
    if results_dir:
        d = Path(results_dir)
        d.mkdir(parents=True, exist_ok=True)
        tmp = d / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(d / STATE_FILE)  # never a half-written file after a kill


def clean_key(key: Any) -> str:
    """A metric, parameter or tag name MLflow accepts (letters, digits, ``_-. /``)."""
    return re.sub(r"[^\w\-. /]", "_", str(key))[:250] or "_"


def param_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > MAX_PARAM_LENGTH:
        return text[: MAX_PARAM_LENGTH - 12] + "...(cut)"
    return text


def flat_params(data: Any, prefix: str = "") -> dict[str, str]:
    """A nested config as ``{"cv.folds": "3", "models.0.kind": "svc", ...}``; a search range
    (a dict with a ``type``) stays one JSON value."""
    out: dict[str, str] = {}
    if isinstance(data, dict) and not (prefix and "type" in data):
        for k, v in data.items():
            out.update(flat_params(v, f"{prefix}{k}."))
    elif isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        for i, v in enumerate(data):
            out.update(flat_params(v, f"{prefix}{i}."))
    elif data is not None:
        out[clean_key(prefix.rstrip("."))] = param_value(data)
    return out


def results_files(results_dir: str | None) -> list[Path]:
    """The files of a results folder worth keeping beside the run (the journal, pickles, the
    local store and this logger's state are left out)."""
    if not results_dir or not Path(results_dir).is_dir():
        return []
    return sorted(
        p
        for p in Path(results_dir).iterdir()
        if p.is_file()
        and p.suffix in _RESULT_SUFFIXES
        and p.name != STATE_FILE
        and not p.name.startswith(("journal", "."))
    )
