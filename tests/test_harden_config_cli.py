"""Issue 15, config and command line (cases 13, 15, 17) and the plugin author's guide (14).

The README's plugin example is installed here as a real distribution (its files, extracted from
README.md, plus a ``*.dist-info`` with its entry point on ``PYTHONPATH``) and run by a real
``automl`` process, so the README cannot go stale.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris

import automl_core as ac
from automl_core.config import DEFAULT_TRIALS, ConfigError, dump_config, load_config, parse_config
from automl_core.plugins import DISABLE_ENV, UnknownKindError, build_registry, get_registry

ROOT = Path(__file__).resolve().parents[1]


def automl(*args, cwd=None, env_extra=None, entry="module"):
    """The real command line: ``python -m automl_core`` or the installed ``automl`` script."""
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", DISABLE_ENV)}
    env.update(env_extra or {})
    cmd = (
        [sys.executable, "-m", "automl_core"]
        if entry == "module"
        else [str(Path(sys.executable).parent / "automl")]
    )
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


# -- case 13: the shorthand ac.run accepts, in config files too ------------------------------


def test_parse_config_takes_kinds_as_strings_like_ac_run():
    short = parse_config(
        {
            "target": "y",
            "models": ["svc", {"kind": "logistic_regression", "regularizers": ["l2"]}],
            "cleaners": ["drop_duplicates", "impute"],
            "strategy": "random",
        }
    )
    full = parse_config(
        {
            "target": "y",
            "models": [
                {"kind": "svc"},
                {"kind": "logistic_regression", "regularizers": [{"kind": "l2"}]},
            ],
            "cleaners": [{"kind": "drop_duplicates"}, {"kind": "impute"}],
            "strategy": {"kind": "random"},
        }
    )
    assert short == full
    assert [m.kind for m in short.models] == ["svc", "logistic_regression"]


def test_toml_file_with_the_shorthand_validates(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text(
        'target = "y"\nstrategy = "random"\nmodels = ["svc", "knn"]\n'
        'cleaners = ["drop_duplicates"]\n'
    )
    cfg = load_config(path)
    assert [m.kind for m in cfg.models] == ["svc", "knn"] and cfg.strategy.kind == "random"
    proc = automl("validate", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "valid (random search" in proc.stdout


def test_unknown_kind_lists_the_known_ones_and_hints_at_a_missing_plugin(monkeypatch):
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    for data, where in [
        ({"models": ["xgb"]}, "models.0: unknown model kind 'xgb'"),
        ({"cleaners": [{"kind": "dedup"}]}, "cleaners.0: unknown cleaner kind 'dedup'"),
        ({"strategy": "annealing"}, "strategy: unknown strategy kind 'annealing'"),
        (
            {"models": [{"kind": "svc", "regularizers": ["l3"]}]},
            "models.0.regularizers.0: unknown regularizer kind 'l3'",
        ),
    ]:
        with pytest.raises(ConfigError) as exc:
            parse_config({"target": "y", **data})
        text = str(exc.value)
        assert where in text, text
        assert "known: " in text and "plugin" in text and "`automl plugins`" in text, text
        assert DISABLE_ENV in text, text
    monkeypatch.setenv(DISABLE_ENV, "hyperopt,torch")
    with pytest.raises(ConfigError, match=rf"disabled \({DISABLE_ENV}='hyperopt,torch'\)"):
        parse_config({"target": "y", "models": ["xgb"]})


def test_registry_get_of_an_unknown_kind_is_a_clear_key_error():
    reg = get_registry()
    with pytest.raises(KeyError) as exc:  # existing `except KeyError` callers keep working
        reg.get("model", "xgb")
    err = exc.value
    assert isinstance(err, UnknownKindError)
    assert (err.category, err.kind) == ("model", "xgb") and "svc" in err.known
    text = str(err)
    assert text.startswith("unknown model kind 'xgb' (known: ")  # not KeyError's quoted repr
    assert "svc" in text and DISABLE_ENV in text and "`automl plugins`" in text


# -- case 15: a grid with no trials budget runs the whole grid -------------------------------

#: 21 points: one more than the default trial budget that used to cut the grid short
GRID_21 = list(range(1, 22))


def test_budget_defaults_depend_on_the_strategy():
    grid = parse_config({"target": "y", "strategy": "grid"})
    assert grid.budget.trials is None  # no cap: the grid's last point ends the run
    assert parse_config({"target": "y"}).budget.trials == DEFAULT_TRIALS
    assert parse_config({"target": "y", "budget": {"time_s": 30}}).budget.trials is None
    given = parse_config({"target": "y", "strategy": "grid", "budget": {"trials": 5}})
    assert given.budget.trials == 5
    # the default is never written out: read back, or given another strategy, it decides again
    assert json.loads(dump_config(grid))["budget"] == {}
    assert parse_config(json.loads(dump_config(grid))) == grid
    assert parse_config(grid.model_dump(mode="json")) == grid
    other = {**grid.model_dump(mode="json"), "strategy": {"kind": "random"}}
    assert parse_config(other).budget.trials == DEFAULT_TRIALS
    with pytest.raises(ConfigError, match="give trials, time_s or both"):
        parse_config({"target": "y", "budget": {"trials": None}})


def test_run_with_a_grid_and_no_trials_runs_the_whole_grid(ray_session):
    iris = load_iris(as_frame=True).frame
    res = ac.run(
        iris,
        target="target",
        strategy="grid",
        models=[{"kind": "knn", "n_neighbors": ac.Choice(GRID_21)}],
        cleaners=[],
        show_progress=False,
    )
    assert len(res.table) == len(GRID_21)
    assert sorted(res.table["param.knn.n_neighbors"]) == GRID_21


def test_tune_with_a_grid_and_no_trials_runs_the_whole_grid(ray_session):
    # ac.tune's default trials=None: "the whole grid for a grid, else 20"
    def grid_objective(params):  # defined here: pickled by value for the workers
        return -((params["x"] - 7) ** 2)

    res = ac.tune(grid_objective, {"x": ac.Choice(GRID_21)}, strategy="grid", show_progress=False)
    assert len(res.table) == len(GRID_21)
    assert res.best.params == {"x": 7}


# -- case 17: automl --version and python -m automl_core --------------------------------------


def _plugin_dists() -> list[tuple[str, str]]:
    out = []
    for dist in md.distributions():
        if any(ep.group == "automl_core" for ep in dist.entry_points):
            name = dist.metadata["Name"]
            if name.lower().replace("_", "-") != "automl-core":
                out.append((name, dist.version))
    return out


@pytest.mark.parametrize("entry", ["module", "script"])
def test_version_prints_core_and_plugin_versions(entry):
    proc = automl("--version", entry=entry)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"automl-core {ac.__version__}"
    for name, version in _plugin_dists():
        assert any(f"plugin {name} {version}" in line for line in lines[1:]), proc.stdout


def test_python_dash_m_automl_core_is_the_command_line():
    proc = automl("plugins")
    assert proc.returncode == 0, proc.stderr
    assert f"automl-core {ac.__version__}" in proc.stdout and "svc" in proc.stdout
    proc = automl()
    assert proc.returncode == 2 and "usage: automl" in proc.stderr


# -- case 14: the README's plugin example, installed and run ----------------------------------


def readme_plugin_files() -> dict[str, str]:
    """The python blocks of README.md marked ``<!-- plugin-example: <path> -->``."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- plugin-example: (\S+) -->\n```python\n(.*?)```", text, re.S)
    return dict(blocks)


@pytest.fixture(scope="module")
def clipper_site(tmp_path_factory):
    """A folder that, on ``sys.path``/``PYTHONPATH``, holds the README's plugin installed: its
    package and a ``*.dist-info`` naming its entry point, as ``pip install`` leaves them."""
    site = tmp_path_factory.mktemp("site")
    files = readme_plugin_files()
    assert set(files) == {
        "automl_clipper/__init__.py",
        "automl_clipper/transform.py",
        "automl_clipper/strategy.py",
    }
    for rel, code in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(code)
    info = site / "automl_clipper-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: automl-clipper\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[automl_core]\nclipper = automl_clipper\n")
    return site


@pytest.fixture
def clipper(clipper_site, monkeypatch):
    monkeypatch.syspath_prepend(str(clipper_site))
    import automl_clipper

    yield automl_clipper
    for name in [m for m in sys.modules if m.startswith("automl_clipper")]:
        del sys.modules[name]


def test_readme_plugin_passes_the_conformance_kit(clipper):
    from automl_core.testing import check_spec, check_strategy

    check_spec(clipper.ClipSpec())
    check_spec(clipper.ClipSpec(quantile=0.2))
    check_strategy(clipper.HillClimbSpec())
    # the transformer contract the README states, beyond the kit
    train = pd.DataFrame({"a": [1.0, 2.0, 3.0, 100.0], "c": ["x", "y", "x", "y"]})
    before = train.copy()
    clip = clipper.ClipSpec(quantile=0.25).build("classification")
    fitted = clone(clip).fit(train)
    pd.testing.assert_frame_equal(train, before)  # fit leaves its input unchanged
    new = pd.DataFrame({"a": [-50.0, 500.0], "c": ["z", "x"]}, index=[7, 9])
    out = fitted.transform(new)
    assert list(out.index) == [7, 9] and out["c"].tolist() == ["z", "x"]  # unseen category
    assert out["a"].tolist() == [fitted.low_["a"], fitted.high_["a"]]


def test_readme_plugin_kinds_validate_through_the_registry(clipper):
    reg = build_registry(extra_plugins=[clipper])
    cfg = parse_config(
        {
            "target": "y",
            "strategy": "hill_climb",
            "cleaners": [{"kind": "clip", "quantile": {"type": "float", "low": 0, "high": 0.1}}],
        },
        registry=reg,
    )
    assert cfg.strategy.kind == "hill_climb" and cfg.cleaners[0].kind == "clip"
    with pytest.raises(ConfigError, match="quantile"):
        parse_config({"target": "y", "cleaners": [{"kind": "clip", "quantile": 0.7}]}, registry=reg)


def test_readme_plugin_installed_runs_and_is_listed(clipper_site, tmp_path):
    env = {"PYTHONPATH": os.pathsep.join([str(clipper_site), os.environ.get("PYTHONPATH", "")])}
    load_iris(as_frame=True).frame.to_csv(tmp_path / "iris.csv", index=False)
    (tmp_path / "exp.toml").write_text(
        'target = "target"\nstrategy = "hill_climb"\nmodels = ["logistic_regression"]\n'
        "[budget]\ntrials = 4\n"
        '[[cleaners]]\nkind = "clip"\nquantile = { type = "float", low = 0.0, high = 0.1 }\n'
    )
    proc = automl(
        "run", "exp.toml", "--data", "iris.csv", "--results", "out", "--quiet",
        cwd=tmp_path, env_extra=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(tmp_path / "out" / "table.csv")
    assert len(table) == 4 and (table["status"] == "ok").all(), table.to_string()
    assert set(table["strategy"]) == {"hill_climb"}
    assert table["param.clip.quantile"].between(0, 0.1).all()
    chain = (tmp_path / "out" / "cleaners.toml").read_text()
    assert 'kind = "clip"' in chain and "type =" not in chain  # the best trial's value
    listed = automl("plugins", env_extra=env)
    assert "automl-clipper 0.1.0" in listed.stdout and "clip" in listed.stdout
    assert "plugin automl-clipper 0.1.0" in automl("--version", env_extra=env).stdout
    # disabled, its kinds are refused with the hint naming the variable as set
    off = automl("validate", "exp.toml", cwd=tmp_path, env_extra={**env, DISABLE_ENV: "clipper"})
    assert off.returncode == 2 and "Traceback" not in off.stderr
    assert "unknown strategy kind 'hill_climb'" in off.stderr
    assert f"{DISABLE_ENV}='clipper'" in off.stderr
