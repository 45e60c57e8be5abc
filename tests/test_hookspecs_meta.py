"""Every hook is documented and tested (datasette's meta-tests, for our hookspecs).

A hook added to ``automl_core/hookspecs.py`` must have a docstring that says what to return
and when it is called, must be implemented or called by some test (tests/ or a plugin's
tests/), and must be named in the README's plugin author's guide. These tests fail the moment
one of the three is missing, naming the hook.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from automl_core import hookspecs

ROOT = Path(__file__).resolve().parents[1]


def hook_names() -> list[str]:
    """The functions pluggy takes as hook specs (marked with ``@hookspec``)."""
    marker = f"{hookspecs.hookspec.project_name}_spec"
    return sorted(
        name
        for name, fn in vars(hookspecs).items()
        if inspect.isfunction(fn) and hasattr(fn, marker)
    )


def test_the_hooks_are_found():
    names = hook_names()
    assert {"automl_register_cleaners", "automl_register_loggers"} <= set(names)
    # what the plugin manager sees is exactly this list
    from automl_core.plugins import make_plugin_manager

    pm = make_plugin_manager()
    assert {n for n in vars(pm.hook) if n.startswith("automl_")} == set(names)


def _test_modules() -> list[Path]:
    """Every test module of the repository (the core's and each plugin's), this one left out."""
    found = list((ROOT / "tests").rglob("*.py")) + list(ROOT.glob("plugins/*/tests/**/*.py"))
    return sorted(p.resolve() for p in found if p.resolve() != Path(__file__).resolve())


def test_the_test_modules_are_found():
    modules = _test_modules()
    assert ROOT / "tests" / "test_plugins.py" in modules and len(modules) > 10


@pytest.mark.parametrize("hook", hook_names())
def test_hook_has_a_reference_docstring(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc.split()) >= 20, f"{hook} needs a docstring: what to return, when it is called"
    assert re.search(r"\b[Rr]eturn", doc), f"{hook}'s docstring does not say what to return"
    assert re.search(r"\b[Cc]alled\b", doc), f"{hook}'s docstring does not say when it is called"


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_exercised_by_a_test(hook):
    """Implemented (``def hook(``, in a test's plugin module or source text) or called
    (``.hook.<name>(``) by a test module other than this one."""
    pattern = re.compile(rf"\b{hook}\s*\(")
    users = [p for p in _test_modules() if pattern.search(p.read_text(encoding="utf-8"))]
    assert users, f"no test implements or calls {hook}: add one (see tests/test_plugins.py)"


def guide() -> str:
    """The README's plugin author's guide: the "Writing a plugin" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Writing a plugin")
    end = text.find("\n## ", start + 3)
    return text[start : end if end != -1 else len(text)]


@pytest.mark.parametrize("hook", hook_names())
def test_hook_is_documented_in_the_plugin_guide(hook):
    assert f"`{hook}`" in guide(), f"{hook} is not in the README's 'Writing a plugin' section"
