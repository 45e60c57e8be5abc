"""The embedded Ray keeps warm workers between runs (automl_core/runner/warm.py)."""

from __future__ import annotations

import os
import time

import pytest

import automl_core as ac
from automl_core.runner.warm import STARTED_DIR, preload_path

pytestmark = pytest.mark.usefixtures("ray_session")


def test_trial_actors_land_on_workers_started_and_loaded_before_the_run():
    def _where(params):
        """Which process ran the trial, and whether it had preloaded our stack."""
        import os
        import sys
        import time

        time.sleep(1.0)  # long enough that both of the session's 2 CPUs get a trial actor

        preload = sys.modules.get("automl_core.runner.worker_preload")
        return {
            "score": params["x"],
            "pid": os.getpid(),
            "preloaded_at": preload.LOADED_AT if preload else float("inf"),
            "niceness": os.nice(0),
            "profile": getattr(preload, "PROFILE", None),
            "sklearn": "sklearn" in sys.modules,
        }

    space = {"x": ac.Float(0, 1)}
    first = ac.tune(_where, space, trials=2, seed=0, show_progress=False)
    first_ended = time.time()
    # the run asked the raylet for new idle workers as it ended; they import our stack in the
    # background (~2.5 s on 2 quiet cores, several times that on a busy machine) and then
    # note themselves ready in the session's folder: wait for two of them, not a fixed time
    folder = os.path.join(os.path.dirname(preload_path()), STARTED_DIR)

    def ready_since_the_first_run() -> int:
        names = [f for f in os.listdir(folder) if f.endswith(".ready")]
        return sum(os.path.getmtime(os.path.join(folder, f)) > first_ended for f in names)

    deadline = time.time() + 60
    while ready_since_the_first_run() < 2 and time.time() < deadline:
        time.sleep(0.1)
    started = time.time()
    second = ac.tune(_where, space, trials=4, seed=1, show_progress=False)
    pids = set(second.table["metric.pid"].astype(int))
    assert len(pids) == 2
    # Tune ended the first run's actors; the second run's are new processes...
    assert not pids & set(first.table["metric.pid"].astype(int))
    # ...that had imported our stack before it began: prestarted, not started on demand
    assert (second.table["metric.preloaded_at"] < started).all()
    # and at normal priority (Ray's default for workers is nice 15)
    assert (second.table["metric.niceness"] == os.nice(0)).all()
    # a plain function run names the light profile: the workers prestarted after the first run
    # preload no scikit-learn (~1 s of CPU each that the first trials would wait for). Idle
    # workers left by earlier tests' table runs may take some of the trials: they preloaded
    # the "tables" profile of their time.
    fresh = second.table[second.table["metric.preloaded_at"] > first_ended]
    assert (fresh["metric.profile"] == "core").all()
    assert not fresh["metric.sklearn"].astype(bool).any()


def test_workers_read_the_profile_the_driver_names():
    from automl_core.runner import worker_preload
    from automl_core.runner.warm import set_worker_preload

    try:
        for name in ("tables", "core"):
            assert set_worker_preload(name)
            assert worker_preload.chosen_profile() == name
        assert set_worker_preload("no-such-profile")
        assert worker_preload.chosen_profile() == worker_preload.DEFAULT_PROFILE
    finally:
        set_worker_preload("core")


def test_the_copied_trial_actor_environment_matches_ray_tunes():
    """ray_private.py copies Ray Tune's trial-actor env vars so that prestarting need not
    import Ray Tune; if a Ray upgrade changes them, prestarted workers would go unused."""
    from ray.tune.execution import class_cache

    from automl_core.runner.ray_private import (
        TUNE_ACTOR_ENV_VARS,
        TUNE_PROPAGATED_ENV_VARS,
        trial_actor_env_vars,
    )

    assert TUNE_ACTOR_ENV_VARS == class_cache.DEFAULT_ENV_VARS
    assert TUNE_PROPAGATED_ENV_VARS == set(class_cache.ENV_VARS_TO_PROPAGATE)
    expected = dict(class_cache.DEFAULT_ENV_VARS)
    expected.update(
        {k: os.environ[k] for k in class_cache.ENV_VARS_TO_PROPAGATE if k in os.environ}
    )
    assert trial_actor_env_vars() == expected
