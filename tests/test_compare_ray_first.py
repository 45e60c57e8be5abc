"""``ac.compare`` starts Ray before any strategy's clock starts (issue 14, item 7).

A strategy's clock is its ``ac.run`` call: the run's budget and every trial's ``finished_s``
(hence the strategy's ``wall_s`` in ``Comparison.summary()``) count from it. Had ``compare`` left
Ray to the first run, that run would start the embedded Ray inside its own clock, and the first
strategy's ``wall_s`` would carry Ray's start-up (seconds) that the others do not.

The session's Ray (tests/conftest.py) is already running in this process, which would hide a
compare that forgets to start it: the check runs ``ac.compare`` in a fresh Python process, with
no Ray, and notes at each ``ac.run`` call (where its clock starts) whether Ray is already up.
"""

from __future__ import annotations

import cluster_util as cu  # tests/ is on sys.path (pytest prepends a test file's folder)
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: runs in a fresh process; prints one JSON line
SCRIPT = r"""
import json, os, time
import ray
from sklearn.datasets import load_iris

import automl_core as ac
from automl_core.interfaces import api

calls = []
real_run = api.run


def run_noting_ray(*args, **kwargs):
    # the strategy's clock starts here (api.run's first line): is Ray already up?
    calls.append({"ray_up": ray.is_initialized(), "t": time.time()})
    return real_run(*args, **kwargs)


api.run = run_noting_ray  # compare imports `run` from api when it is called
X, y = load_iris(return_X_y=True, as_frame=True)
ray_before = ray.is_initialized()
t_compare = time.time()
cmp = ac.compare(
    X.assign(target=y), "target", strategies=["random", "gp"], trials=2, folds=2,
    models=["logistic_regression"], cleaners=[], show_progress=False,
)


def raylets_started():
    # start times (Unix) of the raylet processes this process started (its children), read
    # from /proc: field 22 of /proc/PID/stat is the start in clock ticks after boot
    boot = next(float(x.split()[1]) for x in open("/proc/stat") if x.startswith("btime"))
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if comm == "raylet" and int(fields[1]) == os.getpid():
            out.append(boot + int(fields[19]) / os.sysconf("SC_CLK_TCK"))
    return out


print("RESULT " + json.dumps({
    "ray_before": ray_before,
    "t_compare": t_compare,
    "calls": calls,
    "raylet_started": raylets_started(),
    "summary": cmp.summary().to_dict("records"),
}), flush=True)
"""


def test_compare_starts_ray_before_the_first_strategys_clock(tmp_path):
    res, _ = cu.run_fresh_script(SCRIPT, tmp_path, timeout=540)  # an embedded Ray of its own
    assert res["ray_before"] is False  # the fresh process had no Ray: compare started it
    assert len(res["calls"]) == 2
    # Ray was up when each strategy's clock started, the first one's included...
    assert [c["ray_up"] for c in res["calls"]] == [True, True]
    # ...and its node (the raylet this process started) was started before that clock
    assert res["raylet_started"], "no raylet under the compare's process"
    assert max(res["raylet_started"]) < res["calls"][0]["t"]
    assert min(res["raylet_started"]) > res["t_compare"]
    # both strategies ran their trials
    rows = {r["strategy"]: r for r in res["summary"]}
    assert set(rows) == {"random", "gp"}
    assert all(r["trials_ok"] == 2 for r in rows.values())
