"""Imported by every worker of the embedded Ray *before* it accepts work.

The embedded Ray imports the modules named in its ``preload_python_modules`` setting into each
new Python worker (:func:`automl_core.runner.session.ensure_ray` names this one), and
:mod:`automl_core.runner.warm` starts idle workers ahead of demand: one per CPU when Ray
starts, and again after each run. A trial actor that lands on such a worker finds its stack
already imported. Both are Ray's private API (:mod:`.ray_private`): on its public path Ray
never imports this module.

What to import depends on the run (:data:`PROFILES`): a plain function objective (``ac.tune``)
needs only Ray Tune and the runner (~0.9 s of CPU); a table experiment also needs pandas,
scikit-learn and the plugin registry (~2 s). Preloading the table stack for a function run
would cost each worker a second of CPU that, on a 2-core machine, the first trials wait for.
The driver names the profile in a file of the Ray session (:func:`.warm.set_worker_preload`)
before it asks for workers and at the start of every run; this module reads it.

Everything here is best effort: a failure only means the first trial imports it instead.
"""

from __future__ import annotations

import importlib
import time

from .warm import DEFAULT_PRELOAD, note_worker_started, preload_path

#: what a plain function objective's trial imports: Ray Tune's function trainable (the trial
#: actor's class, ~0.6 s of imports that the actor's creation would otherwise wait for: the
#: runner imports Ray Tune only inside its functions), and the runner
CORE = (
    "ray.tune.trainable.function_trainable",
    "automl_core.runner.search",
    "automl_core.evaluation.function_objective",
)

#: profile -> (modules, whether to build the plugin registry)
PROFILES: dict[str, tuple[tuple[str, ...], bool]] = {
    "core": (CORE, False),
    # a table trial: the pipeline objective and the portfolio's common estimator modules
    "tables": (
        CORE
        + (
            "automl_core.evaluation.objective",
            "sklearn.svm",
            "sklearn.linear_model",
            "sklearn.ensemble",
            "sklearn.neighbors",
        ),
        True,
    ),
}

#: used when the driver named no profile (or an unknown one)
DEFAULT_PROFILE = DEFAULT_PRELOAD


def chosen_profile() -> str:
    """The profile the driver named for this Ray session (see :func:`.warm.set_worker_preload`)."""
    try:
        path = preload_path()
        if path is None:
            return DEFAULT_PROFILE
        with open(path) as f:
            name = f.read().strip()
        return name if name in PROFILES else DEFAULT_PROFILE
    except Exception:
        return DEFAULT_PROFILE


note_worker_started()  # registered with the raylet: the driver's first run may begin
PROFILE = chosen_profile()
_modules, _registry = PROFILES[PROFILE]

for _name in _modules:
    try:
        importlib.import_module(_name)
    except Exception:  # pragma: no cover - best effort, see the module docstring
        pass

if _registry:
    try:  # the registry: entry points and every installed plugin's hooks (~0.3 s)
        from automl_core.plugins import get_registry

        get_registry()
    except Exception:  # pragma: no cover - a broken plugin is reported where it is used
        pass

#: when this worker finished preloading (``time.time()``): tells a prestarted worker from one
#: started on demand (tests/test_warm_workers.py)
LOADED_AT = time.time()
note_worker_started(ready=True)
