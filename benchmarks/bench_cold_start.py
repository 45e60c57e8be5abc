"""Cold start (issue 14): seconds from the ``ac.run`` call to the first finished trial, in a
fresh process, on a small table (iris, one logistic regression per trial, 3 folds).

    .venv/bin/python benchmarks/bench_cold_start.py [--repeats 5] [--code DIR ...] [--breakdown]

Each repeat is a new Python process (nothing imported, no Ray running): it notes the time of
the call, runs ``ac.run(..., results_dir=...)``, and the first ``trial`` event of the journal
gives when the first trial finished (the journal's ``t`` is Unix time, like the call's). With
``--code`` each DIR is a checkout of automl-core put first on ``PYTHONPATH`` (e.g. the code
before and after a change), run alternately so both see the same machine; the installed plugins
are disabled so that only the core differs. Medians are printed, with the load.

``--breakdown`` also prints, per code, the median time from the call to each step on the way
to the first trial: the driver's imports, ``ray.init`` (timed by wrapping it in the child),
the journal's first ``start``/``ask``/``launch``, and from the Ray session's worker logs the
first trial worker's start (its ``CoreWorkerProcess``), its actor's creation (after the
worker's preload) and the first ``trial``.
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
steps = {}
import automl_core as ac
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True, as_frame=True)
out, breakdown = sys.argv[1], sys.argv[2] == "1"
steps["imports done"] = time.time()
if breakdown:  # time ray.init by wrapping it (the runner calls ray.init as an attribute)
    import ray
    _init = ray.init
    def _timed_init(*a, **k):
        steps["ray.init called"] = time.time()
        try:
            return _init(*a, **k)
        finally:
            steps["ray.init returned"] = time.time()
    ray.init = _timed_init
res = ac.run(
    X.assign(target=y), "target", models=["logistic_regression"], strategy="random",
    trials=4, folds=3, cleaners=[], results_dir=out, show_progress=False,
)
run_s = time.time() - t_call
events = [json.loads(x) for x in open(out + "/journal.jsonl") if x.strip()]
first = min(e["t"] for e in events if e["event"] == "trial")
for name in ("start", "ask", "launch", "trial"):
    steps["journal " + name] = min(e["t"] for e in events if e["event"] == name)
if breakdown:
    steps.update(worker_steps())
print("RESULT " + json.dumps({"first_trial_s": first - t_call, "run_s": run_s,
                  "module": ac.__file__, "steps": {k: v - t_call for k, v in steps.items()}}),
      flush=True)
"""

#: defined in the child before CHILD runs when --breakdown is given: the first trial worker's
#: start and its actor's creation, from the core worker logs of the Ray session (a measuring
#: tool reading Ray's log files, not part of automl-core)
WORKER_STEPS = r"""
import datetime, glob, re

def worker_steps():
    import ray
    logs = ray._private.worker._global_node.get_logs_dir_path()
    started, actors = [], []
    for path in glob.glob(logs + "/python-core-worker-*.log"):
        for line in open(path, errors="replace"):
            m = re.match(r"\[(\d+-\d+-\d+ \d+:\d+:\d+,\d+)", line)
            if not m:
                continue
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
            t = t.astimezone().timestamp()
            if "Constructing CoreWorkerProcess" in line:
                started.append(t)
            elif "Creating actor" in line:
                actors.append(t)
    out = {}
    if started:
        out["first worker up (core worker constructed)"] = min(started)
    if actors:
        out["first actor created (worker preloaded)"] = min(actors)
    return out
"""


def one(code: str | None, breakdown: bool = False) -> dict:
    env = dict(os.environ)
    if code:
        env["PYTHONPATH"] = code
        env["AUTOML_CORE_DISABLE_PLUGINS"] = "automl-core-boosting,automl-core-mlflow"
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                WORKER_STEPS + CHILD,
                str(Path(tmp) / "res"),
                str(int(breakdown)),
            ],
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
    ap.add_argument("--breakdown", action="store_true", help="median time of each step too")
    args = ap.parse_args()
    codes = args.code or [None]
    runs: dict[str, list[dict]] = {str(c): [] for c in codes}
    for _ in range(args.repeats):
        for c in codes:
            try:
                runs[str(c)].append(one(c, args.breakdown))
            except RuntimeError as exc:  # e.g. Ray's own start timing out on a busy machine
                print(f"{c}: a run failed, run again: {str(exc).strip()[-300:]}", file=sys.stderr)
                runs[str(c)].append(one(c, args.breakdown))
    print(f"load (1, 5, 15 min): {os.getloadavg()}")
    for c, rs in runs.items():
        first = [r["first_trial_s"] for r in rs]
        total = [r["run_s"] for r in rs]
        print(
            f"{c}: first trial {statistics.median(first):.2f} s (median of {len(rs)}; "
            f"{min(first):.2f}-{max(first):.2f}), whole run {statistics.median(total):.2f} s "
            f"[{rs[0]['module']}]"
        )
        if args.breakdown:
            print_breakdown(rs)


def print_breakdown(rs: list[dict]) -> None:
    """Median seconds from the call to each step (see the module docstring), in time order."""
    names = {n for r in rs for n in r["steps"]}
    med = {n: statistics.median(r["steps"][n] for r in rs if n in r["steps"]) for n in names}
    for n in sorted(med, key=med.get):
        print(f"    {med[n]:6.2f} s  {n}")


if __name__ == "__main__":
    main()
