"""Child process of ``test_a_time_limit_never_lands_inside_a_library_call``.

``python _limits_stress.py KIND N``: N trials, each fitting and scoring a small
boosted model over and over until its time limit (1-10 ms, drawn at random) ends
it, so the limit falls at every point of a fit: building the library's data, a round, a
prediction, a handle being freed. Prints the trials' statuses as one JSON line; a limit that
lands inside the library's ctypes callbacks or handle bookkeeping kills this process instead
(heap corruption: SIGABRT or SIGSEGV), or is swallowed there and the trial reads "ok".
"""

from __future__ import annotations

import json
import sys

import numpy as np
from automl_core.testing import cut_at_random_points

from automl_core_boosting import BOOSTING_MODELS

#: fits a trial makes at most: far more than fit in its limit
FITS_AT_MOST = 200


def main(kind: str, n_trials: int) -> None:
    spec_cls = {cls.model_fields["kind"].default: cls for cls in BOOSTING_MODELS}[kind]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 8)).astype(np.float32)
    y = X[:, 0] + 0.5 * rng.normal(size=300)
    # two rounds, early stopping on a held-out tenth, the refit on all rows, a prediction: a
    # fit of a millisecond or two, most of it building the library's data and handles
    est = spec_cls(n_estimators=2, early_stopping_rounds=3).build("regression", [], seed=0)

    statuses, _ = cut_at_random_points(
        lambda: est.fit(X, y).predict(X), n_trials, steps_at_most=FITS_AT_MOST
    )
    print(json.dumps(dict(statuses)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
