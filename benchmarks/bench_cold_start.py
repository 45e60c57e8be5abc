"""Cold start (issue 14): seconds from the ``ac.run`` call to the first finished trial, in a
fresh process, on a small table (iris, one logistic regression per trial, 3 folds).

    .venv/bin/python benchmarks/bench_cold_start.py [--repeats 5] [--code DIR ...]

Each repeat is a new Python process (nothing imported, no Ray running): it notes the time of
the call, runs ``ac.run(..., results_dir=...)``, and the first ``trial`` event of the journal
gives when the first trial finished (the journal's ``t`` is Unix time, like the call's). With
``--code`` each DIR is a checkout of automl-core put first on ``PYTHONPATH`` (e.g. the code
before and after a change), run alternately so both see the same machine; the installed plugins
are disabled so that only the core differs. Medians are printed, with the load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, sys, time
t_call = time.time()
import automl_core as ac
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True, as_frame=True)
out = sys.argv[1]
res = ac.run(
    X.assign(target=y), "target", models=["logistic_regression"], strategy="random",
    trials=4, folds=3, cleaners=[], results_dir=out, show_progress=False,
)
events = [json.loads(x) for x in open(out + "/journal.jsonl") if x.strip()]
first = min(e["t"] for e in events if e["event"] == "trial")
print("RESULT " + json.dumps({"first_trial_s": first - t_call, "run_s": time.time() - t_call,
                  "module": ac.__file__}), flush=True)
"""


def one(code: str | None) -> dict:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code
        env["AUTOML_CORE_DISABLE_PLUGINS"] = "automl-core-boosting,automl-core-mlflow"
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(Path(tmp) / "res")],
            env=env,
            cwd=tmp,  # not the checkout: `python -c` puts the working directory first on sys.path
            capture_output=True,
            text=True,
            timeout=300,
        )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    lines = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
    if not lines:
        raise RuntimeError(out.stdout[-2000:] + out.stderr[-3000:])
    return json.loads(lines[-1][len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--code", nargs="*", default=[None])
    args = ap.parse_args()
    codes = args.code or [None]
    runs: dict[str, list[dict]] = {str(c): [] for c in codes}
    for _ in range(args.repeats):
        for c in codes:
            runs[str(c)].append(one(c))
    print(f"load (1, 5, 15 min): {os.getloadavg()}")
    for c, rs in runs.items():
        first = [r["first_trial_s"] for r in rs]
        total = [r["run_s"] for r in rs]
        print(
            f"{c}: first trial {statistics.median(first):.2f} s (median of {len(rs)}; "
            f"{min(first):.2f}-{max(first):.2f}), whole run {statistics.median(total):.2f} s "
            f"[{rs[0]['module']}]"
        )


if __name__ == "__main__":
    main()
