"""What ``import automl_core`` and the plugin registry load: no scikit-learn, no scipy.stats.

Every Ray worker imports the runner, and every process that builds the registry (a driver's
first run, a cluster node's plugin check, a worker of a table run) pays for what the
package and the builtin specs import at the top: scikit-learn, scipy.stats and hyperopt cost
about 1.5 s of CPU there. A fresh interpreter shows what really loads.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import automl_core as ac
import automl_core.runner.search, automl_core.evaluation.function_objective
from automl_core.plugins import get_registry
registry = get_registry()
heavy = [m for m in ("sklearn", "scipy.stats", "hyperopt", "torch") if m in sys.modules]
names = {k: sorted(registry.kinds(k)) for k in ("strategy", "cleaner", "model")}
print(json.dumps({"heavy": heavy, "kinds": names}))
"""


def test_the_package_runner_and_registry_load_without_the_heavy_libraries():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["heavy"] == []
    # ...and the registry still has every builtin kind and the tpe plugin's
    assert {"grid", "random", "gp", "tpe"} <= set(probe["kinds"]["strategy"])
    assert {"datetime", "impute", "image_resize", "resample"} <= set(probe["kinds"]["cleaner"])


def test_lazy_names_resolve_and_the_functions_keep_their_names():
    import automl_core as ac
    import automl_core.experiment.resume  # the submodules must not replace the functions of their names
    import automl_core.interfaces.compare

    assert callable(ac.resume) and ac.resume.__module__ == "automl_core.experiment.resume"
    assert callable(ac.compare) and ac.compare.__module__ == "automl_core.interfaces.compare"
    assert ac.run.__module__ == "automl_core.interfaces.api"
    assert ac.AutoMLClassifier.__module__ == "automl_core.interfaces.estimator"
    assert {"run", "tune", "Results", "DataError"} <= set(dir(ac))


def test_the_date_features_the_spec_offers_are_the_cleaners():
    from automl_core.builtins.cleaners.tabular import DATE_FEATURES
    from automl_core.data.cleaning import DATE_FEATURES as CLEANER_FEATURES

    assert DATE_FEATURES == CLEANER_FEATURES
