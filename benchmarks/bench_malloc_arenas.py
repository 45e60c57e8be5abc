"""Memory that glibc's per-thread malloc arenas keep after LightGBM fits on two threads.

::

    python benchmarks/bench_malloc_arenas.py            # default arenas, then 2, then 1

The default run's trials run on threads of one process (issue 16), and ``malloc_trim`` after
each trial hands free heap pages back (``automl_core.trials.threads``). This measures what stays
anyway: a child process per setting of ``MALLOC_ARENA_MAX`` (unset = glibc's default of 8 per
core) fits 4 rounds of 2 x 60 LightGBM classifiers on two threads (seattle_weather split 2's
numeric columns; 50-600 trees, 4-128 leaves, one thread each), calls ``malloc_trim(0)`` after
each round and prints its RSS; then the child's wall time and peak RSS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(rounds: int = 4, fits: int = 60) -> None:
    import ctypes
    import resource

    import lightgbm as lgb
    import numpy as np

    sys.path.insert(0, str(HERE))
    from bench_cleaning import _status_kb
    from bench_vs_peers import split

    train, _, target, _ = split("seattle_weather", seed=2)
    X = train.drop(columns=[target]).select_dtypes("number").to_numpy()
    y = train[target].astype("category").cat.codes.to_numpy()
    trim = ctypes.CDLL("libc.so.6").malloc_trim

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        for _ in range(fits):
            m = lgb.LGBMClassifier(
                n_estimators=int(rng.integers(50, 600)),
                num_leaves=int(rng.integers(4, 128)),
                learning_rate=0.05,
                n_jobs=1,
                verbose=-1,
            )
            m.fit(X, y)
            m.predict_proba(X)

    t0 = time.perf_counter()
    after = []
    for r in range(rounds):
        threads = [threading.Thread(target=work, args=(10 * r + j,)) for j in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        trim(0)
        after.append(round(_status_kb("VmRSS") / 1024))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"RSS after each round, MB: {after}; wall {time.perf_counter() - t0:.1f} s; "
        f"peak RSS {peak:.0f} MB"
    )


def main() -> None:
    for arenas in (None, "2", "1"):
        env = dict(os.environ)
        env.pop("MALLOC_ARENA_MAX", None)
        if arenas:
            env["MALLOC_ARENA_MAX"] = arenas
        out = subprocess.run(
            [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True
        )
        print(f"MALLOC_ARENA_MAX={arenas or 'unset'}: {out.stdout.strip() or out.stderr[-500:]}")


if __name__ == "__main__":
    child() if "--child" in sys.argv else main()
