"""Plugin discovery through real entry points, against fake *.dist-info folders (flake8 style)."""

from __future__ import annotations

import textwrap

import pytest

from automl_core.config import ConfigError, parse_config
from automl_core.plugins import PluginError, build_registry

PLUGIN_MODULE = '''
from typing import Literal
import automl_core as ac
from automl_core.cleaning import StandardScaler

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


def make_dist(tmp_path, dist, module, kind="fake_clip", body="return [ClipSpec]", ep_value=None):
    """A distribution as pip would leave it: a module plus NAME-VER.dist-info with entry points."""
    (tmp_path / f"{module}.py").write_text(
        textwrap.dedent(PLUGIN_MODULE).format(kind=kind, body=body)
    )
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
