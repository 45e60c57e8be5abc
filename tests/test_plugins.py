"""Plugin discovery through real entry points, against fake *.dist-info folders (flake8 style)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from automl_core.config import ConfigError, dump_config, parse_config
from automl_core.plugins import PluginError, build_registry, plugin_versions

PLUGIN_MODULE = '''
from typing import Literal
import automl_core as ac
from automl_core.data.cleaning import StandardScaler

class ClipSpec(ac.CleanerSpec):
    """Clip numbers to +-limit."""
    kind: Literal["{kind}"] = "{kind}"
    limit: ac.Searchable[float] = 3.0
    def build(self, task):
        return StandardScaler()

@ac.hookimpl
def automl_register_cleaners():
    {body}
'''


#: a plugin implementing every other registration hook: a model, a regularizer, a strategy
#: and a logger (kept here, in a real module, so each hook is exercised through pluggy)
EVERY_HOOK_MODULE = '''
from typing import Literal
import automl_core as ac
from automl_core.search.strategies.random_search import RandomStrategy

class DummySpec(ac.ModelSpec):
    """Predicts the most frequent class."""
    kind: Literal["fake_dummy"] = "fake_dummy"
    tasks = frozenset({"classification"})
    accepted_regularizers = frozenset({"fake_decay"})
    def build(self, task, regularizers, seed, n_jobs=1):
        from sklearn.dummy import DummyClassifier
        return DummyClassifier()

class DecaySpec(ac.RegularizerSpec):
    """A decay that DummySpec accepts."""
    kind: Literal["fake_decay"] = "fake_decay"
    rate: float = 0.1

class WanderSpec(ac.StrategySpec):
    """Random points under another name."""
    kind: Literal["fake_wander"] = "fake_wander"
    def build(self, space, mode, seed):
        return RandomStrategy(space, mode, seed)

class EventLogger:
    def __init__(self, path):
        self.path = path
    def _write(self, *event):
        with open(self.path, "a") as f:
            f.write(repr(event) + "\\n")
    def start(self, *, kind, config, info, seed, results_dir, resumed, finished_rows):
        self._write("start", kind, seed, resumed, len(finished_rows))
    def trial(self, row, history):
        self._write("trial", row["trial_id"], row["status"], len(history))
    def end(self, results, results_dir, example=None):
        self._write("end", len(results.table))

class FileLoggerSpec(ac.LoggerSpec):
    """Appends the run's events to a file."""
    kind: Literal["fake_file"] = "fake_file"
    path: str = "events.txt"
    def build(self):
        return EventLogger(self.path)

@ac.hookimpl
def automl_register_models():
    return [DummySpec]

@ac.hookimpl
def automl_register_regularizers():
    return [DecaySpec]

@ac.hookimpl
def automl_register_strategies():
    return [WanderSpec]

@ac.hookimpl
def automl_register_loggers():
    return [FileLoggerSpec]
'''


def make_dist(tmp_path, dist, module, kind="fake_clip", body="return [ClipSpec]", ep_value=None):
    """A distribution as pip would leave it: a module plus NAME-VER.dist-info with entry points."""
    source = (
        PLUGIN_MODULE.format(kind=kind, body=body) if body != "every hook" else EVERY_HOOK_MODULE
    )
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    info = tmp_path / f"{dist}-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2\n")
    (info / "entry_points.txt").write_text(f"[automl_core]\n{dist} = {ep_value or module}\n")


def test_builtins_register_through_the_entry_point():
    reg = build_registry()
    builtin = [p for p in reg.plugins if p.name == "builtin"]
    assert builtin and builtin[0].dist == "automl-core"
    assert {"grid", "random"} <= set(reg.kinds("strategy"))
    assert reg.provider("model", "svc").dist == "automl-core"


def test_installed_plugin_kind_validates_like_a_builtin(tmp_path, monkeypatch):
    make_dist(tmp_path, "fakeplug", "fakeplug_mod")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = build_registry()
    assert "fake_clip" in reg.kinds("cleaner")
    info = reg.provider("cleaner", "fake_clip")
    assert (info.dist, info.version) == ("fakeplug", "1.2")
    cfg = parse_config(
        {
            "target": "y",
            "cleaners": [{"kind": "fake_clip", "limit": {"type": "float", "low": 1, "high": 5}}],
        },
        reg,
    )
    assert cfg.cleaners[0].search_fields()["limit"].high == 5
    with pytest.raises(ConfigError, match=r"cleaners\.0\.limit"):
        parse_config({"target": "y", "cleaners": [{"kind": "fake_clip", "limit": "x"}]}, reg)
    with pytest.raises(ConfigError, match=r"cleaners\.0\.nope"):
        parse_config({"target": "y", "cleaners": [{"kind": "fake_clip", "nope": 1}]}, reg)


def test_duplicate_kind_names_both_distributions(tmp_path, monkeypatch):
    make_dist(tmp_path, "plugone", "plugone_mod", kind="same_kind")
    make_dist(tmp_path, "plugtwo", "plugtwo_mod", kind="same_kind")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError) as exc:
        build_registry()
    assert "same_kind" in str(exc.value)
    assert "plugone" in str(exc.value) and "plugtwo" in str(exc.value)


def test_duplicate_of_a_builtin_kind(tmp_path, monkeypatch):
    make_dist(tmp_path, "shadow", "shadow_mod", kind="impute")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match=r"automl-core.*shadow|shadow.*automl-core"):
        build_registry()


def test_plugin_that_fails_to_import_is_named(tmp_path, monkeypatch):
    make_dist(tmp_path, "brokenplug", "brokenplug_mod", ep_value="no_such_module_here")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match=r"brokenplug.*failed to import"):
        build_registry()


def test_plugin_whose_hook_raises_is_named(tmp_path, monkeypatch):
    make_dist(tmp_path, "raiseplug", "raiseplug_mod", body="raise RuntimeError('kaput')")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match=r"raiseplug.*automl_register_cleaners.*kaput"):
        build_registry()


def test_plugin_returning_a_non_spec_is_named(tmp_path, monkeypatch):
    make_dist(tmp_path, "oddplug", "oddplug_mod", body="return [dict]")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match=r"oddplug.*not a subclass of CleanerSpec"):
        build_registry()


def test_env_var_disables_plugins_by_name(tmp_path, monkeypatch):
    make_dist(tmp_path, "brokenplug", "brokenplug_mod", ep_value="no_such_module_here")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("AUTOML_CORE_DISABLE_PLUGINS", "brokenplug, other")
    reg = build_registry()  # the broken plugin is skipped, the rest loads
    assert "brokenplug" not in {p.dist for p in reg.plugins}
    assert "svc" in reg.kinds("model")


def test_disabling_builtins_leaves_no_builtin_kinds():
    reg = build_registry(disabled=["builtin"])
    assert "automl-core" not in {p.dist for p in reg.plugins}
    assert not {"svc", "random_forest", "logistic_regression"} & set(reg.kinds("model"))
    assert reg.kinds("cleaner") == []
    with pytest.raises(PluginError, match="no cleaner kinds"):
        reg.union("cleaner")


def test_a_plugin_can_implement_every_registration_hook(tmp_path, monkeypatch):
    make_dist(tmp_path, "everyplug", "everyplug_mod", body="every hook")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = build_registry()
    for category, kind in [
        ("model", "fake_dummy"),
        ("regularizer", "fake_decay"),
        ("strategy", "fake_wander"),
        ("logger", "fake_file"),
    ]:
        assert kind in reg.kinds(category), category
        assert reg.provider(category, kind).dist == "everyplug"
    cfg = parse_config(
        {
            "target": "y",
            "strategy": "fake_wander",
            "models": [{"kind": "fake_dummy", "regularizers": [{"kind": "fake_decay"}]}],
            "loggers": ["fake_file", {"kind": "fake_file", "path": "other.txt"}],
        },
        reg,
    )
    assert [lg.path for lg in cfg.loggers] == ["events.txt", "other.txt"]
    assert cfg.models[0].regularizers[0].rate == 0.1
    with pytest.raises(ConfigError, match=r"loggers\.0\.nope"):
        parse_config({"target": "y", "loggers": [{"kind": "fake_file", "nope": 1}]}, reg)
    assert plugin_versions(reg)["everyplug"] == "1.2"


def test_loggers_in_toml_and_the_bare_kind_shorthand(tmp_path, monkeypatch):
    from automl_core.config import load_config

    make_dist(tmp_path, "everyplug", "everyplug_mod", body="every hook")
    monkeypatch.syspath_prepend(str(tmp_path))
    reg = build_registry()
    toml = tmp_path / "exp.toml"
    toml.write_text('target = "y"\n\n[[loggers]]\nkind = "fake_file"\npath = "a.txt"\n')
    cfg = load_config(toml, reg)
    assert cfg.loggers[0].kind == "fake_file" and cfg.loggers[0].path == "a.txt"
    assert parse_config(json.loads(dump_config(cfg)), reg) == cfg
    back = tmp_path / "back.toml"
    back.write_text(dump_config(cfg, "toml"))
    assert load_config(back, reg) == cfg
    short = tmp_path / "short.toml"
    short.write_text('target = "y"\nloggers = ["fake_file"]\n')
    assert load_config(short, reg).loggers[0].path == "events.txt"
    # no loggers: the field stays out of the written config
    assert "loggers" not in json.loads(dump_config(parse_config({"target": "y"}, reg)))


def test_a_logger_kind_when_none_is_installed_is_a_clear_error():
    reg = build_registry(disabled=["mlflow", "automl-core-mlflow"])
    assert reg.kinds("logger") == []
    assert parse_config({"target": "y", "loggers": []}, reg).loggers == []
    with pytest.raises(ConfigError, match=r"loggers\.0: no logger kinds are installed.*mlflow"):
        parse_config({"target": "y", "loggers": ["mlflow"]}, reg)


def test_plugin_versions_name_each_distribution_the_registry_loaded():
    versions = plugin_versions()
    from importlib.metadata import version

    assert versions["automl-core"] == version("automl-core")
    for p in build_registry().plugins:
        assert versions[p.dist] == p.version


def test_automl_plugins_lists_the_logger_category(tmp_path):
    """`automl plugins` shows each category a plugin adds, loggers included (the fake dist is
    on the subprocess's path)."""
    make_dist(tmp_path, "everyplug", "everyplug_mod", body="every hook")
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "automl_core.interfaces.cli", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    block = out[out.index("everyplug 1.2") :]
    for plural, kind in [
        ("models", "fake_dummy"),
        ("regularizers", "fake_decay"),
        ("strategies", "fake_wander"),
        ("loggers", "fake_file"),
    ]:
        assert plural in block and kind in block, (plural, out)
