"""Imported by every worker of the embedded Ray *before* it accepts work.

The embedded Ray starts idle Python workers ahead of demand (one per CPU when it starts, and
again after each run: :mod:`automl_core.runner.warm`) and imports the modules named in its
``preload_python_modules`` setting into them (:func:`automl_core.runner.session.ensure_ray`
names this one). A trial actor that lands on such a worker finds automl-core, pandas,
scikit-learn and the plugin registry already loaded: on this 2-core machine that moved ~2.5 s
from the start of every run to the idle time between runs.

Everything here is best effort: a failure only means the first trial imports it instead.
"""

from __future__ import annotations

import importlib
import time

#: what a table trial imports; the estimator modules are the portfolio's common ones
MODULES = (
    "automl_core.runner.search",
    "automl_core.function_objective",
    "automl_core.objective",
    "sklearn.svm",
    "sklearn.linear_model",
    "sklearn.ensemble",
    "sklearn.neighbors",
)

for _name in MODULES:
    try:
        importlib.import_module(_name)
    except Exception:  # pragma: no cover - best effort, see the module docstring
        pass

try:  # the registry: entry points and every installed plugin's hooks (~0.3 s)
    from automl_core.plugins import get_registry

    get_registry()
except Exception:  # pragma: no cover - a broken plugin is reported where it is used
    pass

#: when this worker finished preloading (``time.time()``): tells a prestarted worker from one
#: started on demand (tests/test_warm_workers.py)
LOADED_AT = time.time()
