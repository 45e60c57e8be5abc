"""Where the simulated cluster's time goes (issue 6): the cluster part of
``bench_runner_scaling.py``, taken apart.

    .venv/bin/python benchmarks/bench_cluster_breakdown.py [--repeats 3]

The same run as that script's ``cluster`` part (40 trials of 1 s of CPU work, a head without
CPUs and two 1-CPU nodes of ``ray.cluster_utils.Cluster``, the clock started at the
``ac.tune`` call), with each trial recording when its work started and ended, its process id,
when its process started and how much CPU that process had used before the trial. Two
variants, each ``--repeats`` times in a fresh process:

- ``shipped``: ``ac.tune`` as it is.
- ``no node check``: the same, with the driver's per-node plugin check (``runner.cluster.
  preflight``) replaced by a no-op. This is not a mode we ship: it bounds what the run could
  gain by moving or dropping the check.

The wall time splits into: the start (the clock to the first trial's work), the trials' own
wall time per CPU (1 s of CPU each, stretched by what else runs on the 2 cores), the gaps
between one trial's end and the next one's start in the same worker, and the close (the last
trial's end to ``ac.tune``'s return). CPU seconds by process class come from ``/proc``
(processes alive at the end: the plugin check's workers have exited by then and are not
counted).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TRIALS = 40
VARIANTS = ("shipped", "no node check")


def _process_start() -> float:
    """This process's start, as a ``time.time()`` value (10 ms resolution, from ``/proc``)."""
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return time.time() - (uptime - start_ticks / os.sysconf("SC_CLK_TCK"))


def work(params):
    """1 s of CPU time in this thread, as in ``bench_runner_scaling.work``, plus timestamps."""
    t0 = time.perf_counter()
    started = time.time()
    c0 = time.thread_time()
    cpu_before = time.process_time()
    n = 0
    while time.thread_time() - c0 < params["seconds"]:
        for _ in range(1000):
            n += 1
    return {
        "score": float(params["i"]),
        "wall": time.perf_counter() - t0,
        "started": started,
        "pid": os.getpid(),
        "process_start": _process_start(),
        "cpu_before": cpu_before,
    }


def _cpu_by_process() -> dict[int, tuple[str, float]]:
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline") as f:
                cmd = f.read().replace("\0", " ")
        except OSError:
            continue
        out[int(pid)] = (cmd, (int(fields[11]) + int(fields[12])) / tick)
    return out


def _process_class(cmd: str, me: int, pid: int) -> str | None:
    if pid == me:
        return "driver"
    if "ray::" in cmd:
        return "trial workers"
    if "raylet" in cmd.split(" ")[0]:
        return "raylets"
    if "gcs_server" in cmd.split(" ")[0]:
        return "gcs"
    if "ray" in cmd and "python" in cmd:
        return "ray's python agents"
    return None


def one_run(variant: str) -> dict:
    import ray
    from bench_runner_scaling import simulated_cluster

    cluster = simulated_cluster()
    if variant == "no node check":
        import automl_core.runner.search as search

        search.preflight = lambda *args, **kwargs: None
    cpu0 = _cpu_by_process()
    t0_abs = time.time()
    t0 = time.perf_counter()
    import automl_core as ac

    res = ac.tune(
        work,
        {"i": ac.Int(0, 10**6), "seconds": ac.Choice([1.0])},
        strategy="random",
        trials=TRIALS,
        show_progress=False,
        address=cluster.address,
    )
    wall = time.perf_counter() - t0
    cpu1 = _cpu_by_process()
    ray.shutdown()
    cluster.shutdown()

    table = res.table
    ok = table[table["status"] == "ok"]
    started = ok["metric.started"] - t0_abs
    ended = started + ok["metric.wall"]
    gaps, per_worker = [], {}
    for pid, rows in ok.assign(s=started, e=ended).groupby("metric.pid"):
        rows = rows.sort_values("s")
        g = (rows["s"].values[1:] - rows["e"].values[:-1]).tolist()
        gaps += g
        first = rows.iloc[0]
        per_worker[int(pid)] = {
            "process_start_s": round(float(first["metric.process_start"]) - t0_abs, 2),
            "cpu_before_first_trial_s": round(float(first["metric.cpu_before"]), 2),
            "first_work_s": round(float(first["s"]), 2),
            "trials": len(rows),
            "gaps_s": round(sum(g), 3),
        }
    cpu: Counter = Counter()
    me = os.getpid()
    for pid, (cmd, c) in cpu1.items():
        cls = _process_class(cmd, me, pid)
        if cls is not None:
            cpu[cls] += c - cpu0.get(pid, (cmd, 0.0))[1]
    return {
        "variant": variant,
        "trials_ok": len(ok),
        "wall_s": round(wall, 2),
        "ratio": round(wall / (TRIALS / 2), 3),
        "start_s": round(float(started.min()), 2),
        "own_walls_per_cpu_s": round(float(ok["metric.wall"].sum()) / 2, 2),
        "gaps_per_cpu_s": round(sum(gaps) / 2, 2),
        "gap_median_ms": round(1000 * statistics.median(gaps), 1) if gaps else None,
        "close_s": round(wall - float(ended.max()), 2),
        "workers": per_worker,
        "cpu_s": {k: round(v, 2) for k, v in cpu.most_common()},
        "load": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.variant:
        print("RESULT " + json.dumps(one_run(args.variant)), flush=True)
        return
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  load {os.getloadavg()}")
    runs: dict[str, list[dict]] = {v: [] for v in VARIANTS}
    for _ in range(args.repeats):
        for variant in VARIANTS:  # interleaved: a load change hits both alike
            proc = subprocess.run(
                [sys.executable, __file__, "--variant", variant], capture_output=True, text=True
            )
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                print(f"{variant}: failed\n{proc.stderr[-3000:]}")
                continue
            r = json.loads(line[len("RESULT ") :])
            runs[variant].append(r)
            workers = "; ".join(
                f"started {w['process_start_s']} s, {w['cpu_before_first_trial_s']} CPU-s "
                f"before its first trial at {w['first_work_s']} s"
                for w in r["workers"].values()
            )
            print(
                f"{variant}: {r['trials_ok']} ok, wall {r['wall_s']} s = {r['ratio']}x; start "
                f"{r['start_s']} + own walls/CPU {r['own_walls_per_cpu_s']} + gaps/CPU "
                f"{r['gaps_per_cpu_s']} (median {r['gap_median_ms']} ms) + close "
                f"{r['close_s']}\n  trial workers: {workers}\n  CPU s: {r['cpu_s']}  "
                f"load {', '.join(f'{x:.2f}' for x in r['load'])}",
                flush=True,
            )
    print("\nmedians over the repeats:")
    for variant, rs in runs.items():
        if not rs:
            continue
        med = {
            k: statistics.median(r[k] for r in rs)
            for k in ("wall_s", "ratio", "start_s", "own_walls_per_cpu_s", "gaps_per_cpu_s",
                      "close_s")
        }  # fmt: skip
        print(f"  {variant} ({len(rs)} runs): " + ", ".join(f"{k} {v:g}" for k, v in med.items()))


if __name__ == "__main__":
    main()
