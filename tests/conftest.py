"""Shared fixtures: one real local Ray for the whole session (2 CPUs, dashboard off)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def ray_session():
    """A real Ray started once per test session; ``ac.run``/``ac.tune`` join it."""
    from automl_core.runner.session import ensure_ray

    ray = ensure_ray(num_cpus=2)
    yield ray
    # left running until the session ends: starting Ray costs ~3 s, per test would be minutes


@pytest.fixture
def no_plugin_env(monkeypatch):
    monkeypatch.delenv("AUTOML_CORE_DISABLE_PLUGINS", raising=False)
    yield


def pytest_sessionfinish(session, exitstatus):
    try:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    except Exception:
        pass
    os.environ.pop("RAY_ADDRESS", None)
