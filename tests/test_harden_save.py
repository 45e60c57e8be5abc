"""Issue 15, case 4: a searched cleaner range with a results folder; nothing lost on save.

The run used to finish its search and then crash in ``Results.save`` (``NoneType is not TOML
serializable``: the range's unset ``grid_points``), losing the best pipeline, the report and
``cleaners.toml``; and ``cleaners.toml`` held the range, not what the best trial chose.
"""

from __future__ import annotations

import json
import sys
import warnings

import pandas as pd
import pytest
from sklearn.datasets import load_iris

import automl_core as ac
from automl_core.config import ConfigError, dump_config, load_config, parse_config, to_toml
from automl_core.data.autoclean import load_chain
from automl_core.results import BestTrial, Results, ResultsSaveError, ResultsSaveWarning

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FILES = [
    "table.csv",
    "table.parquet",
    "config.json",
    "cleaners.toml",
    "info.json",
    "best_pipeline.joblib",
    "test_predictions.csv",
]


@pytest.mark.parametrize("strategy", ["random", "grid"])
def test_searched_cleaner_range_saves_everything_and_the_best_value(
    ray_session, tmp_path, strategy
):
    iris = load_iris(as_frame=True).frame
    factor = ac.Float(1, 3, grid_points=3) if strategy == "grid" else ac.Float(1, 3)
    out = tmp_path / "out"
    res = ac.run(
        iris,
        target="target",
        strategy=strategy,
        trials=3,
        models=[{"kind": "logistic_regression", "C": 2.0}],  # only the cleaner is searched
        cleaners=[{"kind": "outliers", "factor": factor}],
        test_size=0.2,
        results_dir=out,
        show_progress=False,
    )
    for name in FILES:
        assert (out / name).exists(), name
    assert not list(out.glob(".*.tmp"))  # no half-written file left behind
    info = json.loads((out / "info.json").read_text())
    assert "files_not_saved" not in info
    best = res.best.params["outliers.factor"]
    assert 1 <= best <= 3
    text = (out / "cleaners.toml").read_text()
    assert f"the values trial {res.best.trial_id} (the best) chose" in text
    (chain,) = tomllib.loads(text)["cleaners"]
    assert chain["kind"] == "outliers" and chain["factor"] == best  # a number, not the range
    # it is a chain a config takes again, and the folder loads back whole
    (spec,) = load_chain(text)
    assert spec.factor == best and spec.is_resolved()
    back = Results.load(out)
    assert back.best == res.best and back.best_pipeline is not None
    assert back.config == res.config


def test_a_config_with_ranges_writes_as_toml_and_reads_back(tmp_path):
    cfg = parse_config(
        {
            "target": "y",
            "cleaners": [{"kind": "outliers", "factor": {"type": "float", "low": 1, "high": 3}}],
            "models": [{"kind": "svc", "C": {"type": "float", "low": 0.1, "high": 10}}],
        }
    )
    path = tmp_path / "exp.toml"
    path.write_text(dump_config(cfg, "toml"))
    assert load_config(path) == cfg
    assert "grid_points" not in path.read_text()  # None: left out, TOML has no null
    assert to_toml({"a": {"b": None, "c": 1}, "d": None}) == "[a]\nc = 1\n"
    with pytest.raises(ValueError, match="write it as JSON"):
        to_toml({"values": [1, None]})


def _results(tmp_path, **fields) -> Results:
    cfg = parse_config(
        {
            "target": "y",
            "task": "classification",
            "cleaners": [{"kind": "outliers", "factor": {"type": "float", "low": 1, "high": 3}}],
            "models": ["logistic_regression"],
        }
    )
    table = pd.DataFrame({"trial_id": [0], "status": ["failed"], "score": [None]})
    return Results(table=table, metric="accuracy", mode="max", config=cfg, **fields)


def test_no_trial_succeeded_writes_the_chain_with_its_ranges(tmp_path):
    res = _results(tmp_path)
    res.save(tmp_path)
    text = (tmp_path / "cleaners.toml").read_text()
    assert "with the ranges searched (no trial succeeded)" in text
    (spec,) = load_chain(text)
    assert spec.factor == ac.Float(1, 3)


class Unpicklable:
    """A "pipeline" joblib cannot write (it holds a lambda)."""

    def __init__(self):
        self.f = lambda x: x


def test_one_file_that_fails_loses_nothing_else(tmp_path):
    best = BestTrial(0, 0.9, 0.01, {"outliers.factor": 2.5}, "accuracy")
    res = _results(tmp_path, best=best, best_pipeline=Unpicklable())
    with pytest.warns(ResultsSaveWarning, match=r"best_pipeline\.joblib \(.*Pickl"):
        res.save(tmp_path / "a")
    for name in ["table.csv", "table.parquet", "config.json", "cleaners.toml", "info.json"]:
        assert (tmp_path / "a" / name).exists(), name
    assert not (tmp_path / "a" / "best_pipeline.joblib").exists()  # no half-written pickle
    assert not list((tmp_path / "a").glob(".*.tmp"))
    info = json.loads((tmp_path / "a" / "info.json").read_text())
    assert list(info["files_not_saved"]) == ["best_pipeline.joblib"]
    assert load_chain((tmp_path / "a" / "cleaners.toml").read_text())[0].factor == 2.5
    # strict: the same files written, then an error naming the one that was not
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ResultsSaveError, match="best_pipeline.joblib") as exc:
            res.save(tmp_path / "b", strict=True)
    assert list(exc.value.failed) == ["best_pipeline.joblib"]
    assert (tmp_path / "b" / "table.parquet").exists() and (tmp_path / "b" / "info.json").exists()


def test_check_spec_accepts_a_builtin_with_a_searched_range():
    # the conformance kit flagged every range (its unset grid_points dumped as None)
    from automl_core.plugins import get_registry
    from automl_core.testing import check_spec

    outliers = get_registry().get("cleaner", "outliers")
    check_spec(outliers(factor=ac.Float(1, 3)))


def test_bad_range_in_a_cleaner_is_still_a_config_error():
    with pytest.raises(ConfigError, match="cleaners.0.factor"):
        parse_config(
            {"target": "y", "cleaners": [{"kind": "outliers", "factor": {"type": "float"}}]}
        )
