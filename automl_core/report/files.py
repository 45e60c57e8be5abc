"""Reading a results folder for the report, without unpickling anything.

``Results.load`` also unpickles ``best_pipeline.joblib`` (which runs code from the file, and
needs every plugin the pipeline used) and re-validates the config against the registry. The
report needs neither, so ``automl report`` reads only the plain files: a folder copied from
another machine can be reported on safely.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

__all__ = ["load_results"]


def load_results(directory: str | Path):
    """A ``Results`` from the plain files of a results folder (no pipeline, no config object)."""
    from ..results import BestTrial, Results

    d = Path(directory)
    if not (d / "info.json").exists():
        raise FileNotFoundError(f"{d} is not a results folder (no info.json)")
    info = json.loads((d / "info.json").read_text())
    best = info.pop("best", None)
    if (d / "table.parquet").exists():
        table = pd.read_parquet(d / "table.parquet")
    else:
        table = pd.read_csv(d / "table.csv")
    hist, tp = d / "history.csv", d / "test_predictions.csv"
    fi = d / "feature_importance.csv"
    if "task" not in info and (d / "config.json").exists():
        info["task"] = json.loads((d / "config.json").read_text()).get("task")
    return Results(
        table=table,
        metric=info.pop("metric", "score"),
        mode=info.pop("mode", "max"),
        best=BestTrial(**best) if best else None,
        history=pd.read_csv(hist) if hist.exists() else pd.DataFrame(),
        info=info,
        results_dir=d,
        test_predictions=pd.read_csv(tp) if tp.exists() else None,
        feature_importance=pd.read_csv(fi) if fi.exists() else None,
    )
