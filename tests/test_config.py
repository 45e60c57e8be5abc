"""The experiment config: TOML/JSON round trips and every bad-config case, with field paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from automl_core.config import ConfigError, dump_config, load_config, parse_config

GOOD = {
    "target": "y",
    "task": "classification",
    "metric": "accuracy",
    "cv": {"folds": 4},
    "budget": {"trials": 10, "time_s": 60},
    "resources": {"cpu": 1, "gpu": 0.5},
    "seed": 3,
    "cleaners": [
        {"kind": "impute", "numeric": {"type": "choice", "values": ["mean", "median"]}},
        {"kind": "one_hot"},
        {"kind": "standard_scale"},
    ],
    "models": [
        {"kind": "svc", "C": {"type": "float", "low": 0.01, "high": 100, "log": True}},
        {
            "kind": "logistic_regression",
            "regularizers": [
                {"kind": "l1", "strength": {"type": "float", "low": 1e-3, "high": 1, "log": True}}
            ],
        },
        {"kind": "random_forest", "n_estimators": {"type": "int", "low": 10, "high": 100}},
    ],
    "strategy": {"kind": "random"},
}


@pytest.mark.parametrize("fmt", ["toml", "json"])
def test_round_trip(tmp_path, fmt):
    cfg = parse_config(GOOD)
    path = tmp_path / f"exp.{fmt}"
    path.write_text(dump_config(cfg, fmt))
    assert load_config(path) == cfg


def bad(data, *fragments):
    with pytest.raises(ConfigError) as exc:
        parse_config({"target": "y", **data})
    text = str(exc.value)
    for f in fragments:
        assert f in text, text
    return text


def test_unknown_kind_names_field_and_known_kinds():
    bad({"models": [{"kind": "xgb"}]}, "models.0", "'xgb'", "svc")


def test_unknown_key_is_an_error_not_dropped():
    bad({"models": [{"kind": "svc", "Cee": 1}]}, "models.0.Cee", "Extra inputs")
    bad({"budgett": {}}, "budgett")


def test_wrong_type():
    bad({"models": [{"kind": "svc", "C": "big"}]}, "models.0.C", "valid number")
    bad({"cv": {"folds": "three"}}, "cv.folds")


def test_out_of_range():
    bad({"models": [{"kind": "svc", "C": -1}]}, "models.0.C", "greater than 0")
    bad(
        {"models": [{"kind": "svc", "C": {"type": "float", "low": -1, "high": 1}}]},
        "models.0.C",
        "low=-1.0",
    )
    bad({"cv": {"folds": 1}}, "cv.folds")
    bad({"budget": {"trials": 0}}, "budget.trials")
    bad({"resources": {"cpu": 0}}, "resources.cpu")


def test_regularizer_the_model_cannot_take():
    bad(
        {"models": [{"kind": "random_forest", "regularizers": [{"kind": "l2"}]}]},
        "models.0.regularizers",
        "'random_forest' cannot take regularizer 'l2'",
    )
    bad(
        {"models": [{"kind": "svc", "regularizers": [{"kind": "l1"}]}]},
        "'svc' cannot take regularizer 'l1'",
        "it takes: l2",
    )


def test_grid_over_a_continuous_range_without_points():
    bad(
        {
            "task": "classification",
            "strategy": {"kind": "grid"},
            "models": [{"kind": "svc", "C": {"type": "float", "low": 1, "high": 10}}],
        },
        "strategy",
        "svc.C",
        "grid_points",
    )
    parse_config(
        {
            "target": "y",
            "task": "classification",
            "strategy": {"kind": "grid"},
            "models": [
                {"kind": "svc", "C": {"type": "float", "low": 1, "high": 10, "grid_points": 3}}
            ],
        }
    )


def test_model_for_the_wrong_task_and_metric():
    bad(
        {"task": "regression", "models": [{"kind": "svc"}]}, "models.0", "does not serve regression"
    )
    bad({"task": "regression", "metric": "accuracy"}, "metric", "classification metric")
    bad({"metric": "acc"}, "metric", "unknown metric")


def test_budget_needs_trials_or_time():
    bad({"budget": {"trials": None}}, "budget", "give trials, time_s or both")


def test_bad_toml_file(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text("target = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_cli_exits_2_with_the_field_path(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('target = "y"\n[[models]]\nkind = "svc"\nC = -1\n')
    proc = subprocess.run(
        [sys.executable, "-m", "automl_core.interfaces.cli", "validate", str(p)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "models.0.C" in proc.stderr


def test_schema_command_prints_the_json_schema():
    proc = subprocess.run(
        [sys.executable, "-m", "automl_core.interfaces.cli", "schema"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    text = json.dumps(schema)
    assert '"svc"' in text and '"impute"' in text and '"grid"' in text
    assert "budget" in schema["properties"]
